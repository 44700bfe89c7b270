// PURE: a TOML config file's text → its flags (top-level keys, by the flags' long names) and its
// models (`[models.NAME]` tables: a path, preload, and the settings a model may set for itself).
import { parse as parseToml, TomlError } from "smol-toml";
import { ConfigError } from "./errors.ts";
import { FLAGS, MODEL_SETTING_FLAGS, type FlagName, type ModelSettingFlag } from "./flags.ts";
import { ALIAS, type ModelSource } from "./model-sources.ts";

/** A config file's model table: its name, file, whether to preload it, and the settings it sets itself. */
export interface FileModel extends ModelSource {
  preload: boolean;
  settings: Partial<Record<ModelSettingFlag, string>>;
}

export interface ConfigFile {
  flags: Partial<Record<FlagName, string>>;
  models: FileModel[];
}

export const NO_CONFIG_FILE: ConfigFile = { flags: {}, models: [] };

/** The file at `path` (named in errors) read from its text. */
export function parseConfigFile(path: string, text: string): ConfigFile {
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
