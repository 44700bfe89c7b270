// One model of the config, found (or downloaded) and loaded with its own settings; or what it should take in memory.
import { readFile, stat } from "node:fs/promises";
import { unreadable } from "../config/errors.ts";
import type { ModelEntry } from "../config/types.ts";
import { estimateMemory, loadLlamaEngine } from "../engine/llama-load.ts";
import type { LlamaEngine } from "../engine/llama.ts";
import type { PromptCacheOptions } from "../engine/prompt-cache.ts";
import { resolveModel } from "../model-file.ts";
import { startupMark } from "../telemetry/startup-trace.ts";
import { progress } from "./startup-report.ts";

export interface LoadOptions {
  /** Where models given by URL are downloaded to. */
  downloadDir: string;
  /** How long idle decode threads poll before they sleep, 0-100 (--poll, the server's). */
  poll: number;
  /** Without --ctx-size, the least window to serve, past the model's trained length if need be (oserve launch: what the agent needs). */
  minContextSize?: number;
  /** Asked for the bytes a model takes after its load (its embedding context), by its name: the pool's budget. */
  reserveMemory?: (model: string, bytes: number) => Promise<void>;
  /** Prompts kept beyond the sequences (--cache-ram, --cache-dir), every model's under one budget; none: not kept. */
  promptCache?: PromptCacheOptions;
  /** Where a model's --max-tokens sets no cap, the cap for its window (oserve launch: an agent with no cap of its own); none: no cap but the context's. */
  outputCap?: (contextSize: number) => number;
}

/** The window the memory check counts for a model with no --ctx-size (or its trained length, where shorter). */
const MIN_AUTO_CONTEXT = 4096;

/** What the model and its context should take, from node-llama-cpp's estimate; the file's size where it cannot tell (the load will say why). */
export async function estimateModel(model: ModelEntry, options: LoadOptions, signal: AbortSignal): Promise<number> {
  const modelPath = await resolveModel(model.path, options.downloadDir, signal);
  const { settings } = model;
  try {
    // An unset window: the least node-llama-cpp's own sizing may settle for, not the most.
    const contextSize = settings.ctxSize ?? options.minContextSize ?? MIN_AUTO_CONTEXT;
    const draft = settings.speculation.draftModel;
    // A draft model counts as its file (its context, as long as the served model's, is small beside it).
    const draftBytes = draft === null ? 0 : (await stat(draft)).size;
    return (await estimateMemory({ modelPath, contextSize, parallel: settings.parallel, gpuLayers: settings.gpuLayers, threads: settings.threads })) + draftBytes;
  } catch {
    return (await stat(modelPath)).size;
  }
}

/** Finds (or downloads) one model and loads it with its settings. */
export async function loadModel(model: ModelEntry, options: LoadOptions, signal: AbortSignal, chatWrapperAfterLoad: boolean): Promise<LlamaEngine> {
  const modelPath = await resolveModel(model.path, options.downloadDir, signal);
  const { settings } = model;
  return loadLlamaEngine({
    modelPath,
    modelId: model.alias,
    contextSize: settings.ctxSize,
    ...(options.minContextSize ? { minContextSize: options.minContextSize } : {}),
    maxTokens: settings.maxTokens,
    ...(options.outputCap ? { outputCap: options.outputCap } : {}),
    ...(options.promptCache ? { promptCache: options.promptCache } : {}),
    ...(options.reserveMemory ? { reserveMemory: (bytes: number) => options.reserveMemory!(model.alias, bytes) } : {}),
    threads: settings.threads,
    poll: options.poll,
    gpuLayers: settings.gpuLayers,
    repack: settings.repack,
    parallel: settings.parallel,
    speculation: settings.speculation,
    maxQueue: settings.maxQueue,
    reasoning: { effort: settings.reasoningEffort, budget: settings.reasoningBudget },
    temperature: settings.temperature,
    chatTemplate: settings.chatTemplate,
    templateText: settings.chatTemplateFile === null ? null : await readTemplateFile(settings.chatTemplateFile),
    chatWrapperAfterLoad,
    onLoadProgress: progress(`loading ${model.alias}`),
    mark: startupMark,
    signal,
  });
}

/** A --chat-template-file's text; a clear error where it cannot be read. */
async function readTemplateFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`--chat-template-file ${path}: ${unreadable(error)}`);
  }
}
