// What the engine is asked to do, in its own terms (no OpenAI field names, no HTTP).
import type { GbnfJsonSchema } from "node-llama-cpp";
import type { EngineEvent } from "./events.ts";

export interface ToolCallRecord {
  id: string;
  name: string;
  /** The arguments as the model wrote them: a JSON text. */
  arguments: string;
}

export type Message =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  /** `reasoning`: the thought the model wrote before this turn's text and calls, when the client sent it back. */
  | { role: "assistant"; content: string | null; toolCalls: ToolCallRecord[]; reasoning?: string }
  | { role: "tool"; content: string; toolCallId: string };

export interface Sampling {
  /** 0 picks the most likely token every time. */
  /** null: the server's default (--temp). */
  temperature: number | null;
  topP: number | null;
  topK: number | null;
  minP: number | null;
  seed: number | null;
  presencePenalty: number | null;
  frequencyPenalty: number | null;
  /** Added to the logits of these token ids; -100 bans a token. */
  logitBias: Array<{ token: number; bias: number }>;
}

export interface ToolSpec {
  name: string;
  description?: string;
  /** The arguments' schema, already in the grammar's subset; null: the tool takes no arguments. */
  parameters: GbnfJsonSchema | null;
  /** The arguments' JSON Schema as the client sent it (what the model's own template renders); null: none. */
  schema: unknown;
}

/** Whether the model may, must, or must not call a tool, or must call one by name. */
export type ToolChoice = { type: "auto" } | { type: "none" } | { type: "required" } | { type: "function"; name: string };

/** What the text answer must be: free text, any JSON value, or JSON that fits a schema. */
export type OutputFormat = { type: "text" } | { type: "json" } | { type: "json_schema"; schema: GbnfJsonSchema };

/**
 * How much the model should think, in every protocol's terms at once (engine/reasoning.ts maps it
 * to the model format's own knob): `none` turns thinking off where the format can.
 */
export type ReasoningEffort = "none" | "minimal" | "low" | "medium" | "high";

export interface ReasoningRequest {
  /** null: the server's default (`--reasoning-effort`), else the model's own. */
  effort: ReasoningEffort | null;
  /** Most tokens the thought may take; null: the server's `--reasoning-budget`. */
  budget: number | null;
}

export interface GenerationRequest {
  messages: Message[];
  /** Most tokens to generate; null: the server's --max-tokens, else until the model stops or the context is full. */
  maxTokens: number | null;
  sampling: Sampling;
  /** Strings that end generation; they are not part of the output. */
  stop: string[];
  tools: ToolSpec[];
  toolChoice: ToolChoice;
  /** More than one tool call in one answer. */
  parallelToolCalls: boolean;
  format: OutputFormat;
  reasoning: ReasoningRequest;
  /** Extra arguments for the model's chat template (`chat_template_kwargs`), as the client sent them; absent: none. */
  templateKwargs?: Readonly<Record<string, unknown>>;
}

/** Output tokens of a raw completion that asks for none, where the server sets no --max-tokens: OpenAI's default (and vLLM's). */
export const COMPLETION_DEFAULT_MAX_TOKENS = 16;

/** A raw text completion: the prompt as it is, no chat template. */
export interface CompletionRequest {
  prompt: string;
  /** Text that follows the insertion point: the model fills in the middle (infill). */
  suffix: string | null;
  /** Most tokens to generate; null: the server's --max-tokens, else COMPLETION_DEFAULT_MAX_TOKENS. */
  maxTokens: number | null;
  sampling: Sampling;
  /** Strings that end generation; they are not part of the output. */
  stop: string[];
}

/** A request that fits the model, ready to run once a sequence is free. */
export interface PreparedGeneration {
  promptTokens: number;
  /** Generates; ends with `finish` then `usage`, or with `error`. Aborting the signal stops it at once. */
  run(signal: AbortSignal): AsyncGenerator<EngineEvent>;
}

/** Embeddings of the loaded model. */
export interface Embeddings {
  /** Length of each vector. */
  readonly dimensions: number;
  /** Most tokens one input may take. */
  readonly contextSize: number;
  /**
   * Holds the embedding context (one sequence) for one request: requests take it in turn, up to
   * --max-queue waiting. Resolves with the release, or null where the signal aborted first; throws
   * QueueFullError where the queue is full.
   */
  hold(signal: AbortSignal): Promise<(() => void) | null>;
  /** An input as token ids: text tokenized off the event loop as the embedding context reads it, ids as they are. */
  tokenize(input: string | readonly number[]): Promise<readonly number[]>;
  /** Tokens the input takes, as evaluated (its beginning and end tokens added). */
  measure(tokens: readonly number[]): Promise<number>;
  /** The input's vector, of unit length. */
  embed(tokens: readonly number[]): Promise<number[]>;
}

export interface Engine {
  /** The name clients see in /v1/models and in every response's `model`. */
  readonly modelId: string;
  /** Tokens one request can hold, prompt and output together. */
  readonly contextSize: number;
  /** Output tokens for requests that ask for none, and the most any gets (--max-tokens, set at load); null: no cap but the context's. */
  readonly maxTokens: number | null;
  /** Renders and measures the prompt; throws (ContextOverflowError, QueueFullError, …) for a request that cannot run. */
  prepare(request: GenerationRequest): Promise<PreparedGeneration>;
  /** Measures a raw prompt; throws as `prepare` does, and InvalidInputError("suffix") where the model cannot infill. */
  prepareCompletion(request: CompletionRequest): Promise<PreparedGeneration>;
  /** The prompt's length in tokens, as `prepare` would render it (tools included), whether or not it fits. */
  countPromptTokens(request: GenerationRequest): Promise<number>;
  readonly embeddings: Embeddings;
  /** The prompt's text as the model's chat format renders it (llama-server's /apply-template). */
  renderPrompt(request: GenerationRequest): Promise<string>;
  /** Text to token ids: `addSpecial` adds the model's beginning token, `parseSpecial` reads special tokens' text as them. */
  tokenize(text: string, options: { addSpecial: boolean; parseSpecial: boolean }): Promise<number[]>;
  /** One token's text, special tokens as their text (a character split over tokens reads U+FFFD). */
  tokenPiece(token: number): string;
  /** Token ids to text; ids outside the vocabulary are an InvalidInputError. */
  detokenize(tokens: readonly number[]): string;
  /** Slots (sequences) in use and requests waiting for one. */
  load(): EngineLoad;
  /** Throws QueueFullError where `requests` more could not all run now or wait (several prompts in one request). */
  checkCapacity(requests: number): void;
  close(): Promise<void>;
}

export interface EngineLoad {
  slots: number;
  slotsInUse: number;
  queued: number;
  /** Threads the model's decodes take now (at most --threads: fewer while other processes keep the cores busy); none: an engine without threads. */
  decodeThreads?: number;
  /** Prompts kept beyond the sequences (--cache-ram, --cache-dir): how many, their bytes, and how often one was loaded back. */
  promptCache?: { entries: number; bytes: number; restores: number; restoredTokens: number };
}
