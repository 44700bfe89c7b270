// PURE: a command line read against the one flag table: oserve's own part (before `--`) and the
// child's (after it, never read as oserve's), each flag known and followed by its value, `--model`
// kept every time it is given.
import type { ArgsDef } from "citty";
import { ConfigError } from "../config/errors.ts";
import { envName, FLAGS, type FlagName, type FlagSpec, type RawFlags } from "../config/flags.ts";

/** What follows `--` belongs to the command oserve runs (`oserve run … -- node -v`), never to oserve. */
export function splitAtDashes(argv: readonly string[]): { own: string[]; child: string[] } {
  const at = argv.indexOf("--");
  return at < 0 ? { own: [...argv], child: [] } : { own: argv.slice(0, at), child: argv.slice(at + 1) };
}

/** Extra flags one command takes besides the server's (launch's `--url`), by name and description. */
export type ExtraFlags = Record<string, string>;

/** The server's flags as citty's args (for --help), with what each defaults to and its env variable. */
export function serverArgs(extra: ExtraFlags = {}): ArgsDef {
  const args: ArgsDef = {};
  for (const [name, flag] of Object.entries(FLAGS) as Array<[FlagName, FlagSpec]>) {
    args[name] = { type: "string", description: `${flag.description}${flag.default ? ` (default: ${flag.default})` : ""}; env ${envName(name)}` };
  }
  for (const [name, description] of Object.entries(extra)) args[name] = { type: "string", description };
  return args;
}

export interface ParsedFlags {
  flags: RawFlags;
  /** The extra flags' values, by name. */
  extra: Record<string, string>;
  /** Arguments that are not flags, in order. */
  positionals: string[];
}

/**
 * oserve's own arguments: every flag one of FLAGS (or `extra`) followed by its value (`--name value`
 * or `--name=value`); at most `maxPositionals` bare words (a command's AGENT), else an error that
 * names the stray.
 */
export function parseFlags(own: readonly string[], { extra = {}, maxPositionals = 0 }: { extra?: ExtraFlags; maxPositionals?: number } = {}): ParsedFlags {
  const flags: RawFlags = {};
  const models: string[] = [];
  const extraValues: Record<string, string> = {};
  const positionals: string[] = [];
  for (let i = 0; i < own.length; i++) {
    const token = own[i]!;
    if (!token.startsWith("-") || token === "-") {
      if (positionals.length >= maxPositionals) throw new ConfigError(`unexpected argument '${token}' (flags take the form --name value; see oserve --help)`);
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf("=");
    const name = (eq < 0 ? token : token.slice(0, eq)).replace(/^--?/, "");
    if (!(name in FLAGS) && !(name in extra)) throw new ConfigError(`unknown flag '${eq < 0 ? token : token.slice(0, eq)}' (see oserve --help)`);
    let value: string;
    if (eq >= 0) value = token.slice(eq + 1);
    else if (i + 1 < own.length) value = own[++i]!;
    else throw new ConfigError(`${token} needs a value (see oserve --help)`);
    if (name in extra) extraValues[name] = value;
    else if (name === "model") models.push(value);
    else flags[name as FlagName] = value;
  }
  if (models.length > 0) {
    flags.model = models.at(-1);
    flags.models = models;
  }
  return { flags, extra: extraValues, positionals };
}
