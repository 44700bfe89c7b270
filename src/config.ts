// The Config type, its defaults, OSERVE_* environment variables and validation. No I/O but env
// (and reading --api-key-file, through a function the caller may replace).
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, extname, join } from "node:path";
import type { ReasoningEffort } from "./engine/types.ts";
import { KEEPALIVE_MODES, type KeepaliveMode, type KeepalivePolicy } from "./stream/keepalive-policy.ts";

/** Where chat completions put a thought: `reasoning_content` (separate), in `content` between `<think>` tags (inline), or nowhere (hidden). */
export type ReasoningFormat = "separate" | "inline" | "hidden";
export const REASONING_FORMATS = ["separate", "inline", "hidden"] as const;
export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high"] as const;

/** One model the server serves: the name requests use, and the file (or URL) it comes from. */
export interface ModelEntry {
  alias: string;
  path: string;
}

export interface Config {
  /** The default model's file or URL: for requests that name no model, or a name none has. */
  modelPath: string;
  /** The default model's name in /v1/models and in every response. */
  modelAlias: string;
  /** Every model served, in the order given; each loaded at startup. */
  models: ModelEntry[];
  /** The model that embeds for requests that name none, or a name no model has; null: the default model. */
  embeddingModel: string | null;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** What a stream sends while nothing else is sent, and how often. */
  keepalive: KeepalivePolicy;
  /** Non-streamed answers not ready after one keepalive interval get their headers, then a space every interval. */
  keepaliveJson: boolean;
  /** A stream writes at most once per this many ms; frames that come sooner go out together. 0: each at once. */
  flushIntervalMs: number;
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
  /** Largest request body in bytes. */
  maxBodyBytes: number;
  /** Every route but /health needs it (`Authorization: Bearer KEY`, or `x-api-key` on Anthropic routes); null: open. */
  apiKey: string | null;
  /** Origins allowed by CORS (`*` for any); empty: CORS off. */
  corsOrigins: string[];
  /** One access line per request on stderr, as text or JSON. */
  logFormat: "text" | "json";
  /** Where to write `{url, port, model, pid}` once ready; null: nowhere. */
  readyFile: string | null;
  /** Where models given by URL (`https://…`, `hf:…`) are downloaded to and found again. */
  modelsDir: string;
  /** Where chat completions put the thought. */
  reasoningFormat: ReasoningFormat;
  /** For requests that name none; null: the model format's own default. */
  reasoningEffort: ReasoningEffort | null;
  /** Most thought tokens for requests that name no budget; null: no cap beyond the answer's. */
  reasoningBudget: number | null;
}

/** A bad flag or environment value: reported as one line, never a stack trace. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Every flag, its env variable, default and meaning: the CLI and the README are built on this. */
export const FLAGS = {
  model: { description: "Path to a GGUF model file, or NAME=PATH; give it again to serve more models (the first is the default; required)", default: undefined },
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
  "model-alias": { description: "Model name reported to clients (default: file name without extension)", default: undefined },
  parallel: { description: "Requests decoded at once, each in its own sequence", default: "4" },
  "max-queue": { description: "Requests that may wait for a free slot before 429", default: "64" },
  "max-body": { description: "Largest request body, e.g. 10mb, 512kb, 1048576", default: "10mb" },
  "api-key": { description: "Require this key (Authorization: Bearer KEY) on every route but /health", default: undefined },
  "api-key-file": { description: "Read the API key from this file (keeps it out of ps)", default: undefined },
  cors: { description: "Allow these origins (comma-separated, or *) to call from a browser; off by default", default: undefined },
  "log-format": { description: "Access log lines on stderr: text | json", default: "text" },
  "ready-file": { description: "Once ready, write {url, port, model, pid} as JSON to this file", default: undefined },
  "models-dir": { description: "Where models given by URL are downloaded (default: the platform's cache folder)", default: undefined },
  "reasoning-format": { description: "Where chat completions put a thinking model's thought: separate (reasoning_content) | inline (<think> in content) | hidden", default: "separate" },
  "reasoning-effort": { description: "Reasoning effort for requests that ask for none: none | minimal | low | medium | high (default: the model's own)", default: undefined },
  "reasoning-budget": { description: "Most tokens a thought may take, for requests that set no budget; -1: no cap", default: "-1" },
} as const;

export type FlagName = keyof typeof FLAGS;
/** The flags as given; `--model` may be given more than once. */
export type RawFlags = Partial<Record<FlagName, string>> & { models?: string[] };

