// PURE: a command's --help from its citty definition (the one flag table's args): what it does, its
// usage line, its arguments, its flags with their defaults and variables, wrapped for a terminal.
import type { ArgDef, CommandDef, CommandMeta } from "citty";

const WIDTH = 100;
const INDENT = "      ";

/** Words wrapped to `width`; the text's own leading spaces kept, each line after the first indented. */
function wrap(text: string, width: number, indent: string): string {
  const lead = /^\s*/.exec(text)![0];
  const lines: string[] = [];
  let line = lead;
  for (const word of text.trim().split(/\s+/)) {
    if (line.trim() !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line = line.trim() === "" ? line + word : `${line} ${word}`;
  }
  if (line.trim() !== "") lines.push(line);
  return lines.join("\n");
}

export interface UsageParts {
  /** The command as typed: `oserve`, `oserve run`. */
  name: string;
  meta: CommandMeta;
  args: Record<string, ArgDef>;
  /** Subcommands by name, with what each does. */
  commands?: Record<string, string>;
  /** What follows the flags in the usage line (`-- CMD ARGS…`). */
  tail?: string;
}

export function renderUsage({ name, meta, args, commands, tail }: UsageParts): string {
  const positionals = Object.entries(args).filter(([, arg]) => arg.type === "positional");
  const flags = Object.entries(args).filter(([, arg]) => arg.type !== "positional");
  const out = [wrap(meta.description ?? "", WIDTH, ""), ""];
  const words = [name, ...(commands ? [`[${Object.keys(commands).join("|")}]`] : []), ...positionals.map(([arg]) => arg.toUpperCase()), "[flags]", ...(tail ? [tail] : [])];
  out.push(`Usage: ${words.join(" ")}`, "");
  if (commands) {
    out.push("Commands:");
    for (const [command, description] of Object.entries(commands)) out.push(`  ${command.padEnd(8)}${wrap(description, WIDTH - 10, "").replaceAll("\n", `\n${" ".repeat(10)}`)}`);
    out.push("");
  }
  for (const [arg, def] of positionals) out.push(wrap(`  ${arg.toUpperCase()}  ${def.description ?? ""}`, WIDTH, INDENT), "");
  if (flags.length > 0) {
    out.push("Flags (each also an OSERVE_* variable, and a key of the --config file):");
    for (const [flag, def] of flags) out.push(`  --${flag}`, wrap(`${INDENT}${def.description ?? ""}`, WIDTH, INDENT));
  }
  return out.join("\n");
}

/** The parts citty's own definition holds. */
export function usageOf(command: CommandDef, name: string, extra: Pick<UsageParts, "commands" | "tail"> = {}): string {
  return renderUsage({ name, meta: command.meta as CommandMeta, args: command.args as Record<string, ArgDef>, ...extra });
}
