// The CLI: citty's commands over one flag table. `oserve [serve] [flags]`, `oserve run [flags] -- CMD`,
// `oserve launch AGENT [flags] [-- agent args]`. -h and -v are read only before `--`.
import { defineCommand, runCommand, type CommandDef, type CommandMeta } from "citty";
import { ConfigError } from "../config/errors.ts";
import { VERSION } from "../version.ts";
import { serverArgs, splitAtDashes } from "./args.ts";
import { launch } from "./launch.ts";
import { run } from "./run.ts";
import { serve } from "./serve.ts";
import { usageOf } from "./usage.ts";

const COMMANDS = { serve, run, launch } as const;

const oserve = defineCommand({
  meta: { name: "oserve", version: VERSION, description: "A local server for GGUF models: OpenAI's and Anthropic's APIs" },
  args: serverArgs(),
  subCommands: COMMANDS,
  default: "serve",
});

/** The command a command line names: its first word, where it is one; else serve. */
function commandOf(own: readonly string[]): { name: keyof typeof COMMANDS | null; def: CommandDef } {
  const first = own[0];
  if (first !== undefined && first in COMMANDS) return { name: first as keyof typeof COMMANDS, def: COMMANDS[first as keyof typeof COMMANDS] as CommandDef };
  return { name: null, def: serve as CommandDef };
}

/** The root's help lists the commands; a command's shows its own line and flags. */
function help(name: keyof typeof COMMANDS | null, def: CommandDef): string {
  if (name === null) {
    const commands = Object.fromEntries(Object.entries(COMMANDS).map(([command, sub]) => [command, (sub.meta as CommandMeta).description ?? ""]));
    return usageOf(oserve as CommandDef, "oserve", { commands });
  }
  return usageOf(def, `oserve ${name}`, { tail: TAILS[name] });
}

const TAILS: Record<keyof typeof COMMANDS, string | undefined> = { serve: undefined, run: "-- CMD [ARGS…]", launch: "[-- AGENT ARGS…]" };

export async function main(argv: string[]): Promise<void> {
  const { own } = splitAtDashes(argv);
  const { name, def } = commandOf(own);
  if (own.includes("--help") || own.includes("-h")) return void console.log(help(name, def));
  if (own.includes("--version") || own.includes("-v")) return void console.log(VERSION);
  // The command is the first word or none (serve); a later one is a stray the command's flags refuse.
  await runCommand(def, { rawArgs: name === null ? argv : argv.slice(1) });
}

/** A ConfigError is one line and exit 2; anything else one line and exit 1; never a stack trace. */
export function exitOnError(error: unknown): never {
  const message = error instanceof ConfigError ? error.message : `${(error as Error)?.message ?? error}`;
  console.error(`oserve: ${message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