/** `ctx-size` → `OSERVE_CTX_SIZE`. */
export function envName(flag: FlagName): string {
  return `OSERVE_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** Flags win over environment variables, which win over defaults. */
export function resolveConfig(
  flags: RawFlags,
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = (path) => readFileSync(path, "utf8"),
): Config {
  const value = (flag: FlagName): string | undefined => {
    const raw = flags[flag] ?? env[envName(flag)] ?? FLAGS[flag].default;
    return raw === undefined || raw === "" ? undefined : String(raw).trim();
  };
  const modelFlags = flags.models && flags.models.length > 0 ? flags.models : [value("model")].filter((model) => model !== undefined);
  if (modelFlags.length === 0) throw new ConfigError(`--model is required (or set ${envName("model")}): the path to a GGUF file`);
  const models = modelEntries(modelFlags, value("model-alias"));
  const named = (flag: "default-model" | "embedding-model"): ModelEntry | undefined => {
    const name = value(flag);
    if (name === undefined) return undefined;
    const model = models.find((entry) => entry.alias === name);
    if (!model) throw new ConfigError(`--${flag} ${name}: no --model has that name (${models.map((entry) => entry.alias).join(", ")})`);
    return model;
  };
  const { path: modelPath, alias: modelAlias } = named("default-model") ?? models[0]!;
  const keepalive = value("keepalive") as KeepaliveMode;
  if (!KEEPALIVE_MODES.includes(keepalive)) {
    throw new ConfigError(`--keepalive must be one of ${KEEPALIVE_MODES.join(", ")}, not '${keepalive}'`);
  }
  const intervalSeconds = number("keepalive-interval", value("keepalive-interval"), { min: 0.001 });
  const ctxSize = value("ctx-size");
  const maxTokens = value("max-tokens");
  const threads = value("threads");
  const gpuLayers = value("gpu-layers");
  const effort = value("reasoning-effort");
  const budget = value("reasoning-budget");
  return {
    modelPath,
    modelAlias,
    models,
    embeddingModel: named("embedding-model")?.alias ?? null,
    host: value("host") as string,
    port: integer("port", value("port"), { min: 0, max: 65535 }),
    keepalive: { mode: keepalive, intervalMs: Math.round(intervalSeconds * 1000) },
    keepaliveJson: onOff("keepalive-json", value("keepalive-json")),
    flushIntervalMs: number("flush-interval-ms", value("flush-interval-ms"), { min: 0, max: 1000 }),
    ctxSize: ctxSize === undefined ? null : integer("ctx-size", ctxSize, { min: 16 }),
    maxTokens: maxTokens === "-1" ? null : integer("max-tokens", maxTokens, { min: 1 }),
    threads: threads === undefined ? null : integer("threads", threads, { min: 1 }),
    gpuLayers: gpuLayers === undefined || gpuLayers === "auto" ? "auto" : integer("gpu-layers", gpuLayers, { min: 0 }),
    repack: onOff("repack", value("repack")),
    parallel: integer("parallel", value("parallel"), { min: 1, max: 256 }),
    maxQueue: integer("max-queue", value("max-queue"), { min: 0 }),
    maxBodyBytes: byteSize("max-body", value("max-body") as string),
    apiKey: apiKey(value("api-key"), value("api-key-file"), readFile),
    corsOrigins: (value("cors") ?? "").split(",").map((origin) => origin.trim()).filter(Boolean),
    logFormat: oneOf("log-format", value("log-format"), ["text", "json"] as const),
    readyFile: value("ready-file") ?? null,
    modelsDir: value("models-dir") ?? defaultModelsDir(env),
    reasoningFormat: reasoningFormat(value("reasoning-format")),
    reasoningEffort: effort === undefined ? null : oneOf("reasoning-effort", effort, REASONING_EFFORTS),
    reasoningBudget: budget === "-1" ? null : integer("reasoning-budget", budget, { min: 0 }),
  };
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
export function modelEntries(flags: readonly string[], firstAlias?: string): ModelEntry[] {
  const entries = flags.map((flag, i): ModelEntry => {
    if (flag.trim() === "") throw new ConfigError("--model needs a path: --model PATH or --model NAME=PATH");
    const split = flag.indexOf("=");
    const alias = split > 0 ? flag.slice(0, split).trim() : "";
    // A URL or hf: reference has a '/' before any '=' of its query, which no name has.
    if (split > 0 && ALIAS.test(alias)) return { alias, path: flag.slice(split + 1).trim() };
    const file = flag.split(/[?#]/)[0]!;
    return { alias: (i === 0 ? firstAlias : undefined) ?? basename(file, extname(file)), path: flag };
  });
  for (const entry of entries) if (entry.path === "") throw new ConfigError(`--model ${entry.alias}=: the path is missing`);
  const seen = new Set<string>();
  for (const { alias } of entries) {
    if (seen.has(alias)) throw new ConfigError(`--model: two models are named '${alias}'; name them apart with --model NAME=PATH`);
    seen.add(alias);
  }
  return entries;
}

/** The platform's cache folder for downloaded models. */
function defaultModelsDir(env: Record<string, string | undefined>): string {
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
