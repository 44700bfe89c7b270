// Loading a GGUF model into an engine: node-llama-cpp's Llama (one per setting), the model (with
// llama.cpp's log captured while it loads: where the weights went, why a load failed), its context,
// the chat wrapper's checks, and which chat layer serves it.
import type { Llama, LlamaContext, LlamaLogLevel, LlamaModel } from "node-llama-cpp";
import { BatchWindow } from "./batch-window.ts";
import { ChatLayer, queuedDecodes, setDecodeThreads } from "./chat-layer/native.ts";
import { DecodeThreads } from "./decode-threads.ts";
import { DraftModel } from "./draft-model.ts";
import { NativeChat } from "./chat-layer/native-turn.ts";
import { engineBuild } from "./engine-build.ts";
import { errorMessage } from "./errors.ts";
import { Grammars } from "./grammars.ts";
import { LlamaEngine } from "./llama.ts";
import { missingPatches } from "./patches.ts";
import type { LlamaEngineOptions } from "./llama-options.ts";
import { importNodeLlamaCpp, type NodeLlamaCppModule } from "./node-llama-cpp.ts";
import { cacheDir, TemplateChecks } from "./template-checks.ts";
import { bundledPatches, chatWrapperWarmUp } from "./patched-api.ts";
import { defaultThreads } from "./threads.ts";
import { setThreadpoolPoll } from "./threadpool-poll.ts";
import { parseWeightBuffer, type WeightBuffer } from "./weights.ts";

/** What llama.cpp logged while one model loaded: where its weights went, and what the quiet level lets through. */
interface LoadLog {
  weights: WeightBuffer[];
  /** Lines the quiet level lets through, held back while the model loads (a failed load says them in its error). */
  heldBack: Array<[level: LlamaLogLevel, message: string]>;
  loading: boolean;
  /** node-llama-cpp's own level and logger. */
  quiet: { level: LlamaLogLevel; logger: (level: LlamaLogLevel, message: string) => void };
}

/** Each Llama's last (or current) load's log. */
const loadLogs = new WeakMap<Llama, LoadLog>();

/**
 * Starts a new load's log on the Llama. Its logger is set once and stays: log lines reach JS through
 * a queue that the event loop drains when it can, so some of a load's lines arrive after the load
 * itself, and go to that load's log; the rest lets through only what the quiet level would have.
 * (Restoring node-llama-cpp's own logger let such late lines out on stdout, "[node-llama-cpp] ......"
 * with no newline, in front of the ready line a script waits for; a logger set anew for every load
 * kept every earlier one, and its model, alive.)
 */
function captureLoadLog(lib: NodeLlamaCppModule, llama: Llama): LoadLog {
  const previous = loadLogs.get(llama);
  const log: LoadLog = { weights: [], heldBack: [], loading: true, quiet: previous?.quiet ?? { level: llama.logLevel, logger: llama.logger } };
  loadLogs.set(llama, log);
  if (!previous) {
    llama.logger = (level, message) => {
      const current = loadLogs.get(llama)!;
      const buffer = parseWeightBuffer(message);
      if (buffer) current.weights.push(buffer);
      else if (!lib.LlamaLogLevelGreaterThanOrEqual(level, current.quiet.level)) return;
      else if (current.loading) current.heldBack.push([level, message]);
      else current.quiet.logger(level, message);
    };
  }
  return log;
}

/**
 * One Llama (the native binding and its logger) for every model on the same kind of binary (a GPU
 * one, or the CPU's where a model runs wholly there); each context takes its own thread count, so a
 * model with other --threads shares it. A second Llama's logger takes llama.cpp's logs from the
 * first in node-llama-cpp's addon (patch 9 keeps them: a CPU-only model beside a GPU one, tests).
 */
const llamas = new Map<string, Promise<Llama>>();

function sharedLlama(lib: NodeLlamaCppModule, options: Pick<LlamaEngineOptions, "gpuLayers">): Promise<Llama> {
  const settings = {
    gpu: options.gpuLayers === 0 ? (false as const) : ("auto" as const),
    // Prebuilt binaries come from npm; never start a long source build behind the user's back.
    build: "never" as const,
    // No cap of its own: each model's context asks for its threads (--threads, else the build's default).
    maxThreads: 0,
    logLevel: lib.LlamaLogLevel.error,
  };
  const key = JSON.stringify(settings);
  let llama = llamas.get(key);
  if (!llama) {
    llama = lib.getLlama(settings);
    llamas.set(key, llama);
    llama.catch(() => llamas.delete(key));
  }
  return llama;
}

