// The request body of POST /v1/completions (OpenAI's legacy completions): raw prompts, no chat template.
import { z } from "zod";
import { invalidParam } from "../api-error.ts";
import type { CompletionRequest } from "../engine/types.ts";
import { sampling } from "../request/sampling.ts";
import { validationError } from "../request/validation.ts";

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish();

const completionsRequestSchema = z.looseObject({
  model: z.string().optional(),
  prompt: z.union([z.string(), z.array(z.string()).min(1, "prompt must hold at least one string").max(64)]),
  suffix: nullable(z.string()),
  max_tokens: nullable(z.int().min(1)),
  temperature: nullable(z.number().min(0).max(2)),
  top_p: nullable(z.number().min(0).max(1)),
  top_k: nullable(z.int().min(0)),
  min_p: nullable(z.number().min(0).max(1)),
  seed: nullable(z.int()),
  stop: nullable(z.union([z.string(), z.array(z.string()).max(16)])),
  presence_penalty: nullable(z.number().min(-2).max(2)),
  frequency_penalty: nullable(z.number().min(-2).max(2)),
  logit_bias: nullable(z.record(z.string().regex(/^\d+$/, "logit_bias keys are token ids"), z.number().min(-100).max(100))),
  stream: nullable(z.boolean()),
  stream_options: nullable(z.looseObject({ include_usage: z.boolean().optional() })),
  echo: nullable(z.boolean()),
  logprobs: nullable(z.int().min(0).max(5)),
  best_of: nullable(z.int().min(1)),
  n: nullable(z.int().min(1)),
  user: z.string().optional(),
});

/** OpenAI's default for completions (and vLLM's); chat has none. */
const DEFAULT_MAX_TOKENS = 16;

export interface CompletionsRequest {
  /** One engine request per prompt: the choices of the answer, in order. */
  prompts: CompletionRequest[];
  stream: boolean;
  includeUsage: boolean;
}

export function parseCompletionsRequest(json: unknown): CompletionsRequest {
  const parsed = completionsRequestSchema.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error);
  const body = parsed.data;
  if (body.echo === true) throw invalidParam("echo", "echo is not supported by this server: the answer holds the completion only.");
  if (body.logprobs != null && body.logprobs > 0) throw invalidParam("logprobs", "Log probabilities are not supported by this server.");
  if ((body.best_of ?? 1) > 1) throw invalidParam("best_of", "Only best_of=1 is supported: one completion per prompt.");
  if ((body.n ?? 1) > 1) throw invalidParam("n", "Only n=1 is supported: one completion per prompt (send several prompts for several choices).");
  const prompts = typeof body.prompt === "string" ? [body.prompt] : body.prompt;
  const stop = body.stop == null ? [] : (typeof body.stop === "string" ? [body.stop] : body.stop).filter((s) => s !== "");
  return {
    stream: body.stream === true,
    includeUsage: body.stream === true && body.stream_options?.include_usage === true,
    prompts: prompts.map((prompt) => ({
      prompt,
      suffix: body.suffix ?? null,
      maxTokens: body.max_tokens ?? DEFAULT_MAX_TOKENS,
      stop,
      sampling: sampling({
        temperature: body.temperature,
        topP: body.top_p,
        topK: body.top_k,
        minP: body.min_p,
        seed: body.seed,
        presencePenalty: body.presence_penalty,
        frequencyPenalty: body.frequency_penalty,
        logitBias: Object.entries(body.logit_bias ?? {}).map(([token, bias]) => ({ token: Number(token), bias })),
      }),
    })),
  };
}
