// PURE: which models are served, by name: `--model [NAME=]PATH` flags and a folder's GGUF files.
import { basename, extname, join } from "node:path";
import { ConfigError } from "./errors.ts";

/** A model by name: the name requests use, and the file (or URL) it comes from. */
export interface ModelSource {
  alias: string;
  path: string;
}

/** A name a request may use for a model: letters, digits and `._:-`, as model ids go. */
export const ALIAS = /^[A-Za-z0-9][\w.:-]*$/;

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

/** The GGUF files among a folder's names, each named by its file (the first part of a split model, named without its part suffix). */
export function folderModels(dir: string, names: readonly string[]): ModelSource[] {
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

export function checkDistinct(models: readonly ModelSource[]): void {
  const seen = new Set<string>();
  for (const { alias } of models) {
    if (seen.has(alias)) throw new ConfigError(`--model: two models are named '${alias}'; name them apart with --model NAME=PATH`);
    seen.add(alias);
  }
}
