// The one flag table: `--help`, docs/flags.md, the README's short table, the OSERVE_* variables and
// the config file's keys all come from it.

/** A flag: what it does, its default as text, and where it shows. */
export interface FlagSpec {
  description: string;
  default: string | undefined;
  /** In the README's short table of the flags a user needs first: its value's name and one short line. */
  main?: { value: string; summary: string };
  /** Also settable per model, in a config file's `[models.NAME]` table. */
  perModel?: true;
  /** Where docs/ says more (a path under docs/, with its anchor). */
  see?: string;
}

export const FLAGS = {
  model: { description: "Path to a GGUF model file, or a URL to download it from (https://…/x.gguf, hf:OWNER/REPO/FILE.gguf), or NAME=PATH; give it again to serve more models (the first is the default; required unless --models-dir or --config names models)", default: undefined, main: { value: "PATH", summary: "the GGUF file, or a URL to download it from; `NAME=PATH` names it; repeat it for several models" }, see: "models.md" },
  "models-dir": { description: "Serve every GGUF file in this folder, each named by its file name", default: undefined, see: "models.md" },
  config: { description: "A TOML file of flags (same names) and per-model settings in [models.NAME] tables; flags and env win over it", default: undefined, main: { value: "FILE", summary: "a TOML file of flags and `[models.NAME]` tables" }, see: "models.md#a-config-file" },
  host: { description: "Address to listen on", default: "127.0.0.1", main: { value: "ADDR", summary: "address to listen on (default `127.0.0.1`)" } },
  port: { description: "Port to listen on; 0 picks a free one", default: "8080", main: { value: "N", summary: "port (default `8080`; `0` picks a free one)" } },
  keepalive: { description: "SSE keepalive: chunk | comment | off", default: "chunk", main: { value: "MODE", summary: "`chunk` (default), `comment` or `off`" }, see: "apis.md" },
  "keepalive-interval": { description: "Seconds between keepalives while nothing else is sent", default: "10" },
  "keepalive-json": { description: "Keep slow non-streamed answers alive with leading spaces: on | off", default: "off", see: "apis.md" },
  "flush-interval-ms": { description: "A stream writes at most once per this many milliseconds; tokens that come faster go out together (0: each at once)", default: "10", see: "configuration.md#fast-streams" },
  "ctx-size": { description: "Context tokens per request (default: the model's trained length, or the largest that fits in memory)", default: undefined, main: { value: "N", summary: "context tokens per request (default: the model's trained length, or the most that fits)" }, perModel: true, see: "configuration.md#context-size" },
  "max-tokens": { description: "Output tokens for requests that ask for none, and the most any request gets (llama-server's -n); more is served, capped, and ends as a length cut; -1: no cap but the context's", default: "-1", main: { value: "N", summary: "output tokens for a request that asks for none, and the most any request gets" }, perModel: true },
  threads: { description: "Decoding threads, kept whatever else the machine runs (default: at most every core with oserve's engine build, one less with node-llama-cpp's prebuilt, and fewer while other processes keep the cores busy, by measuring which count decodes faster)", default: undefined, perModel: true, see: "configuration.md#threads-and-the-engine-build" },
  "spec-type": { description: "Speculative decoding: ngram | none (prompt lookup: while the last tokens written occur in the prompt, the tokens that followed them there are drafted and verified in one decode; the same answer, in fewer decodes where it repeats its prompt)", default: "ngram", perModel: true, see: "configuration.md#speculative-decoding" },
  "spec-draft-n-max": { description: "Most tokens drafted at a time", default: "16", perModel: true },
  "model-draft": { description: "A smaller model of the same family (the same vocabulary) that drafts the next tokens, verified in one decode (llama-server's --model-draft); it drafts every token, in place of the prompt lookup", default: undefined, perModel: true, see: "configuration.md#speculative-decoding" },
  poll: { description: "How long idle decode threads keep polling for the next decode before they sleep, 0-100 (llama-server's --poll, whose default is 50); 0: they sleep at once, leaving the cores to Node's own thread and to other processes", default: "0", see: "configuration.md#on-a-busy-machine" },
  "gpu-layers": { description: "Layers to offload to a GPU: auto or a number (0 = CPU only)", default: "auto", perModel: true },
  repack: { description: "Repack weights at load into this CPU's faster layouts (AMX and others): on | off (llama-server's --no-repack)", default: "on", perModel: true, see: "configuration.md#where-the-weights-go" },
  "default-model": { description: "The model (by name) for requests that name none, or a name no model has (default: the first --model)", default: undefined },
  "embedding-model": { description: "The model (by name) for embedding requests that name none, or a name no model has (default: the default model)", default: undefined },
  preload: { description: "Models (by name, comma-separated) loaded at startup; all | none (default: the default model); the others load on first use", default: undefined },
  "max-models": { description: "Most models loaded at once; the least recently used idle one is unloaded for another (default: no cap but memory)", default: undefined, see: "models.md" },
  "memory-limit": { description: "Most memory the loaded models may take together, e.g. 8g (default: what the machine has available when one loads)", default: undefined, see: "models.md" },
  "idle-unload": { description: "Unload a model nobody used for this many seconds (default: never)", default: undefined, see: "models.md" },
  "model-alias": { description: "Model name reported to clients (default: file name without extension)", default: undefined },
  parallel: { description: "Requests decoded at once, each in its own sequence", default: "4", main: { value: "N", summary: "requests decoded at once (default `4`)" }, perModel: true, see: "configuration.md#parallel-requests" },
  "max-queue": { description: "Requests that may wait for a free slot before 429", default: "64", perModel: true },
  "cache-ram": { description: "MiB of memory for prompts kept beyond the sequences (llama-server's --cache-ram): a long prompt a sequence gives up to another is kept, and loaded back for a later prompt that shares more with it than any sequence does; 0: off", default: "4096", see: "configuration.md#prompts-kept-beyond-the-sequences" },
  "cache-dir": { description: "Keep those prompts in this folder instead, across restarts (llama-server's slot save/restore): each sequence's prompt is written at shutdown, and a resumed conversation pays only its new tokens; --cache-ram is then its size on disk", default: undefined, see: "configuration.md#prompts-kept-beyond-the-sequences" },
  "max-body": { description: "Largest request body, e.g. 10mb, 512kb, 1048576", default: "10mb", see: "security.md" },
  "api-key": { description: "Require this key (Authorization: Bearer KEY) on every route but /health", default: undefined, main: { value: "KEY", summary: "require this key on every route but `/health`" }, see: "service.md" },
  "api-key-file": { description: "Read the API key from this file (keeps it out of ps)", default: undefined },
  cors: { description: "Allow these origins (comma-separated, or *) to call from a browser; off by default", default: undefined, see: "security.md" },
  "allowed-hosts": { description: "Without an API key, answer requests for these host names too (comma-separated, or *); by default only this machine's names and addresses", default: undefined, main: { value: "NAMES", summary: "without an API key, also answer requests for these host names (default: this machine)" }, see: "security.md" },
  "log-format": { description: "Access log lines on stderr: text | json", default: "text", see: "service.md" },
  "ready-file": { description: "Once ready, write {url, port, model, pid} as JSON to this file", default: undefined },
  "download-dir": { description: "Where models given by URL are downloaded (default: the platform's cache folder)", default: undefined },
  "reasoning-format": { description: "Where chat completions put a thinking model's thought: separate (reasoning_content) | inline (<think> in content) | hidden; llama-server's auto, deepseek and none are taken too", default: "separate", see: "thinking-models.md" },
  "reasoning-effort": { description: "Reasoning effort for requests that ask for none: none | minimal | low | medium | high (default: the model's own)", default: undefined, perModel: true, see: "thinking-models.md" },
  "reasoning-budget": { description: "Most tokens a thought may take, for requests that set no budget; -1: no cap", default: "-1", perModel: true, see: "thinking-models.md" },
  temp: { description: "Sampling temperature for requests that send none (llama-server's --temp); 0: greedy", default: "0.8", perModel: true },
  "chat-template": { description: "The chat format: auto or jinjaTemplate (the model's own Jinja template, rendered and parsed by llama.cpp's chat layer as llama-server does; node-llama-cpp's choice where the engine build is missing), or a node-llama-cpp wrapper: chatML, qwen, llama3.1, mistral, gemma, harmony, deepSeek, …", default: "auto", perModel: true, see: "model-families.md" },
  "chat-template-file": { description: "A Jinja chat template file to use in place of the GGUF's own (llama-server's --chat-template-file)", default: undefined, perModel: true, see: "model-families.md" },
} as const satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;

/** The flags a config file's `[models.NAME]` table may set for its model alone. */
export const MODEL_SETTING_FLAGS = (Object.keys(FLAGS) as FlagName[]).filter((name) => (FLAGS[name] as FlagSpec).perModel);
export type ModelSettingFlag = { [K in FlagName]: (typeof FLAGS)[K] extends { perModel: true } ? K : never }[FlagName];

/** The flags as given (by their long names); `--model` may be given more than once. */
export type RawFlags = Partial<Record<FlagName, string>> & { models?: string[] };

/** `ctx-size` → `OSERVE_CTX_SIZE`. */
export function envName(flag: FlagName): string {
  return `OSERVE_${flag.toUpperCase().replaceAll("-", "_")}`;
}
