// Starts a server from a Config: find (or download) the preloaded models and start loading them,
// import the routes and listen meanwhile, say so once they are loaded; the others load on first use.
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import { ConfigError, type Config, type ModelEntry, type ModelSettings } from "./config.ts";
import { LoadFailedError } from "./models/errors.ts";
import { availableMemory } from "./models/memory.ts";
import { ModelPool, type PoolEvent, type UnloadReason } from "./models/model-pool.ts";
import { capJitTier } from "./jit-tier.ts";
import { describeEngine } from "./engine/engine-build.ts";
import { describeWeights, isRepacked } from "./engine/weights.ts";
import { estimateMemory, loadLlamaEngine, prepareLlama } from "./engine/llama-load.ts";
import type { LlamaEngine } from "./engine/llama.ts";
import { checkGgufFile, isModelUri, resolveModel } from "./model-file.ts";
import type { ServerState } from "./server-state.ts";
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
  const entry = (name: string) => config.models.find((model) => model.alias === name)!;
  // The first preloaded model's load goes first: node-llama-cpp imported and its binding made, then
  // the load, whose weights and vocabulary llama.cpp reads on a thread of its own while this thread
  // imports the server's routes and listens (/health says 503 until the models are loaded).
  const first = config.preload[0];
  if (first !== undefined) {
    const { settings } = entry(first);
    // A failure here is the load's to report (below), in its own words.
    await prepareLlama({ gpuLayers: settings.gpuLayers, threads: settings.threads }).catch(() => {});
  }
  let state: ServerState | undefined;
  /** The pool's events before the server state (and its metrics) exists. */
  const early: PoolEvent[] = [];
  let ready = false;
  /** The cap `capOutput` set, for the models that load after it. */
  let outputCap: number | null = null;
  const described = (engine: LlamaEngine) => [describeWeights(engine.weights), describeContext(entry(engine.modelId).settings, engine), `chat format: ${engine.chatLayerNote}`];
  const pool = new ModelPool<LlamaEngine>(
    config.models.map((model) => model.alias),
    {
      estimate: (name, signal) => estimateModel(config, entry(name), options, signal),
      load: async (name, signal) => {
        // At startup the ready line need not wait for the chat wrapper's checks; later, a load does them.
        const engine = await loadModel(config, entry(name), options, signal, !ready);
        if (engine.maxTokens === null && outputCap !== null) engine.maxTokens = Math.min(outputCap, engine.contextSize);
        return engine;
      },
      unload: (engine) => engine.close(),
    },
    {
      maxModels: config.maxModels,
      memoryLimit: config.memoryLimit,
      availableMemory,
      idleUnloadMs: config.idleUnloadMs,
      onEvent: (event) => {
        if (state) state.metrics.modelEvent(event);
        else early.push(event);
        // Startup's own loads are told by the lines below the ready line's; after it, each load and unload is a line.
        if (ready) console.error(`oserve: ${describePoolEvent(event, pool, (name) => entry(name).settings)}`);
      },
    },
  );
  const preloading = pool.preload(config.preload).then(
    () => null,
    (error: unknown) => ({ error }),
  );
  const listenStarted = performance.now();
  let server: Awaited<ReturnType<typeof import("./server.ts").listen>>;
  try {
    const [{ createApp, listen }, { ServerState }] = await Promise.all([import("./server.ts"), import("./server-state.ts")]);
    state = new ServerState(config);
    for (const event of early.splice(0)) state.metrics.modelEvent(event);
    server = await listen(createApp(state), config.host, config.port);
  } catch (error) {
    await pool.close();
    await preloading;
    throw error;
  }
  startupMark("listen", listenStarted);
  const serving = state;
  const stop = async () => {
    serving.shutdown.abort();
    await server.close();
    await pool.close();
  };
  hooks.onListening(stop);
  if (!LOOPBACK.test(config.host) && config.apiKey === null) {
    console.error(`oserve: warning: listening on ${config.host} without --api-key: anyone who can reach this address can use the model`);
  }
  const failed = await preloading;
  if (failed) {
    await pool.close();
    await server.close();
    throw startupLoadError(failed.error, config);
  }
  // Served from here on; the default model (--default-model, else the first) is what the ready line,
  // the ready file and `oserve launch` describe.
  state.serve(pool);
  // Only now: the load's own JavaScript (node-llama-cpp reads the GGUF's metadata, a vocabulary of
  // 150k tokens, in JS) ran some 0.4 s slower at the baseline tier; serving is what the cap is for.
  capJitTier();
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
  const engines = config.preload.map((name) => pool.loaded(name)!);
  const engine = pool.loaded(config.modelAlias) ?? engines[0] ?? null;
  if (engine) console.error(`oserve: ${describeEngine(engine.build, engine.gpu)}, ${engine.threads} ${engine.threads === 1 ? "thread" : "threads"}`);
  for (const loaded of engines) {
    // One model: the lines as they always were; several: each named.
    const named = config.models.length > 1 ? `${loaded.modelId}: ` : "";
    for (const line of described(loaded)) console.error(`oserve: ${named}${line}`);
  }
  const later = config.models.filter((model) => !config.preload.includes(model.alias)).map((model) => model.alias);
  if (later.length > 0) console.error(`oserve: ${later.join(", ")}: loaded on first use${describeLimits(config)}`);
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
  ready = true;
  const capOutput = (tokens: number) => {
    outputCap = tokens;
    for (const loaded of pool.engines()) if (loaded.maxTokens === null) loaded.maxTokens = Math.min(tokens, loaded.contextSize);
  };
  const contextSize = pool.loaded(config.modelAlias)?.contextSize ?? entry(config.modelAlias).settings.ctxSize ?? 0;
  return { url, port: server.port, contextSize, capOutput, stop };
}

