#!/usr/bin/env node
// The single entry: flags → Config → server listening → model loaded → one ready line.
import { defineCommand, parseArgs, showUsage, type ArgsDef } from "citty";
import { ConfigError, envName, FLAGS, resolveConfig, type Config, type FlagName, type RawFlags } from "./config.ts";
import { loadLlamaEngine } from "./engine/llama.ts";
import { runAsForkedScript } from "./engine/node-llama-cpp.ts";
import { checkGgufFile } from "./model-file.ts";
import { createApp, listen } from "./server.ts";
import { ServerState } from "./server-state.ts";
import { VERSION } from "./version.ts";

const args = Object.fromEntries(
  Object.entries(FLAGS).map(([name, flag]) => [
    name,
    { type: "string", description: `${flag.description}${flag.default ? ` (default: ${flag.default})` : ""}; env ${envName(name as FlagName)}` },
  ]),
) as ArgsDef;

const command = defineCommand({
  meta: { name: "oserve", version: VERSION, description: "A local, OpenAI-compatible server for GGUF models" },
  args,
});

async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) return showUsage(command);
  if (argv.includes("--version") || argv.includes("-v")) return void console.log(VERSION);
  checkKnownFlags(argv);
  const config = resolveConfig(parseArgs(argv, args) as RawFlags, process.env);
  await checkGgufFile(config.modelPath);
  await serve(config);
}

async function serve(config: Config): Promise<void> {
  const state = new ServerState(config);
  // Listen before loading, so /health can say 503 while the model loads.
  const server = await listen(createApp(state), config.host, config.port);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // Generations in flight end now: each stream gets an error frame and [DONE], each waiting
    // non-streamed request a 503; then the sockets close and the model is freed.
    state.shutdown.abort();
    try {
      await server.close();
      await state.engine?.close();
      process.exit(0);
    } catch (error) {
      console.error(`oserve: shutdown failed: ${(error as Error)?.message ?? error}`);
      process.exit(1);
    }
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  let shown = -1;
  const progress = process.stderr.isTTY
    ? (p: number) => {
        const percent = Math.round(p * 100);
        if (percent !== shown) process.stderr.write(`\rloading ${config.modelAlias}: ${(shown = percent)}%`);
      }
    : undefined;
  state.engine = await loadLlamaEngine({
    modelPath: config.modelPath,
    modelId: config.modelAlias,
    contextSize: config.ctxSize,
    threads: config.threads,
    gpuLayers: config.gpuLayers,
    parallel: config.parallel,
    maxQueue: config.maxQueue,
    onLoadProgress: progress,
  }).catch(async (error: unknown) => {
    await server.close();
    throw new ConfigError(`--model ${config.modelPath}: could not load: ${(error as Error).message ?? error}`);
  });
  if (progress) process.stderr.write("\r\x1b[K");
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  console.log(`oserve listening on http://${host}:${server.port} (model: ${config.modelAlias})`);
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

if (!(await runAsForkedScript())) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    const message = error instanceof ConfigError ? error.message : `${(error as Error)?.message ?? error}`;
    console.error(`oserve: ${message}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  });
}
