// The Config type, its defaults, OSERVE_* environment variables and validation. No I/O but env
// (and reading --api-key-file, through a function the caller may replace).
import { readdirSync, readFileSync } from "node:fs";
import { parse as parseToml, TomlError } from "smol-toml";
import { homedir } from "node:os";
import { basename, extname, join } from "node:path";
import type { ReasoningEffort } from "./engine/types.ts";
import { KEEPALIVE_MODES, type KeepaliveMode, type KeepalivePolicy } from "./stream/keepalive-policy.ts";

/** Where chat completions put a thought: `reasoning_content` (separate), in `content` between `<think>` tags (inline), or nowhere (hidden). */
export type ReasoningFormat = "separate" | "inline" | "hidden";
export const REASONING_FORMATS = ["separate", "inline", "hidden"] as const;
export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high"] as const;

/** A model by name: the name requests use, and the file (or URL) it comes from. */
export interface ModelSource {
  alias: string;
  path: string;
}

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
  /** The chat format: "auto" (the model's own template through llama.cpp's chat layer, where the engine build has it; else node-llama-cpp's choice), "jinjaTemplate" (the GGUF's own Jinja template), or a wrapper's name. */
  chatTemplate: ChatTemplate;
  /** A Jinja chat template file to use in place of the GGUF's own; null: the GGUF's. */
  chatTemplateFile: string | null;
}

/** node-llama-cpp 3.22.1's chat wrappers by name (its specializedChatWrapperTypeNames; test/config.test.ts checks), with auto and the GGUF's own Jinja template. */
export const CHAT_TEMPLATES = ["auto", "jinjaTemplate", "general", "deepSeek", "qwen", "llama3.2-lightweight", "llama3.1", "llama3", "llama2Chat", "mistral", "alpacaChat", "functionary", "chatML", "falconChat", "gemma4", "gemma", "harmony", "muse", "seed"] as const;
export type ChatTemplate = (typeof CHAT_TEMPLATES)[number];

/** One model the server serves, with its own settings. */
export interface ModelEntry extends ModelSource {
  settings: ModelSettings;
}

/** The flags a config file's `[models.NAME]` table may set for its model alone. */
export const MODEL_SETTING_FLAGS = ["ctx-size", "max-tokens", "threads", "gpu-layers", "repack", "parallel", "max-queue", "reasoning-effort", "reasoning-budget", "temp", "chat-template", "chat-template-file"] as const;
type ModelSettingFlag = (typeof MODEL_SETTING_FLAGS)[number];

