// Starts a server from a Config, in this order: find the models, start the preloaded ones loading,
// import the routes and listen meanwhile, then serve once they are loaded and report; the others load
// on first use.
import { rmSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { modelNamed, type Config } from "../config/types.ts";
import { describeEngine } from "../engine/engine-build.ts";
import { describeMissingPatches } from "../engine/patches.ts";
import { prepareLlama } from "../engine/llama-load.ts";
import type { LlamaEngine } from "../engine/llama.ts";
import { describeWeights, isRepacked } from "../engine/weights.ts";
import { capJitTier } from "../jit-tier.ts";
import { checkGgufFile, isModelUri } from "../model-file.ts";
import { availableMemory } from "../models/memory.ts";
import { ModelPool } from "../models/model-pool.ts";
import type { PoolEvent } from "../models/pool-types.ts";
import type { ServerState } from "../server-state.ts";
import { describeStartup, startupMark, traceStartupWanted } from "../telemetry/startup-trace.ts";
import { estimateModel, loadModel, type LoadOptions } from "./load-model.ts";
import { cacheBudget, memoryCacheRoot } from "./prompt-cache-dir.ts";
import { PromptCacheBudget, type PromptCacheOptions } from "../engine/prompt-cache.ts";
import { describeContext, describeLimits, describePoolEvent, startupLoadError } from "./startup-report.ts";

export interface Started {
  url: string;
  port: number;
  /** Tokens one request to the default model may hold, prompt and output together. */
  contextSize: number;
  /** The default model's output cap (its --max-tokens, or the start's outputCap); null: none but the context's, or not loaded yet. */
  maxTokens: number | null;
  /** Ends generations in flight (error frames, 503s), closes the sockets, frees the models. */
  stop(): Promise<void>;
}

export interface StartHooks {
  /** The server listens (answering 503 while the model loads); `stop` stops it. */
  onListening(stop: () => Promise<void>): void;
  /** The ready line, once the model is loaded. */
  announce(line: string): void;
}

export type StartOptions = Omit<LoadOptions, "downloadDir" | "poll" | "promptCache" | "reserveMemory">;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export async function startServer(config: Config, hooks: StartHooks, options: StartOptions = {}): Promise<Started> {
  const { server: settings } = config;
  for (const model of config.models) {
    if (!isModelUri(model.path)) await checkGgufFile(model.path);
    if (model.settings.speculation.draftModel !== null) await checkGgufFile(model.settings.speculation.draftModel);
  }
  const entry = (name: string) => modelNamed(config, name);
  const promptCache = promptCacheOptions(settings.promptCacheBytes, settings.cacheDir);
  const loadOptions: LoadOptions = {
    ...options,
    downloadDir: settings.downloadDir,
    poll: settings.poll,
    ...(promptCache ? { promptCache } : {}),
    // An embedding context, made on a model's first embedding request, counts in the memory budget as its load did.
    reserveMemory: (name, bytes) => pool.grow(name, bytes),
  };
  // The first preloaded model's load goes first: node-llama-cpp imported and its binding made, then
  // the load, whose weights and vocabulary llama.cpp reads on a thread of its own while this thread
  // imports the server's routes and listens (/health says 503 until the models are loaded).
  const first = settings.preload[0];
  if (first !== undefined) {
    const { gpuLayers, threads } = entry(first).settings;
    // A failure here is the load's to report (below), in its own words.
    await prepareLlama({ gpuLayers, threads, mark: startupMark }).catch(() => {});
  }
  let state: ServerState | undefined;
  /** The pool's events before the server state (and its metrics) exists. */
  const early: PoolEvent[] = [];
  let ready = false;
  const pool = new ModelPool<LlamaEngine>(
    config.models.map((model) => model.alias),
    {
      estimate: (name, signal) => estimateModel(entry(name), loadOptions, signal),
      // At startup the ready line need not wait for the chat wrapper's checks; later, a load does them.
      load: (name, signal) => loadModel(entry(name), loadOptions, signal, !ready),
      unload: (engine) => engine.close(),
    },
    {
      maxModels: settings.maxModels,
      memoryLimit: settings.memoryLimit,
      availableMemory,
      idleUnloadMs: settings.idleUnloadMs,
      onEvent: (event) => {
        if (state) state.metrics.modelEvent(event);
        else early.push(event);
        // Startup's own loads are told by the lines below the ready line's; after it, each load and unload is a line.
        if (ready) console.error(`oserve: ${describePoolEvent(event, pool, (name) => entry(name).settings)}`);
      },
    },
  );
  const preloading = pool.preload(settings.preload).then(
    () => null,
    (error: unknown) => ({ error }),
  );
  const listenStarted = performance.now();
  let server: Awaited<ReturnType<typeof import("../http/listen.ts").listen>>;
  try {
    const [{ createApp }, { listen }, { ServerState }] = await Promise.all([import("../server.ts"), import("../http/listen.ts"), import("../server-state.ts")]);
    state = new ServerState(config);
    for (const event of early.splice(0)) state.metrics.modelEvent(event);
    server = await listen(createApp(state), settings.host, settings.port);
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
    // Each model's cache folder went with its engine; a process's own root goes too.
    if (promptCache && !promptCache.persistent) removeQuietly(promptCache.root);
  };
  hooks.onListening(stop);
  if (!LOOPBACK.test(settings.host) && settings.apiKey === null) {
    console.error(`oserve: warning: listening on ${settings.host} without --api-key: anyone who can reach this address can use the model`);
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
  reportStartup(config, pool);
  const host = settings.host.includes(":") ? `[${settings.host}]` : settings.host;
  const url = `http://${host}:${server.port}`;
  if (settings.readyFile) await writeReadyFile(settings.readyFile, { url, port: server.port, model: settings.defaultModel, ...(config.models.length > 1 ? { models: config.models.map((model) => model.alias) } : {}), pid: process.pid });
  // Last, so that whoever waits for this line finds the ready file there too.
  if (traceStartupWanted()) console.error(`oserve: ${describeStartup()}`);
  hooks.announce(`oserve listening on ${url} (model: ${config.models.map((model) => model.alias).join(", ")})`);
  ready = true;
  const engine = pool.loaded(settings.defaultModel);
  const contextSize = engine?.contextSize ?? entry(settings.defaultModel).settings.ctxSize ?? 0;
  return { url, port: server.port, contextSize, maxTokens: engine?.maxTokens ?? null, stop };
}

/** The lines under the ready line: the engine, each preloaded model's weights, window and chat format, the models loaded later. */
function reportStartup(config: Config, pool: ModelPool<LlamaEngine>): void {
  const { server: settings } = config;
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
  const engines = settings.preload.map((name) => pool.loaded(name)!);
  const engine = pool.loaded(settings.defaultModel) ?? engines[0] ?? null;
  if (engine) console.error(`oserve: ${describeEngine(engine.build, engine.gpu)}, ${engine.threads} ${engine.threads === 1 ? "thread" : "threads"}`);
  const missing = engine ? describeMissingPatches(engine.missingPatches) : null;
  if (missing) console.error(`oserve: ${missing}`);
  for (const loaded of engines) {
    // One model: the lines as they always were; several: each named.
    const named = config.models.length > 1 ? `${loaded.modelId}: ` : "";
    const lines = [describeWeights(loaded.weights), describeContext(modelNamed(config, loaded.modelId).settings, loaded), `chat format: ${loaded.chatLayerNote}`];
    for (const line of lines) console.error(`oserve: ${named}${line}`);
    if (!modelNamed(config, loaded.modelId).settings.repack && loaded.weights.some(isRepacked)) {
      console.error(`oserve: warning: ${named}--repack off is not supported by this engine build, which repacked anyway (npm run build:engine builds one that supports it)`);
    }
  }
  const later = config.models.filter((model) => !settings.preload.includes(model.alias)).map((model) => model.alias);
  if (later.length > 0) console.error(`oserve: ${later.join(", ")}: loaded on first use${describeLimits(config)}`);
}

/** Where kept prompts go and how much they may take: --cache-dir, else memory; null where --cache-ram is 0. */
function promptCacheOptions(bytes: number, cacheDir: string | null): PromptCacheOptions | null {
  if (bytes === 0) return null;
  try {
    const root = cacheDir ?? memoryCacheRoot();
    return { root, persistent: cacheDir !== null, budget: new PromptCacheBudget(cacheDir === null ? cacheBudget(root, bytes) : bytes) };
  } catch (error) {
    // A runtime that may not read the folder (Deno without --allow-all for /dev/shm) serves without it.
    console.error(`oserve: warning: prompts are not kept beyond the sequences (--cache-ram): ${(error as Error).message}`);
    return null;
  }
}

/** Removes a folder of the process's own; one it may not touch (Deno without --allow-write) was never made. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // nothing of ours is there
  }
}

/** Written whole or not at all: a script polling for the file never reads half of it. */
async function writeReadyFile(path: string, ready: Record<string, unknown>): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(ready)}\n`);
  await rename(temporary, path);
}
