// Starts a server from a Config: listen, find (or download) the model, load it, say so.
import { rename, writeFile } from "node:fs/promises";
import { ConfigError, type Config, type ModelEntry } from "./config.ts";
import { capJitTier } from "./jit-tier.ts";
import { describeEngine } from "./engine/engine-build.ts";
import { describeWeights, isRepacked } from "./engine/weights.ts";
import { loadLlamaEngine, type LlamaEngine } from "./engine/llama.ts";
import { checkGgufFile, isModelUri, resolveModel } from "./model-file.ts";
import { createApp, listen } from "./server.ts";
import { ServerState } from "./server-state.ts";
import { describeStartup, startupMark, traceStartupWanted } from "./startup-trace.ts";

export interface Started {
  url: string;
  port: number;
  /** Tokens one request may hold, prompt and output together. */
  contextSize: number;
  /** Sets the output cap where --max-tokens set none (for an agent that has no knob of its own). */
  capOutput(tokens: number): void;
  /** Ends generations in flight (error frames, 503s), closes the sockets, frees the model. */
  stop(): Promise<void>;
}

export interface StartHooks {
  /** The server listens (answering 503 while the model loads); `stop` stops it. */
  onListening(stop: () => Promise<void>): void;
  /** The ready line, once the model is loaded. */
  announce(line: string): void;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export interface StartOptions {
  /** Without --ctx-size, the least window to serve, past the model's trained length if need be (oserve launch: what the agent needs). */
  minContextSize?: number;
}

export async function startServer(config: Config, hooks: StartHooks, options: StartOptions = {}): Promise<Started> {
  for (const model of config.models) if (!isModelUri(model.path)) await checkGgufFile(model.path);
  const state = new ServerState(config);
  // Listen before loading, so /health can say 503 while the models load.
  const server = await listen(createApp(state), config.host, config.port);
  startupMark("listen");
  const stop = async () => {
    state.shutdown.abort();
    await server.close();
    for (const engine of state.engines.values()) await engine.close();
  };
  hooks.onListening(stop);
  if (!LOOPBACK.test(config.host) && config.apiKey === null) {
    console.error(`oserve: warning: listening on ${config.host} without --api-key: anyone who can reach this address can use the model`);
  }
  const engines: LlamaEngine[] = [];
  try {
    for (const model of config.models) engines.push(await loadModel(config, model, options));
  } catch (error) {
    await Promise.allSettled(engines.map((engine) => engine.close()));
    await server.close();
    throw error;
  }
  // Served from here on; the default model (--default-model, else the first) is what the ready line,
  // the ready file and `oserve launch` describe.
  const engine = state.serve(engines as [LlamaEngine, ...LlamaEngine[]]);
  // Only now: the load's own JavaScript (node-llama-cpp reads the GGUF's metadata, a vocabulary of
  // 150k tokens, in JS) ran some 0.4 s slower at the baseline tier; serving is what the cap is for.
  capJitTier();
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
  console.error(`oserve: ${describeEngine(engine.build, engine.gpu)}, ${engine.threads} ${engine.threads === 1 ? "thread" : "threads"}`);
  for (const loaded of engines) {
    // One model: the lines as they always were; several: each named.
    const named = engines.length > 1 ? `${loaded.modelId}: ` : "";
    console.error(`oserve: ${named}${describeWeights(loaded.weights)}`);
    console.error(`oserve: ${named}${describeContext(config, loaded)}`);
  }
  if (!config.repack && engines.some((loaded) => loaded.weights.some(isRepacked))) {
    console.error("oserve: warning: --repack off is not supported by this engine build, which repacked anyway (npm run build:engine builds one that supports it)");
  }
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${server.port}`;
  if (config.readyFile) {
    // Written whole or not at all: a script polling for the file never reads half of it.
    const temporary = `${config.readyFile}.${process.pid}.tmp`;
    const models = config.models.length > 1 ? { models: config.models.map((model) => model.alias) } : {};
    await writeFile(temporary, `${JSON.stringify({ url, port: server.port, model: config.modelAlias, ...models, pid: process.pid })}\n`);
    await rename(temporary, config.readyFile);
  }
  // Last, so that whoever waits for this line finds the ready file there too.
  if (traceStartupWanted()) console.error(`oserve: ${describeStartup()}`);
  hooks.announce(`oserve listening on ${url} (model: ${config.models.map((model) => model.alias).join(", ")})`);
  const capOutput = (tokens: number) => {
    for (const loaded of engines) if (loaded.maxTokens === null) loaded.maxTokens = Math.min(tokens, loaded.contextSize);
  };
  return { url, port: server.port, contextSize: engine.contextSize, capOutput, stop };
}

/** Finds (or downloads) one model and loads it; a failure names the model. */
async function loadModel(config: Config, model: ModelEntry, options: StartOptions): Promise<LlamaEngine> {
  const modelPath = await resolveModel(model.path, config.modelsDir);
  return loadLlamaEngine({
    modelPath,
    modelId: model.alias,
    contextSize: config.ctxSize,
    ...(options.minContextSize ? { minContextSize: options.minContextSize } : {}),
    maxTokens: config.maxTokens,
    threads: config.threads,
    gpuLayers: config.gpuLayers,
    repack: config.repack,
    parallel: config.parallel,
    maxQueue: config.maxQueue,
    reasoning: { effort: config.reasoningEffort, budget: config.reasoningBudget },
    onLoadProgress: progress(`loading ${model.alias}`),
  }).catch((error: unknown) => {
    throw new ConfigError(`--model ${model.path}: could not load: ${(error as Error).message ?? error}`);
  });
}

/** Which window each request gets, and why: the flag, the model's trained length, or the memory there is. */
export function describeContext(config: Pick<Config, "ctxSize" | "maxTokens" | "parallel">, engine: { contextSize: number; trainedContextSize: number }): string {
  const why =
    config.ctxSize !== null
      ? "--ctx-size"
      : engine.contextSize > engine.trainedContextSize
        ? `past the model's trained length of ${engine.trainedContextSize}, which its client's own prompt would not fit; it may answer worse past it`
        : engine.contextSize === engine.trainedContextSize
          ? "the model's trained length"
          : `the most that fits in memory; the model was trained on ${engine.trainedContextSize}`;
  const output = config.maxTokens === null ? "" : `, answers of at most ${config.maxTokens} tokens (--max-tokens)`;
  return `context: ${engine.contextSize} tokens per request (${why}) × ${config.parallel} sequences${output}`;
}

/** A progress line on a terminal (stderr), redrawn only when the percentage changes; nothing elsewhere. */
export function progress(label: string): ((fraction: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let shown = -1;
  return (fraction) => {
    const percent = Math.round(fraction * 100);
    if (percent !== shown) process.stderr.write(`\r${label}: ${(shown = percent)}%`);
  };
}