/**
 * Bytes of memory the model's weights and its context (KV cache, compute buffers) are expected to take
 * on the CPU, from node-llama-cpp's estimates over the GGUF's metadata and tensor table (no weights read).
 */
export async function estimateMemory(options: Pick<LlamaEngineOptions, "modelPath" | "contextSize" | "parallel" | "gpuLayers" | "threads">): Promise<number> {
  const lib = await importNodeLlamaCpp();
  const llama = await sharedLlama(lib, options);
  // The vocabulary's texts are not needed for an estimate (patch 13: its count is kept).
  const fileInfo = await lib.readGgufFileInfo(options.modelPath, { ignoreKeys: ["tokenizer.ggml.merges", "tokenizer.ggml.tokens#length"] });
  const insights = await lib.GgufInsights.from(fileInfo, llama);
  const model = insights.estimateModelResourceRequirements({ gpuLayers: 0 });
  const contextSize = options.contextSize ?? insights.trainContextSize ?? 4096;
  const context = insights.estimateContextResourceRequirements({ contextSize, modelGpuLayers: 0, sequences: options.parallel });
  return model.cpuRam + context.cpuRam;
}

/**
 * node-llama-cpp imported and its Llama (the native binding) made, for loads with these options: what
 * a load does first, here to be started before anything else at startup.
 */
export async function prepareLlama(options: Pick<LlamaEngineOptions, "gpuLayers" | "threads" | "mark">): Promise<void> {
  const lib = await importNodeLlamaCpp();
  options.mark?.("import node-llama-cpp");
  await sharedLlama(lib, options);
  options.mark?.("getLlama");
}

