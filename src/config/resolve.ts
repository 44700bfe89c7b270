// PURE over the files it is given (ConfigIO): flags, OSERVE_* variables and a config file resolved
// into { server, models[] }, each model's settings once; flags > env > file > defaults.
import { REASONING_FORMATS, type ReasoningFormat } from "../openai/reasoning-format.ts";
import { KEEPALIVE_MODES, type KeepaliveMode } from "../stream/keepalive-policy.ts";
import { NO_CONFIG_FILE, parseConfigFile, type ConfigFile, type FileModel } from "./config-file.ts";
import { ConfigError, unreadable } from "./errors.ts";
import { envName, FLAGS, type FlagName, type ModelSettingFlag, type RawFlags } from "./flags.ts";
import { modelSettings } from "./model-settings.ts";
import { checkDistinct, folderModels, modelEntries, type ModelSource } from "./model-sources.ts";
import { firstGiven, type Layer } from "./precedence.ts";
import type { Config, ModelEntry } from "./types.ts";
import { byteSize, integer, list, number, oneOf, onOff } from "./values.ts";

type Env = Record<string, string | undefined>;

/** What resolving reads: the config file, the API key file, the models folder, and where downloads go by default. */
export interface ConfigIO {
  readFile(path: string): string;
  /** The names in a folder. */
  listDir(path: string): string[];
  /** The platform's cache folder for downloaded models, given the environment. */
  downloadDir(env: Env): string;
}

/** The value each flag takes: flags, then env, then the config file, then the flag's default. */
function serverLayers(flags: RawFlags, env: Env, file: ConfigFile): (flag: FlagName) => string | undefined {
  const fromEnv: Layer<FlagName> = {};
  const defaults: Layer<FlagName> = {};
  for (const name of Object.keys(FLAGS) as FlagName[]) {
    fromEnv[name] = env[envName(name)];
    defaults[name] = FLAGS[name].default;
  }
  return firstGiven<FlagName>([flags, fromEnv, file.flags, defaults]);
}

