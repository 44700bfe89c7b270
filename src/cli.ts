#!/usr/bin/env node
// The single entry: flags → Config → server listening → model loaded → one ready line.
// `oserve run [flags] -- CMD ARGS…` does the same on a free port, runs CMD against it, and stops.
import { defineCommand, parseArgs, showUsage, type ArgsDef } from "citty";
import { ConfigError, envName, FLAGS, resolveConfig, type Config, type FlagName, type RawFlags } from "./config.ts";
import { runBeside } from "./child-command.ts";
import { launch } from "./launch/launch.ts";
import { startServer } from "./start.ts";
import { startupMark } from "./startup-trace.ts";
import { VERSION } from "./version.ts";

startupMark("imports");

const args = Object.fromEntries(
  Object.entries(FLAGS).map(([name, flag]) => [
    name,
    { type: "string", description: `${flag.description}${flag.default ? ` (default: ${flag.default})` : ""}; env ${envName(name as FlagName)}` },
  ]),
) as ArgsDef;

const command = defineCommand({
  meta: {
    name: "oserve",
    version: VERSION,
    description:
      "A local server for GGUF models: OpenAI's and Anthropic's APIs. `oserve run [flags] -- CMD` runs CMD against it; `oserve launch claude|codex [flags] [-- agent args]` runs a coding agent against it (`--url URL`: against one already running).",
  },
  args,
});

async function main(argv: string[]): Promise<void> {
  // What follows `--` is the child's (`oserve run … -- node -v`, `oserve launch claude -- --help`), never oserve's.
  const own = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  if (own.includes("--help") || own.includes("-h")) return showUsage(command);
  if (own.includes("--version") || own.includes("-v")) return void console.log(VERSION);
  if (argv[0] === "run") return run(argv.slice(1));
  if (argv[0] === "launch") return process.exit(await launch(argv.slice(1), configFrom));
  const config = configFrom(argv, process.env);
  let stopping = false;
  const stop = async (stopServer: () => Promise<void>) => {
    if (stopping) return;
    stopping = true;
    try {
      await stopServer();
      process.exit(0);
    } catch (error) {
      console.error(`oserve: shutdown failed: ${(error as Error)?.message ?? error}`);
      process.exit(1);
    }
  };
  await startServer(config, {
    // Signal handlers from the moment it listens: SIGTERM while the model loads exits 0 too.
    onListening: (stopServer) => {
      process.on("SIGINT", () => void stop(stopServer));
      process.on("SIGTERM", () => void stop(stopServer));
    },
    announce: (line) => console.log(line),
  });
}

/** `oserve run [flags] -- CMD ARGS…`: exits with CMD's exit code, the server stopped and its port free. */
async function run(argv: string[]): Promise<void> {
  const split = argv.indexOf("--");
  const [cmd, ...cmdArgs] = split < 0 ? [] : argv.slice(split + 1);
  if (!cmd) throw new ConfigError("oserve run needs a command after '--', e.g. oserve run --model m.gguf -- npm test");
  // A free loopback port unless told otherwise: a test fixture must not collide with anything.
  const config = configFrom(split < 0 ? argv : argv.slice(0, split), { OSERVE_PORT: "0", ...process.env });
  const code = await runBeside(async (onListening) => {
    const started = await startServer(config, {
      onListening,
      // stdout belongs to CMD: the ready line goes to stderr.
      announce: (line) => console.error(line),
    });
    const key = config.apiKey ?? "oserve";
    const env = {
      ...process.env,
      OSERVE_URL: started.url,
      OPENAI_BASE_URL: `${started.url}/v1`,
      OPENAI_API_KEY: key,
      ANTHROPIC_BASE_URL: started.url,
      ANTHROPIC_API_KEY: key,
    };
    return { child: { command: cmd, args: cmdArgs, env }, stop: started.stop };
  });
  process.exit(code);
}

function configFrom(argv: string[], env: Record<string, string | undefined>): Config {
  checkKnownFlags(argv);
  return resolveConfig({ ...(parseArgs(argv, args) as RawFlags), models: repeated(argv, "model") }, env);
}

/** Every value of a flag given more than once (citty keeps only the last). */
function repeated(argv: string[], flag: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === `--${flag}` && i + 1 < argv.length) values.push(argv[++i]!);
    else if (token.startsWith(`--${flag}=`)) values.push(token.slice(flag.length + 3));
  }
  return values;
}

/** Every flag must be one of FLAGS, followed by its value; citty itself lets strays through. */
function checkKnownFlags(argv: string[]): void {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (!token.startsWith("-")) throw new ConfigError(`unexpected argument '${token}' (flags take the form --name value; see oserve --help)`);
    const [name = "", inlineValue] = token.replace(/^--?/, "").split("=", 2);
    if (!(name in FLAGS)) throw new ConfigError(`unknown flag '${token.split("=")[0]}' (see oserve --help)`);
    if (inlineValue === undefined) i++; // the next token is this flag's value
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `${(error as Error)?.message ?? error}`;
  console.error(`oserve: ${message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
