// What a resolved config says, in two levels: the server's settings, and each model's own, resolved
// once (a model's `[models.NAME]` table, else the server-wide flags).
import type { ChatTemplate } from "../engine/chat-templates.ts";
import type { ReasoningEffort } from "../engine/types.ts";
import type { ReasoningFormat } from "../openai/reasoning-format.ts";
import type { KeepalivePolicy } from "../stream/keepalive-policy.ts";
import type { ModelSource } from "./model-sources.ts";

export type { ModelSource } from "./model-sources.ts";
import type { Speculation } from "../engine/speculation.ts";

/** What may differ from one model to another (a config file's `[models.NAME]` tables); the server-wide flags otherwise. */
export interface ModelSettings {
  /** Tokens per request (prompt and output); null: the model's trained length, or the largest that fits in memory. */
  ctxSize: number | null;
  /** Output tokens for requests that ask for none, and the most any request gets; null: no cap but the context's. */
  maxTokens: number | null;
  /** Decoding threads; null: the engine's default for the build it loads (engine/threads.ts). */
  threads: number | null;
  gpuLayers: number | "auto";
  /** Let llama.cpp repack weights for this CPU at load (AMX and other layouts); off: llama-server's --no-repack. */
  repack: boolean;
  /** Requests decoded side by side. */
  parallel: number;
  /** Requests that may wait for a slot before the server answers 429. */
  maxQueue: number;
  /** For requests that name none; null: the model format's own default. */
  reasoningEffort: ReasoningEffort | null;
  /** Most thought tokens for requests that name no budget; null: no cap beyond the answer's. */
  reasoningBudget: number | null;
  /** Sampling temperature for requests that send none (llama-server's --temp). */
  temperature: number;
  /** The chat format (engine/chat-templates.ts). */
  chatTemplate: ChatTemplate;
  /** A Jinja chat template file to use in place of the GGUF's own; null: the GGUF's. */
  chatTemplateFile: string | null;
  /** Speculative decoding (--spec-type, --spec-draft-n-max). */
  speculation: Speculation;
}

/** One model the server serves, with its own settings. */
export interface ModelEntry extends ModelSource {
  settings: ModelSettings;
}

/** The server's own settings: listening, security, streaming, and which models load when. */
export interface ServerSettings {
  /** The model (by name) for requests that name none, or a name none has: --default-model, else the first. */
  defaultModel: string;
  /** The model that embeds for requests that name none, or a name no model has; null: the default model. */
  embeddingModel: string | null;
  /** Models loaded at startup, before the ready line; the others load on first use. */
  preload: string[];
  /** Most models loaded at once (the least recently used idle one is unloaded for another). */
  maxModels: number;
  /** Bytes the loaded models may take together; null: what the machine has available when one loads. */
  memoryLimit: number | null;
  /** A model nobody used for this long is unloaded; null: never. */
  idleUnloadMs: number | null;
  /** A folder whose GGUF files are served by file name; null: none. */
  modelsDir: string | null;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** What a stream sends while nothing else is sent, and how often. */
  keepalive: KeepalivePolicy;
  /** Non-streamed answers not ready after one keepalive interval get their headers, then a space every interval. */
  keepaliveJson: boolean;
  /** A stream writes at most once per this many ms; frames that come sooner go out together. 0: each at once. */
  flushIntervalMs: number;
  /** Largest request body in bytes. */
  maxBodyBytes: number;
  /** How long idle decode threads poll before they sleep, 0-100 (--poll, llama-server's); 0: at once. */
  poll: number;
  /** Bytes of prompts kept beyond the sequences (--cache-ram); 0: none kept. */
  promptCacheBytes: number;
  /** A folder where kept prompts outlive the process (--cache-dir); null: memory (a folder of the process's own). */
  cacheDir: string | null;
  /** Every route but /health needs it (`Authorization: Bearer KEY`, or `x-api-key` on Anthropic routes); null: open. */
  apiKey: string | null;
  /** Origins allowed by CORS (`*` for any); empty: CORS off. */
  corsOrigins: string[];
  /** Host names a keyless server answers besides this machine's (--allowed-hosts; `*`: any). */
  allowedHosts: string[];
  /** One access line per request on stderr, as text or JSON. */
  logFormat: "text" | "json";
  /** Where to write `{url, port, model, pid}` once ready; null: nowhere. */
  readyFile: string | null;
  /** Where models given by URL (`https://…`, `hf:…`) are downloaded to and found again. */
  downloadDir: string;
  /** Where chat completions put the thought. */
  reasoningFormat: ReasoningFormat;
}

/** The whole config: the server's settings and every model served (the --model flags in order, then the config file's, then the --models-dir folder's). */
export interface Config {
  server: ServerSettings;
  models: ModelEntry[];
}

/** The model of that name (the config names only models it has). */
export function modelNamed(config: Config, name: string): ModelEntry {
  const model = config.models.find((entry) => entry.alias === name);
  if (!model) throw new Error(`no model named '${name}' in the config`);
  return model;
}

/** The default model's entry. */
export function defaultModel(config: Config): ModelEntry {
  return modelNamed(config, config.server.defaultModel);
}
