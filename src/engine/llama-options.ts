// What a model's engine is loaded with (engine/llama-load.ts): its file, window, threads, sequences,
// defaults and chat format.
import type { ChatTemplate } from "./chat-templates.ts";
import type { PromptCacheOptions } from "./prompt-cache.ts";
import type { ReasoningDefaults } from "./reasoning.ts";
import type { Speculation } from "./speculation.ts";

export interface LlamaEngineOptions {
  modelPath: string;
  /** Name reported to clients. */
  modelId: string;
  /** Tokens per sequence; null: the model's training context, or the largest that fits in memory. */
  contextSize: number | null;
  /** Output tokens for requests that ask for none, and the most any request gets; null: no cap but the context's. */
  maxTokens?: number | null;
  /** Where maxTokens is null, the cap for the window the context got (oserve launch: an agent with no cap of its own). */
  outputCap?: (contextSize: number) => number;
  /** With no contextSize: the least window to give, past the model's trained length if need be (an agent's own prompt must fit). */
  minContextSize?: number;
  /** null: the default for the native build that loads (engine/threads.ts). */
  threads: number | null;
  /** How long idle decode threads poll for the next decode before they sleep, 0-100 (llama-server's --poll); unset: 0, at once. */
  poll?: number;
  /** Layers offloaded to a GPU; "auto" lets node-llama-cpp decide, 0 keeps everything on the CPU. */
  gpuLayers: number | "auto";
  /** Speculative decoding (--spec-type, --spec-draft-n-max); unset: plain decoding. */
  speculation?: Speculation;
  /** Sequences decoded side by side in one context. */
  parallel: number;
  /** Requests that may wait for a free sequence. */
  maxQueue: number;
  /** Let llama.cpp repack weights for this CPU at load (AMX and its other faster layouts); false is llama-server's --no-repack. */
  repack: boolean;
  /** The server's reasoning effort and thought budget, for requests that name neither; none: the model's own. */
  reasoning?: ReasoningDefaults;
  /** Sampling temperature for requests that send none (--temp); unset: DEFAULT_TEMPERATURE. */
  temperature?: number;
  /** Called with 0..1 while the model loads. */
  onLoadProgress?: (progress: number) => void;
  /** Aborts the load (the server stopping). */
  signal?: AbortSignal;
  /** The chat format (--chat-template); "auto": the model's own template through llama.cpp's chat layer where the addon has it, else node-llama-cpp's choice. */
  chatTemplate?: ChatTemplate;
  /** A Jinja template to use in place of the GGUF's own (--chat-template-file); null: the GGUF's. */
  templateText?: string | null;
  /** Told as each phase of the load ends (its name; `since`: a phase that ran beside others began then): the startup trace. */
  mark?: (phase: string, since?: number) => void;
  /** Asked for the bytes a context made after the load takes (the embedding context), before it is made; rejects where the memory budget has no room. */
  reserveMemory?: (bytes: number) => Promise<void>;
  /** Prompts kept beyond the sequences (--cache-ram, --cache-dir); none: a sequence's prompt is lost when another takes it. */
  promptCache?: PromptCacheOptions;
  /** Resolve the chat wrapper once the load has returned (startup: the ready line need not wait), not as part of it. */
  chatWrapperAfterLoad?: boolean;
}