/** A preloaded model that failed: one line naming its --model, in llama.cpp's words where it has them. */
function startupLoadError(error: unknown, config: Config): unknown {
  if (!(error instanceof LoadFailedError)) return error;
  const cause = error.cause;
  if (cause instanceof ConfigError) return cause;
  return new ConfigError(`--model ${config.models.find((model) => model.alias === error.model)?.path ?? error.model}: could not load: ${(cause as Error)?.message ?? cause}`);
}

/** ", at most N at once, unloaded after S s idle": what --max-models and --idle-unload say, where given. */
function describeLimits(config: Config): string {
  const parts = [];
  if (config.maxModels < config.models.length) parts.push(`at most ${config.maxModels} loaded at once`);
  if (config.memoryLimit !== null) parts.push(`within ${Math.round(config.memoryLimit / 2 ** 20)} MiB`);
  if (config.idleUnloadMs !== null) parts.push(`unloaded after ${config.idleUnloadMs / 1000} s idle`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

/** A load or unload after startup, as one line. */
function describePoolEvent(event: PoolEvent, pool: ModelPool<LlamaEngine>, settings: (name: string) => ModelSettings): string {
  if (event.type === "unloaded") return `${event.name}: unloaded (${UNLOAD_REASONS[event.reason]})`;
  if (event.type === "load_failed") return `${event.name}: ${event.error.message}`;
  const engine = pool.loaded(event.name);
  const context = engine ? `; ${describeContext(settings(event.name), engine)}` : "";
  return `${event.name}: loaded in ${event.seconds.toFixed(2)} s${event.bytes > 0 ? ` (node-llama-cpp estimates ${Math.round(event.bytes / 2 ** 20)} MiB with its context)` : ""}${context}`;
}

const UNLOAD_REASONS: Record<UnloadReason, string> = {
  max_models: "--max-models: a place for another model",
  memory: "memory for another model",
  idle: "idle",
  shutdown: "shutting down",
};

/** What the model and its context should take, from node-llama-cpp's estimate; the file's size where it cannot tell (the load will say why). */
async function estimateModel(config: Config, model: ModelEntry, options: StartOptions, signal: AbortSignal): Promise<number> {
  const modelPath = await resolveModel(model.path, config.downloadDir, signal);
  const { settings } = model;
  try {
    // An unset window: the least node-llama-cpp's own sizing may settle for, not the most.
    const contextSize = settings.ctxSize ?? options.minContextSize ?? MIN_AUTO_CONTEXT;
    return await estimateMemory({ modelPath, contextSize, parallel: settings.parallel, gpuLayers: settings.gpuLayers, threads: settings.threads });
  } catch {
    return (await stat(modelPath)).size;
  }
}

/** The window the memory check counts for a model with no --ctx-size (or its trained length, where shorter). */
const MIN_AUTO_CONTEXT = 4096;

/** Finds (or downloads) one model and loads it with its settings. */
async function loadModel(config: Config, model: ModelEntry, options: StartOptions, signal: AbortSignal, chatWrapperAfterLoad: boolean): Promise<LlamaEngine> {
  const modelPath = await resolveModel(model.path, config.downloadDir, signal);
  const { settings } = model;
  return loadLlamaEngine({
    modelPath,
    modelId: model.alias,
    contextSize: settings.ctxSize,
    ...(options.minContextSize ? { minContextSize: options.minContextSize } : {}),
    maxTokens: settings.maxTokens,
    threads: settings.threads,
    gpuLayers: settings.gpuLayers,
    repack: settings.repack,
    parallel: settings.parallel,
    maxQueue: settings.maxQueue,
    reasoning: { effort: settings.reasoningEffort, budget: settings.reasoningBudget },
    temperature: settings.temperature,
    chatTemplate: settings.chatTemplate,
    templateText: settings.chatTemplateFile === null ? null : await readTemplateFile(settings.chatTemplateFile),
    chatWrapperAfterLoad,
    onLoadProgress: progress(`loading ${model.alias}`),
    signal,
  });
}

/** A --chat-template-file's text; a clear error where it cannot be read. */
async function readTemplateFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`--chat-template-file ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
}

/** Which window each request gets, and why: the flag, the model's trained length, or the memory there is. */
export function describeContext(config: Pick<ModelSettings, "ctxSize" | "maxTokens" | "parallel">, engine: { contextSize: number; trainedContextSize: number }): string {
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