/** The server's settings; its ModelSettings are those of every model that sets none of its own. */
export interface Config extends ModelSettings {
  /** The default model's file or URL: for requests that name no model, or a name none has. */
  modelPath: string;
  /** The default model's name in /v1/models and in every response. */
  modelAlias: string;
  /** Every model served: the --model flags in order, then the config file's, then the --models-dir folder's. */
  models: ModelEntry[];
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

/** A bad flag or environment value: reported as one line, never a stack trace. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Every flag, its env variable, default and meaning: the CLI and the README are built on this. */
export const FLAGS = {
  model: { description: "Path to a GGUF model file, or NAME=PATH; give it again to serve more models (the first is the default; required unless --models-dir or --config names models)", default: undefined },
  "models-dir": { description: "Serve every GGUF file in this folder, each named by its file name", default: undefined },
  config: { description: "A TOML file of flags (same names) and per-model settings in [models.NAME] tables; flags and env win over it", default: undefined },
  host: { description: "Address to listen on", default: "127.0.0.1" },
  port: { description: "Port to listen on; 0 picks a free one", default: "8080" },
  keepalive: { description: "SSE keepalive: chunk | comment | off", default: "chunk" },
  "keepalive-interval": { description: "Seconds between keepalives while nothing else is sent", default: "10" },
  "keepalive-json": { description: "Keep slow non-streamed answers alive with leading spaces: on | off", default: "off" },
  "flush-interval-ms": { description: "A stream writes at most once per this many milliseconds; tokens that come faster go out together (0: each at once)", default: "10" },
  "ctx-size": { description: "Context tokens per request (default: the model's trained length, or the largest that fits in memory)", default: undefined },
  "max-tokens": { description: "Output tokens for requests that ask for none, and the most any request gets (llama-server's -n); -1: no cap but the context's", default: "-1" },
  threads: { description: "Decoding threads (default: every core with oserve's engine build, one less with node-llama-cpp's prebuilt)", default: undefined },
  "gpu-layers": { description: "Layers to offload to a GPU: auto or a number (0 = CPU only)", default: "auto" },
  repack: { description: "Repack weights at load into this CPU's faster layouts (AMX and others): on | off (llama-server's --no-repack)", default: "on" },
  "default-model": { description: "The model (by name) for requests that name none, or a name no model has (default: the first --model)", default: undefined },
  "embedding-model": { description: "The model (by name) for embedding requests that name none, or a name no model has (default: the default model)", default: undefined },
  preload: { description: "Models (by name, comma-separated) loaded at startup; all | none (default: the default model); the others load on first use", default: undefined },
  "max-models": { description: "Most models loaded at once; the least recently used idle one is unloaded for another (default: no cap but memory)", default: undefined },
  "memory-limit": { description: "Most memory the loaded models may take together, e.g. 8g (default: what the machine has available when one loads)", default: undefined },
  "idle-unload": { description: "Unload a model nobody used for this many seconds (default: never)", default: undefined },
  "model-alias": { description: "Model name reported to clients (default: file name without extension)", default: undefined },
  parallel: { description: "Requests decoded at once, each in its own sequence", default: "4" },
  "max-queue": { description: "Requests that may wait for a free slot before 429", default: "64" },
  "max-body": { description: "Largest request body, e.g. 10mb, 512kb, 1048576", default: "10mb" },
  "api-key": { description: "Require this key (Authorization: Bearer KEY) on every route but /health", default: undefined },
  "api-key-file": { description: "Read the API key from this file (keeps it out of ps)", default: undefined },
  cors: { description: "Allow these origins (comma-separated, or *) to call from a browser; off by default", default: undefined },
  "allowed-hosts": { description: "Without an API key, answer requests for these host names too (comma-separated, or *); by default only this machine's names and addresses", default: undefined },
  "log-format": { description: "Access log lines on stderr: text | json", default: "text" },
  "ready-file": { description: "Once ready, write {url, port, model, pid} as JSON to this file", default: undefined },
  "download-dir": { description: "Where models given by URL are downloaded (default: the platform's cache folder)", default: undefined },
  "reasoning-format": { description: "Where chat completions put a thinking model's thought: separate (reasoning_content) | inline (<think> in content) | hidden", default: "separate" },
  "reasoning-effort": { description: "Reasoning effort for requests that ask for none: none | minimal | low | medium | high (default: the model's own)", default: undefined },
  "reasoning-budget": { description: "Most tokens a thought may take, for requests that set no budget; -1: no cap", default: "-1" },
  temp: { description: "Sampling temperature for requests that send none (llama-server's --temp); 0: greedy", default: "0.8" },
  "chat-template": { description: "The chat format: auto or jinjaTemplate (the model's own Jinja template, rendered and parsed by llama.cpp's chat layer as llama-server does; node-llama-cpp's choice where the engine build is missing), or a node-llama-cpp wrapper: chatML, qwen, llama3.1, mistral, gemma, harmony, deepSeek, …", default: "auto" },
  "chat-template-file": { description: "A Jinja chat template file to use in place of the GGUF's own (llama-server's --chat-template-file)", default: undefined },
} as const;

export type FlagName = keyof typeof FLAGS;
/** The flags as given; `--model` may be given more than once. */
export type RawFlags = Partial<Record<FlagName, string>> & { models?: string[] };

/** `ctx-size` → `OSERVE_CTX_SIZE`. */
export function envName(flag: FlagName): string {
  return `OSERVE_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** Where resolveConfig reads files: the API key file, the config file, the models folder. */
export interface ConfigFiles {
  readFile(path: string): string;
  /** The names in a folder. */
  listDir(path: string): string[];
}

const FILES: ConfigFiles = { readFile: (path) => readFileSync(path, "utf8"), listDir: (path) => readdirSync(path) };

/** Flags win over environment variables, which win over the config file (--config), which wins over defaults. */
export function resolveConfig(flags: RawFlags, env: Record<string, string | undefined>, files: Partial<ConfigFiles> | ((path: string) => string) = {}): Config {
  const io: ConfigFiles = typeof files === "function" ? { ...FILES, readFile: files } : { ...FILES, ...files };
  const configPath = flags.config ?? env[envName("config")];
  const file = configPath ? readConfigFile(configPath, io.readFile) : { flags: {}, models: [] };
  // An empty value is no value: `OSERVE_API_KEY=` leaves the config file's key in force, rather than
  // turning it off.
  const value = (flag: FlagName): string | undefined => {
    for (const raw of [flags[flag], env[envName(flag)], file.flags[flag], FLAGS[flag].default]) {
      const text = raw === undefined ? "" : String(raw).trim();
      if (text !== "") return text;
    }
    return undefined;
  };
  const modelsDir = value("models-dir") ?? null;
  const modelFlags = flags.models && flags.models.length > 0 ? flags.models : [value("model")].filter((model) => model !== undefined);
  const sources = [...modelEntries(modelFlags, value("model-alias")), ...file.models.map(({ alias, path }) => ({ alias, path }))];
  if (modelsDir !== null) sources.push(...folderModels(modelsDir, io.listDir).filter((found) => !sources.some((given) => given.alias === found.alias || given.path === found.path)));
  if (sources.length === 0) {
    throw new ConfigError(
      modelsDir !== null ? `--models-dir ${modelsDir}: no GGUF files there` : `--model is required (or set ${envName("model")}): the path to a GGUF file`,
    );
  }
  checkDistinct(sources);
  const server = modelSettings((flag) => value(flag));
  const models: ModelEntry[] = sources.map((source) => {
    const table = file.models.find((model) => model.alias === source.alias);
    if (!table) return { ...source, settings: server };
    const own = (flag: ModelSettingFlag) => (flag in table.settings ? table.settings[flag] : value(flag));
    try {
      return { ...source, settings: modelSettings(own) };
    } catch (error) {
      throw new ConfigError(`${configPath}: [models.${source.alias}]: ${(error as Error).message.replace(/^--/, "")}`);
    }
  });
  const byName = (flag: FlagName, name: string): ModelEntry => {
    const model = models.find((entry) => entry.alias === name);
    if (!model) throw new ConfigError(`--${flag} ${name}: no model has that name (${models.map((entry) => entry.alias).join(", ")})`);
    return model;
  };
  const named = (flag: "default-model" | "embedding-model"): ModelEntry | undefined => {
    const name = value(flag);
    return name === undefined ? undefined : byName(flag, name);
  };
  const { path: modelPath, alias: modelAlias } = named("default-model") ?? models[0]!;
  const preload = preloaded(value("preload"), modelAlias, models, file.models, (name) => byName("preload", name));
  const maxModels = value("max-models") === undefined ? models.length : integer("max-models", value("max-models"), { min: 1 });
  if (preload.length > maxModels) throw new ConfigError(`--preload names ${preload.length} models, but --max-models lets only ${maxModels} be loaded at once`);
  const keepalive = value("keepalive") as KeepaliveMode;
  if (!KEEPALIVE_MODES.includes(keepalive)) {
    throw new ConfigError(`--keepalive must be one of ${KEEPALIVE_MODES.join(", ")}, not '${keepalive}'`);
  }
  const intervalSeconds = number("keepalive-interval", value("keepalive-interval"), { min: 0.001 });
  const memoryLimit = value("memory-limit");
  const idleUnload = value("idle-unload");
  return {
    modelPath,
    modelAlias,
    models,
    embeddingModel: named("embedding-model")?.alias ?? null,
    preload,
    maxModels,
    memoryLimit: memoryLimit === undefined ? null : byteSize("memory-limit", memoryLimit),
    idleUnloadMs: idleUnload === undefined ? null : Math.round(number("idle-unload", idleUnload, { min: 0.001 }) * 1000),
    modelsDir,
    host: value("host") as string,
    port: integer("port", value("port"), { min: 0, max: 65535 }),
    keepalive: { mode: keepalive, intervalMs: Math.round(intervalSeconds * 1000) },
    keepaliveJson: onOff("keepalive-json", value("keepalive-json")),
    flushIntervalMs: number("flush-interval-ms", value("flush-interval-ms"), { min: 0, max: 1000 }),
    ...server,
    maxBodyBytes: byteSize("max-body", value("max-body") as string),
    apiKey: apiKey(value("api-key"), value("api-key-file"), io.readFile),
    corsOrigins: (value("cors") ?? "").split(",").map((origin) => origin.trim()).filter(Boolean),
    allowedHosts: (value("allowed-hosts") ?? "").split(",").map((name) => name.trim()).filter(Boolean),
    logFormat: oneOf("log-format", value("log-format"), ["text", "json"] as const),
    readyFile: value("ready-file") ?? null,
    downloadDir: value("download-dir") ?? defaultDownloadDir(env),
    reasoningFormat: reasoningFormat(value("reasoning-format")),
  };
}

/** The settings one model gets, from `value` (its own table's, else the server's flags). */
function modelSettings(value: (flag: ModelSettingFlag) => string | undefined): ModelSettings {
  const ctxSize = value("ctx-size");
  const maxTokens = value("max-tokens");
  const threads = value("threads");
  const gpuLayers = value("gpu-layers");
  const effort = value("reasoning-effort");
  const budget = value("reasoning-budget");
  return {
    ctxSize: ctxSize === undefined ? null : integer("ctx-size", ctxSize, { min: 16 }),
    maxTokens: maxTokens === "-1" ? null : integer("max-tokens", maxTokens, { min: 1 }),
    threads: threads === undefined ? null : integer("threads", threads, { min: 1 }),
    gpuLayers: gpuLayers === undefined || gpuLayers === "auto" ? "auto" : integer("gpu-layers", gpuLayers, { min: 0 }),
    repack: onOff("repack", value("repack")),
    parallel: integer("parallel", value("parallel"), { min: 1, max: 256 }),
    maxQueue: integer("max-queue", value("max-queue"), { min: 0 }),
    reasoningEffort: effort === undefined ? null : oneOf("reasoning-effort", effort, REASONING_EFFORTS),
    reasoningBudget: budget === "-1" ? null : integer("reasoning-budget", budget, { min: 0 }),
    temperature: number("temp", value("temp"), { min: 0, max: 100 }),
    chatTemplate: oneOf("chat-template", value("chat-template"), CHAT_TEMPLATES),
    chatTemplateFile: value("chat-template-file") ?? null,
  };
}

/** --preload's models: `all`, `none`, or names; unset, the default model and the config file's `preload = true` ones. */
function preloaded(raw: string | undefined, defaultModel: string, models: ModelEntry[], tables: FileModel[], byName: (name: string) => ModelEntry): string[] {
  if (raw === "all") return models.map((model) => model.alias);
  if (raw === "none") return [];
  if (raw !== undefined) return [...new Set(raw.split(",").map((name) => byName(name.trim()).alias))];
  return [...new Set([defaultModel, ...tables.filter((table) => table.preload).map((table) => table.alias)])];
}

/** A config file's model table: its name, file, whether to preload it, and the settings it sets itself. */
interface FileModel extends ModelSource {
  preload: boolean;
  settings: Partial<Record<ModelSettingFlag, string>>;
}

/** A TOML config file: top-level keys are flags by their long names; `[models.NAME]` tables are models. */
function readConfigFile(path: string, readFile: (path: string) => string): { flags: Partial<Record<FlagName, string>>; models: FileModel[] } {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new ConfigError(`--config ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  let table: Record<string, unknown>;
  try {
    table = parseToml(text);
  } catch (error) {
    const where = error instanceof TomlError ? ` (line ${error.line}, column ${error.column})` : "";
    throw new ConfigError(`--config ${path}: not valid TOML${where}: ${(error as Error).message.split("\n")[0]}`);
  }
  const flags: Partial<Record<FlagName, string>> = {};
  const models: FileModel[] = [];
  for (const [key, raw] of Object.entries(table)) {
    if (key === "models") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError(`--config ${path}: 'models' must be tables, [models.NAME] with a path`);
      for (const [alias, model] of Object.entries(raw)) models.push(fileModel(path, alias, model));
      continue;
    }
    if (!(key in FLAGS) || key === "config") throw new ConfigError(`--config ${path}: unknown setting '${key}' (settings are the flags' long names; see oserve --help)`);
    flags[key as FlagName] = scalar(path, key, raw);
  }
  return { flags, models };
}