export function resolveConfig(flags: RawFlags, env: Env, io: ConfigIO): Config {
  const configPath = flags.config ?? env[envName("config")];
  const file = configPath ? readConfigFile(configPath, io) : NO_CONFIG_FILE;
  const value = serverLayers(flags, env, file);
  const sources = modelSources(flags, value, file, io);
  const server = modelSettings(value);
  const models: ModelEntry[] = sources.map((source) => {
    const table = file.models.find((model) => model.alias === source.alias);
    if (!table) return { ...source, settings: server };
    const fromTable = firstGiven<ModelSettingFlag>([table.settings]);
    const own = (flag: ModelSettingFlag) => fromTable(flag) ?? value(flag);
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
  const defaultModel = (named("default-model") ?? models[0]!).alias;
  const preload = preloaded(value("preload"), defaultModel, models, file.models, (name) => byName("preload", name));
  const maxModels = value("max-models") === undefined ? models.length : integer("max-models", value("max-models"), { min: 1 });
  if (preload.length > maxModels) throw new ConfigError(`--preload names ${preload.length} models, but --max-models lets only ${maxModels} be loaded at once`);
  const keepalive = oneOf<KeepaliveMode>("keepalive", value("keepalive"), KEEPALIVE_MODES);
  const intervalSeconds = number("keepalive-interval", value("keepalive-interval"), { min: 0.001 });
  const memoryLimit = value("memory-limit");
  const idleUnload = value("idle-unload");
  return {
    models,
    server: {
      defaultModel,
      embeddingModel: named("embedding-model")?.alias ?? null,
      preload,
      maxModels,
      memoryLimit: memoryLimit === undefined ? null : byteSize("memory-limit", memoryLimit),
      idleUnloadMs: idleUnload === undefined ? null : Math.round(number("idle-unload", idleUnload, { min: 0.001 }) * 1000),
      modelsDir: value("models-dir") ?? null,
      host: value("host") as string,
      port: integer("port", value("port"), { min: 0, max: 65535 }),
      keepalive: { mode: keepalive, intervalMs: Math.round(intervalSeconds * 1000) },
      keepaliveJson: onOff("keepalive-json", value("keepalive-json")),
      flushIntervalMs: number("flush-interval-ms", value("flush-interval-ms"), { min: 0, max: 1000 }),
      maxBodyBytes: byteSize("max-body", value("max-body") as string),
      poll: integer("poll", value("poll"), { min: 0, max: 100 }),
      promptCacheBytes: integer("cache-ram", value("cache-ram"), { min: 0 }) * 2 ** 20,
      cacheDir: value("cache-dir") ?? null,
      apiKey: apiKey(value("api-key"), value("api-key-file"), io),
      corsOrigins: list(value("cors")),
      allowedHosts: list(value("allowed-hosts")),
      logFormat: oneOf("log-format", value("log-format"), ["text", "json"] as const),
      readyFile: value("ready-file") ?? null,
      downloadDir: value("download-dir") ?? io.downloadDir(env),
      reasoningFormat: reasoningFormat(value("reasoning-format")),
    },
  };
}

/**
 * Only the API key (`oserve launch --url`, which starts no server and needs no model): --api-key or
 * --api-key-file, from flags, env or the config file as for the server.
 */
export function resolveApiKey(flags: RawFlags, env: Env, io: ConfigIO): string | null {
  const configPath = flags.config ?? env[envName("config")];
  const value = serverLayers(flags, env, configPath ? readConfigFile(configPath, io) : NO_CONFIG_FILE);
  return apiKey(value("api-key"), value("api-key-file"), io);
}

/** The --model flags in order, then the config file's tables, then the --models-dir folder's files. */
function modelSources(flags: RawFlags, value: (flag: FlagName) => string | undefined, file: ConfigFile, io: ConfigIO): ModelSource[] {
  const modelsDir = value("models-dir");
  const modelFlags = flags.models && flags.models.length > 0 ? flags.models : [value("model")].filter((model) => model !== undefined);
  const sources = [...modelEntries(modelFlags, value("model-alias")), ...file.models.map(({ alias, path }) => ({ alias, path }))];
  if (modelsDir !== undefined) sources.push(...folderModels(modelsDir, listFolder(modelsDir, io)).filter((found) => !sources.some((given) => given.alias === found.alias || given.path === found.path)));
  if (sources.length === 0) {
    throw new ConfigError(modelsDir !== undefined ? `--models-dir ${modelsDir}: no GGUF files there` : `--model is required (or set ${envName("model")}): the path to a GGUF file`);
  }
  checkDistinct(sources);
  return sources;
}

/** --preload's models: `all`, `none`, or names; unset, the default model and the config file's `preload = true` ones. */
function preloaded(raw: string | undefined, defaultModel: string, models: ModelEntry[], tables: FileModel[], byName: (name: string) => ModelEntry): string[] {
  if (raw === "all") return models.map((model) => model.alias);
  if (raw === "none") return [];
  if (raw !== undefined) return [...new Set(list(raw).map((name) => byName(name).alias))];
  return [...new Set([defaultModel, ...tables.filter((table) => table.preload).map((table) => table.alias)])];
}

function readConfigFile(path: string, io: ConfigIO): ConfigFile {
  let text: string;
  try {
    text = io.readFile(path);
  } catch (error) {
    throw new ConfigError(`--config ${path}: ${unreadable(error)}`);
  }
  return parseConfigFile(path, text);
}

function listFolder(dir: string, io: ConfigIO): string[] {
  try {
    return io.listDir(dir);
  } catch (error) {
    throw new ConfigError(`--models-dir ${dir}: ${unreadable(error, "no such folder")}`);
  }
}

function apiKey(key: string | undefined, file: string | undefined, io: ConfigIO): string | null {
  if (key && file) throw new ConfigError("give --api-key or --api-key-file, not both");
  if (!file) return key ?? null;
  let text: string;
  try {
    text = io.readFile(file);
  } catch (error) {
    throw new ConfigError(`--api-key-file ${file}: ${unreadable(error)}`);
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
