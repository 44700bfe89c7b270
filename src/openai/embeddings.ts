// POST /v1/embeddings in OpenAI's terms: the request schema, and the answer from the vectors (pure).
import { z } from "zod";
import { invalidParam } from "../errors/api-error.ts";
import { validationError } from "../request/validation.ts";
import { checkCounts, EMBEDDING_INPUTS, MAX_EMBEDDING_INPUTS } from "../request/counts.ts";

/**
 * A list of token ids, checked in one loop: zod's per-item check took a second for a list of a
 * million ids, on the event loop.
 */
const tokens = z.custom<number[]>(
  (value) => Array.isArray(value) && value.length > 0 && value.every((id) => Number.isInteger(id) && id >= 0),
  "a token list holds one or more token ids (integers, 0 or more)",
);
const embeddingsRequestSchema = z.looseObject({
  model: z.string().optional(),
  input: z.union([
    z.string().min(1, "input must not be empty"),
    z.array(z.string().min(1, "an input must not be empty")).min(1, "input must hold at least one entry").max(MAX_EMBEDDING_INPUTS),
    tokens,
    z.array(tokens).min(1, "input must hold at least one entry").max(MAX_EMBEDDING_INPUTS),
  ]),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.int().min(1).nullish(),
  user: z.string().optional(),
});

export interface EmbeddingsRequest {
  /** Each input as text or token ids, in order. */
  inputs: Array<string | number[]>;
  encoding: "float" | "base64";
  dimensions: number | null;
}

export function parseEmbeddingsRequest(json: unknown): EmbeddingsRequest {
  // A list of inputs is counted first; one list of token ids is one input, however long.
  const given = typeof json === "object" && json !== null ? (json as { input?: unknown }).input : undefined;
  if (Array.isArray(given) && typeof given[0] !== "number") checkCounts(json, { input: EMBEDDING_INPUTS });
  const parsed = embeddingsRequestSchema.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error);
  const { input, encoding_format, dimensions } = parsed.data;
  // One token list is one input; a list of strings or of token lists is several.
  const inputs = typeof input === "string" ? [input] : typeof input[0] === "number" ? [input as number[]] : (input as Array<string | number[]>);
  return { inputs, encoding: encoding_format ?? "float", dimensions: dimensions ?? null };
}

/** `dimensions` may only ask for what the model gives: this server does not shorten vectors. */
export function checkDimensions(asked: number | null, model: number): void {
  if (asked !== null && asked !== model) {
    throw invalidParam("dimensions", `This model's embeddings have ${model} dimensions; it cannot give ${asked}.`);
  }
}

export interface EmbeddingList {
  object: "list";
  data: Array<{ object: "embedding"; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** The answer; base64 is the vector's float32 values, little-endian, as OpenAI encodes them. */
export function embeddingList(model: string, vectors: number[][], encoding: "float" | "base64", promptTokens: number): EmbeddingList {
  return {
    object: "list",
    data: vectors.map((vector, index) => ({ object: "embedding", index, embedding: encoding === "float" ? vector : toBase64(vector) })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

function toBase64(vector: number[]): string {
  const floats = new Float32Array(vector);
  const view = new DataView(floats.buffer);
  // Float32Array is in the platform's byte order; the wire format is little-endian everywhere.
  for (let i = 0; i < floats.length; i++) view.setFloat32(i * 4, vector[i]!, true);
  return Buffer.from(floats.buffer).toString("base64");
}