function fileModel(path: string, alias: string, raw: unknown): FileModel {
  const where = `--config ${path}: [models.${alias}]`;
  if (!ALIAS.test(alias)) throw new ConfigError(`${where}: a model's name may have letters, digits and ._:- only`);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError(`${where}: must be a table with a path`);
  const entry: FileModel = { alias, path: "", preload: false, settings: {} };
  for (const [key, value] of Object.entries(raw)) {
    if (key === "path" && typeof value === "string" && value.trim() !== "") entry.path = value.trim();
    else if (key === "preload" && typeof value === "boolean") entry.preload = value;
    else if ((MODEL_SETTING_FLAGS as readonly string[]).includes(key)) entry.settings[key as ModelSettingFlag] = scalar(path, `models.${alias}.${key}`, value);
    else throw new ConfigError(`${where}: unknown or malformed '${key}' (a model takes path, preload, ${MODEL_SETTING_FLAGS.join(", ")})`);
  }
  if (entry.path === "") throw new ConfigError(`${where}: the path is missing`);
  return entry;
}

/** A TOML value as the flag's text: numbers and strings as they are, booleans as on/off, lists joined by commas. */
function scalar(path: string, key: string, value: unknown): string {
  if (typeof value === "string" || typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "on" : "off";
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value.join(",");
  throw new ConfigError(`--config ${path}: '${key}' must be a string, a number, a boolean or a list of strings`);
}

/** The GGUF files in a folder, each named by its file (the first part of a split model, named without its part suffix). */
export function folderModels(dir: string, listDir: (path: string) => string[]): ModelSource[] {
  let names: string[];
  try {
    names = listDir(dir);
  } catch (error) {
    throw new ConfigError(`--models-dir ${dir}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such folder" : (error as Error).message}`);
  }
  const models: ModelSource[] = [];
  for (const name of [...names].sort()) {
    if (!/\.gguf$/i.test(name) || /^mmproj/i.test(name)) continue; // a vision projector is no model of its own
    const split = /-(\d{5})-of-\d{5}\.gguf$/i.exec(name);
    if (split && split[1] !== "00001") continue;
    const stem = split ? name.slice(0, split.index) : name.replace(/\.gguf$/i, "");
    const alias = stem.replace(/[^\w.:-]/g, "-").replace(/^[^A-Za-z0-9]+/, "");
    if (alias !== "") models.push({ alias, path: join(dir, name) });
  }
  return models;
}

function checkDistinct(models: readonly ModelSource[]): void {
  const seen = new Set<string>();
  for (const { alias } of models) {
    if (seen.has(alias)) throw new ConfigError(`--model: two models are named '${alias}'; name them apart with --model NAME=PATH`);
    seen.add(alias);
  }
}

function apiKey(key: string | undefined, file: string | undefined, readFile: (path: string) => string): string | null {
  if (key && file) throw new ConfigError("give --api-key or --api-key-file, not both");
  if (!file) return key ?? null;
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    throw new ConfigError(`--api-key-file ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  const fromFile = text.trim();
  if (!fromFile) throw new ConfigError(`--api-key-file ${file}: the file is empty`);
  return fromFile;
}

/** llama-server's names are taken too: `auto` and `deepseek` are separate, `none` is inline. */
function reasoningFormat(raw: string | undefined): ReasoningFormat {
  const aliases: Record<string, ReasoningFormat> = { auto: "separate", deepseek: "separate", none: "inline" };
  return aliases[raw ?? ""] ?? oneOf("reasoning-format", raw, REASONING_FORMATS);
}

function oneOf<T extends string>(flag: FlagName, raw: string | undefined, allowed: readonly T[]): T {
  if (allowed.includes(raw as T)) return raw as T;
  throw new ConfigError(`--${flag} must be one of ${allowed.join(", ")}, not '${raw}'`);
}

/** A name a request may use for a model: letters, digits and `._:-`, as model ids go. */
const ALIAS = /^[A-Za-z0-9][\w.:-]*$/;

/**
 * `--model PATH` or `--model ALIAS=PATH`, each flag a model; the first is the default. Without an
 * alias a model is named by its file, without `.gguf`; `--model-alias` names the first. A URL's own
 * `=` (in its query) is never taken for an alias: what stands before the first `=` must be a name.
 */
export function modelEntries(flags: readonly string[], firstAlias?: string): ModelSource[] {
  const entries = flags.map((flag, i): ModelSource => {
    if (flag.trim() === "") throw new ConfigError("--model needs a path: --model PATH or --model NAME=PATH");
    const split = flag.indexOf("=");
    const alias = split > 0 ? flag.slice(0, split).trim() : "";
    // A URL or hf: reference has a '/' before any '=' of its query, which no name has.
    if (split > 0 && ALIAS.test(alias)) return { alias, path: flag.slice(split + 1).trim() };
    const file = flag.split(/[?#]/)[0]!;
    return { alias: (i === 0 ? firstAlias : undefined) ?? basename(file, extname(file)), path: flag };
  });
  for (const entry of entries) if (entry.path === "") throw new ConfigError(`--model ${entry.alias}=: the path is missing`);
  checkDistinct(entries);
  return entries;
}

/** The platform's cache folder for downloaded models. */
function defaultDownloadDir(env: Record<string, string | undefined>): string {
  if (process.platform === "darwin") return join(homedir(), "Library", "Caches", "oserve", "models");
  if (process.platform === "win32") return join(env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local"), "oserve", "models");
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "oserve", "models");
}

function onOff(flag: FlagName, raw: string | undefined): boolean {
  if (raw === "on" || raw === "off") return raw === "on";
  throw new ConfigError(`--${flag} must be on or off, not '${raw}'`);
}

function number(flag: FlagName, raw: string | undefined, { min, max = Infinity }: { min: number; max?: number }): number {
  const parsed = Number(raw);
  if (raw === undefined || !Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(`--${flag} must be a number ${max < Infinity ? `from ${min} to ${max}` : `of at least ${min}`}, not '${raw}'`);
  }
  return parsed;
}

function integer(flag: FlagName, raw: string | undefined, { min, max = Number.MAX_SAFE_INTEGER }: { min: number; max?: number }): number {
  const parsed = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || parsed < min || parsed > max) {
    throw new ConfigError(`--${flag} must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}, not '${raw}'`);
  }
  return parsed;
}

const UNIT_BYTES: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `10mb`, `512KB`, `1.5m`, `1048576` → bytes. */
function byteSize(flag: FlagName, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(raw);
  const bytes = match ? Math.floor(Number(match[1]) * (UNIT_BYTES[(match[2] ?? "").toLowerCase()] ?? NaN)) : NaN;
  if (!Number.isFinite(bytes) || bytes < 1) throw new ConfigError(`--${flag} must be a size such as 10mb, 512kb or 1048576, not '${raw}'`);
  return bytes;
}