export async function loadLlamaEngine(options: LlamaEngineOptions): Promise<LlamaEngine> {
  const lib = await importNodeLlamaCpp();
  const llama = await sharedLlama(lib, options);
  const loadStarted = performance.now();
  const build = engineBuild(llama);
  const threads = options.threads ?? defaultThreads(build);
  // llama.cpp says where the weights went only in its info log: listen to it while the model loads.
  const capture = captureLoadLog(lib, llama);
  const { weights, heldBack, quiet } = capture;
  llama.logLevel = lib.LlamaLogLevel.info;
  const loaded = await llama
    .loadModel({
      modelPath: options.modelPath,
      gpuLayers: options.gpuLayers === "auto" ? "auto" : options.gpuLayers,
      // patches/node-llama-cpp/7-repack-option.patch; an addon built without it ignores the option.
      repack: options.repack,
      onLoadProgress: options.onLoadProgress,
      ...(options.signal ? { loadSignal: options.signal } : {}),
    })
    .then((model) => ({ model }), (error: unknown) => ({ error }));
  // One turn of the event loop first: the lines queued during the load (the weights' among them)
  // arrive while the level still lets them through (node-llama-cpp checks it again in JS).
  await new Promise((resolve) => setImmediate(resolve));
  llama.logLevel = quiet.level;
  capture.loading = false;
  if ("error" in loaded) {
    const { error } = loaded;
    const why = [...new Set(heldBack.map(([, line]) => line.trim().replace(/^\w+: /, "")))].join("; ");
    throw new Error(`${error instanceof Error ? error.message : String(error)}${why ? ` (llama.cpp: ${why})` : ""}`, { cause: error });
  }
  const { model } = loaded;
  for (const [level, line] of heldBack) quiet.logger(level, line);
  options.mark?.("load model", loadStarted);
  // node-llama-cpp keeps its decode queue to itself; the window reads its size where it is found.
  let context: LlamaContext | undefined;
  // By default decodes take the threads that did best lately, at most every core: fewer while other
  // processes keep the cores busy (decode-threads.ts). --threads N is N, always, as llama-server's -t.
  const decodeThreads = new DecodeThreads(threads, (count) => context && setDecodeThreads(context, count), { measured: options.threads === null });
  const batchWindow = new BatchWindow(() => queuedDecodes(context), undefined, undefined, decodeThreads.beforeDecode);
  setThreadpoolPoll(llama, options.poll ?? 0);
  try {
    options.signal?.throwIfAborted();
    context = await model.createContext({
      // Unset: the trained length where memory allows (llama-server's -c 0), else the largest that fits.
      contextSize: options.contextSize ?? windowAtLeast(model.trainContextSize, options.minContextSize),
      sequences: options.parallel,
      threads: { ideal: threads, min: 1 },
      batching: { dispatchSchedule: batchWindow.schedule },
    });
  } catch (error) {
    // The weights are not left loaded behind a load that failed (or was called off) past them.
    await model.dispose();
    throw error;
  }
  options.mark?.("create context");
  let draftModel: DraftModel | undefined;
  const draftPath = options.speculation?.draftModel;
  if (draftPath) {
    try {
      draftModel = await DraftModel.load(llama, { modelPath: draftPath, gpuLayers: options.gpuLayers, repack: options.repack, contextSize: context.contextSize, sequences: options.parallel, threads, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      await context.dispose();
      await model.dispose();
      throw new Error(`the draft model (--model-draft ${draftPath}) did not load: ${errorMessage(error)}`, { cause: error });
    }
    options.mark?.("load draft model");
  }
  // node-llama-cpp picks the chat wrapper by rendering the model's Jinja template against each
  // candidate's (a few hundred milliseconds): a check at a time with the event loop turning between
  // them (patch 20), so that the streams of other models go on while this one loads; part of the
  // load, or, at startup, just after it, while the ready line goes out.
  // Their answers from an earlier run of this model are kept on disk (template-checks.ts).
  const warmUp = chatWrapperWarmUp(lib);
  const checks = new TemplateChecks(cacheDir(), options.modelPath, await lib.getModuleVersion());
  // An unload (oserve run's exit, a shutdown) stops the checks between two of them, not after all.
  const unloading = new AbortController();
  const warming = (warmUp?.(model, { type: options.chatTemplate ?? "auto" }, unloading.signal, checks) ?? Promise.resolve(0)).then((ran) => {
    checks.save();
    return ran;
  });
  if (!options.chatWrapperAfterLoad) {
    try {
      await warming;
    } catch (error) {
      await draftModel?.dispose();
      await context.dispose();
      await model.dispose();
      throw error;
    }
  }
  const chatLayer = openChatLayer(llama, model, options);
  const nativeChat = chatLayer.layer ? new NativeChat(lib, model, chatLayer.layer, chatLayer.markers) : null;
  // The bundle of patched node-llama-cpp names the patches it carries; the engine build's metadata, llama.cpp's.
  const patches = missingPatches(bundledPatches(lib), llama.cmakeOptions, build === "persistent-threads");
  const engine = new LlamaEngine(lib, { ...options, threads, decodeThreads, ...(draftModel ? { draftModel } : {}) }, build, llama.gpu, weights, model, context, batchWindow, new Grammars(llama), unloading, warming, nativeChat, chatLayer.note, patches);
  // Its checks done, the wrapper resolves at once; the variants reasoning efforts ask for later reuse them.
  void warming.then(() => unloading.signal.aborted || engine.resolveChatWrapper()).catch(() => {});
  return engine;
}

/**
 * llama.cpp's chat layer for the model, where the addon has one and the chat format is the model's
 * own template: null with the reason otherwise (node-llama-cpp's chat wrappers serve it then). A
 * template the layer cannot render a tool turn with (llama-server refuses it too) is left to them.
 */
function openChatLayer(llama: Llama, model: LlamaModel, options: LlamaEngineOptions): { layer: ChatLayer | null; note: string; markers: readonly string[] } {
  const template = options.chatTemplate ?? "auto";
  if (template !== "auto" && template !== "jinjaTemplate") return { layer: null, note: `node-llama-cpp's ${template} wrapper (--chat-template)`, markers: [] };
  let layer: ChatLayer | null;
  let markers: readonly string[];
  try {
    layer = ChatLayer.of(llama, model, options.templateText ?? null);
    if (!layer) return { layer: null, note: "node-llama-cpp's chat wrappers (this engine has no llama.cpp chat layer)", markers: [] };
    // The probe llama-server's own startup makes: a tool turn must render. Its preserved tokens are
    // the format's markup, which a turn without tools never shows as text.
    markers = layer.apply({
      messages: [{ role: "user", content: "Hi" }],
      tools: [{ type: "function", function: { name: "probe", parameters: { type: "object", properties: {} } } }],
      tool_choice: "auto",
      parallel_tool_calls: false,
      add_generation_prompt: true,
      continue_final_message: false,
      enable_thinking: true,
      reasoning_format: "auto",
      chat_template_kwargs: {},
    }).preserved_tokens;
  } catch (error) {
    return { layer: null, note: `node-llama-cpp's chat wrappers (llama.cpp's chat layer cannot serve this template: ${errorMessage(error).split("\n")[0]})`, markers: [] };
  }
  return { layer, note: "llama.cpp's chat layer (the model's own template, as llama-server)", markers };
}

/** node-llama-cpp's context size for a window of at least `least` tokens: its own choice (up to the trained length), else exactly that many. */
function windowAtLeast(trained: number, least: number | undefined): "auto" | number | { min: number } {
  if (least === undefined) return "auto";
  return trained >= least ? { min: least } : least;
}
