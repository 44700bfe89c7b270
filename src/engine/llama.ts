// The node-llama-cpp adapter: loads a GGUF model and turns generations into events.
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import type {
  ChatHistoryItem,
  Llama,
  ChatModelFunctions,
  ChatWrapper,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaLogLevel,
  LlamaModel,
  LlamaText,
  Token,
} from "node-llama-cpp";
import type { EngineEvent, FinishReason, GenerationOutcome } from "./events.ts";
import { toChatHistory } from "./chat-history.ts";
import { ContextOverflowError, FormatGrammarError, InvalidInputError } from "./errors.ts";
import { BatchWindow } from "./batch-window.ts";
import { decodeTurn, generateDirect, type DecodeTurn, type DirectTurn } from "./direct-chat.ts";
import { ChatLayer } from "./chat-layer/native.ts";
import { NativeChat, type RenderedTurn } from "./chat-layer/native-turn.ts";
import { ParserSink } from "./chat-layer/parser-sink.ts";
import { promptTokens } from "./prompt-tokens.ts";
import { Embedder } from "./embedder.ts";
import { engineBuild, type EngineBuild } from "./engine-build.ts";
import { EventQueue } from "./event-queue.ts";
import { forceFunctionCall, toFunctions } from "./function-calling.ts";
import { Grammars } from "./grammars.ts";
import { defaultThreads } from "./threads.ts";
import { startupMark } from "../startup-trace.ts";
import type { ChatTemplate } from "../config.ts";
import { parseWeightBuffer, type WeightBuffer } from "./weights.ts";
import { cacheDir, TemplateChecks, type CheckStore } from "./template-checks.ts";
import { importNodeLlamaCpp, type NodeLlamaCppModule } from "./node-llama-cpp.ts";
import { ToolCallEvents } from "./tool-call-events.ts";
import { reuseScore, sharedPrefix } from "./prompt-reuse.ts";
import { planThinking, type ReasoningDefaults, type ThinkingPlan } from "./reasoning.ts";
import { SegmentEvents, type ResponseChunk } from "./segment-events.ts";
import { samplingOptions } from "./sampling.ts";
import { formatTokens } from "./format-tokens.ts";
import { SlotPool } from "./slots.ts";
import { COMPLETION_DEFAULT_MAX_TOKENS, type CompletionRequest, type Engine, type EngineLoad, type GenerationRequest, type PreparedGeneration } from "./types.ts";

export interface LlamaEngineOptions {
  modelPath: string;
  /** Name reported to clients. */
  modelId: string;
  /** Tokens per sequence; null: the model's training context, or the largest that fits in memory. */
  contextSize: number | null;
  /** Output tokens for requests that ask for none, and the most any request gets; null: no cap but the context's. */
  maxTokens?: number | null;
  /** With no contextSize: the least window to give, past the model's trained length if need be (an agent's own prompt must fit). */
  minContextSize?: number;
  /** null: the default for the native build that loads (engine/threads.ts). */
  threads: number | null;
  /** Layers offloaded to a GPU; "auto" lets node-llama-cpp decide, 0 keeps everything on the CPU. */
  gpuLayers: number | "auto";
  /** Sequences decoded side by side in one context. */
  parallel: number;
  /** Requests that may wait for a free sequence. */
  maxQueue: number;
  /** Let llama.cpp repack weights for this CPU at load (AMX and its other faster layouts); false is llama-server's --no-repack. */
  repack: boolean;
  /** The server's reasoning effort and thought budget, for requests that name neither; none: the model's own. */
  reasoning?: ReasoningDefaults;
  /** Called with 0..1 while the model loads. */
  onLoadProgress?: (progress: number) => void;
  /** Aborts the load (the server stopping). */
  signal?: AbortSignal;
  /** The chat format (--chat-template); "auto": the model's own template through llama.cpp's chat layer where the addon has it, else node-llama-cpp's choice. */
  chatTemplate?: ChatTemplate;
  /** A Jinja template to use in place of the GGUF's own (--chat-template-file); null: the GGUF's. */
  templateText?: string | null;
  /** Resolve the chat wrapper once the load has returned (startup: the ready line need not wait), not as part of it. */
  chatWrapperAfterLoad?: boolean;
}

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

/** One Llama (the native binding, its threadpool and logger) for every model loaded with the same options. */
const llamas = new Map<string, Promise<Llama>>();

function sharedLlama(lib: NodeLlamaCppModule, options: Pick<LlamaEngineOptions, "gpuLayers" | "threads">): Promise<Llama> {
  const settings = {
    gpu: options.gpuLayers === 0 ? (false as const) : ("auto" as const),
    // Prebuilt binaries come from npm; never start a long source build behind the user's back.
    build: "never" as const,
    maxThreads: options.threads ?? availableParallelism(),
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
export async function prepareLlama(options: Pick<LlamaEngineOptions, "gpuLayers" | "threads">): Promise<void> {
  const lib = await importNodeLlamaCpp();
  startupMark("import node-llama-cpp");
  await sharedLlama(lib, options);
  startupMark("getLlama");
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
  startupMark("load model", loadStarted);
  // node-llama-cpp keeps its decode queue to itself; the window reads its size where it is found.
  let context: LlamaContext | undefined;
  const batchWindow = new BatchWindow(() => (context as { _queuedDecodeSequenceIds?: Set<number> } | undefined)?._queuedDecodeSequenceIds?.size ?? null);
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
  startupMark("create context");
  // node-llama-cpp picks the chat wrapper by rendering the model's Jinja template against each
  // candidate's (a few hundred milliseconds): a check at a time with the event loop turning between
  // them (patch 12), so that the streams of other models go on while this one loads; part of the
  // load, or, at startup, just after it, while the ready line goes out.
  // Their answers from an earlier run of this model are kept on disk (template-checks.ts).
  const warmUp = (lib.resolveChatWrapper as { warmUp?: (model: LlamaModel, options: object, signal?: AbortSignal, store?: CheckStore) => Promise<number> }).warmUp;
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
      await context.dispose();
      await model.dispose();
      throw error;
    }
  }
  const chatLayer = openChatLayer(llama, model, options);
  const nativeChat = chatLayer.layer ? new NativeChat(lib, model, chatLayer.layer, chatLayer.markers) : null;
  const engine = new LlamaEngine(lib, { ...options, threads }, build, llama.gpu, weights, model, context, batchWindow, new Grammars(llama), unloading, warming, nativeChat, chatLayer.note);
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

/** A raw completion's text as tokens, tokenized once when it is prepared. */
interface RawPrompt {
  prompt: Token[];
  /** With a suffix, the model fills in the middle. */
  suffix: Token[] | null;
}

/** How one request is generated: the wrapper, and the functions or grammar that constrain it. */
interface Plan {
  history: ChatHistoryItem[];
  chatWrapper: ChatWrapper;
  functions: ChatModelFunctions | undefined;
  grammar: LlamaGrammar | undefined;
  maxParallelFunctionCalls: number | undefined;
  maxTokens: number;
  /** Most tokens the thought may take; null: no cap of its own. */
  thoughtBudget: number | null;
  /** The chat format's own tokens: never answer text. */
  markers: ReadonlySet<Token>;
  /** The rendered prompt's tokens: to count them and to pick the sequence that holds most of them. */
  prompt: Token[];
}

export class LlamaEngine implements Engine {
  readonly modelId: string;
  /** Decoding threads. */
  readonly threads: number;
  readonly slots: SlotPool<LlamaContextSequence>;
  readonly embeddings: Embedder;
  /** Tokens in the model's vocabulary, from the GGUF metadata; null where it does not say. */
  private readonly vocabularySize: number | null;
  /** The model's chat wrapper with its default settings, and the variants reasoning efforts ask for, by plan key. */
  private readonly chatWrappers = new Map<string, ChatWrapper>();
  /** Each of those wrappers' format tokens (engine/format-tokens.ts): never answer text. Worked out once. */
  private readonly formatTokensOf = new WeakMap<ChatWrapper, ReadonlySet<Token>>();
  private readonly reasoningDefaults: ReasoningDefaults;
  private readonly chatTemplate: ChatTemplate;
  /** The server's output cap (--max-tokens): requests that ask for none get it, none get more; null: no cap but the context's. */
  maxTokens: number | null;

  constructor(
    private readonly lib: NodeLlamaCppModule,
    options: LlamaEngineOptions & { threads: number },
    /** Which native binary node-llama-cpp loaded. */
    readonly build: EngineBuild,
    /** The GPU backend it was built for ("cuda", "vulkan", "metal"), false for the CPU. */
    readonly gpu: string | false,
    /** Where llama.cpp put the weights (engine/weights.ts). */
    readonly weights: readonly WeightBuffer[],
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly batchWindow: BatchWindow,
    private readonly grammars: Grammars,
    /** Aborted when the engine closes: what still runs for it in the background stops. */
    private readonly unloading: AbortController,
    /** The chat template's checks (patch 12), done: how many ran (none where all were answered from disk). */
    readonly templateChecks: Promise<number>,
    /** llama.cpp's chat layer for the model; null: node-llama-cpp's chat wrappers render and parse. */
    private readonly nativeChat: NativeChat | null = null,
    /** Which chat layer runs, and why: for the startup line. */
    readonly chatLayerNote: string = "node-llama-cpp's chat wrappers",
  ) {
    this.modelId = options.modelId;
    this.threads = options.threads;
    this.reasoningDefaults = options.reasoning ?? { effort: null, budget: null };
    this.chatTemplate = options.chatTemplate ?? "auto";
    this.maxTokens = options.maxTokens ?? null;
    const tokens: unknown = model.fileInfo.metadata.tokenizer?.ggml?.tokens;
    this.vocabularySize = Array.isArray(tokens) ? tokens.length : null;
    // Sequences live as long as the server: each keeps its last conversation's tokens, so that a
    // follow-up turn whose prompt starts the same way evaluates only what is new.
    const sequences = Array.from({ length: options.parallel }, () => context.getSequence());
    this.slots = new SlotPool(sequences, options.maxQueue);
    this.embeddings = new Embedder(model, { contextSize: context.contextSize, threads: options.threads });
  }

  /** The model's default chat wrapper, resolved now rather than by the first request; its name. */
  resolveChatWrapper(): string {
    return this.wrapperFor(null).wrapperName;
  }

  get contextSize(): number {
    return this.context.contextSize;
  }

  /** The context length the model was trained on, from its GGUF. */
  get trainedContextSize(): number {
    return this.model.trainContextSize;
  }

  async prepare(request: GenerationRequest): Promise<PreparedGeneration> {
    this.checkLogitBias(request.sampling);
    if (this.nativeChat) return this.prepareNative(this.nativeChat, request);
    const history = toChatHistory(request.messages);
    const functions = toFunctions(request.tools, request.toolChoice);
    const forced = functions !== undefined && (request.toolChoice.type === "required" || request.toolChoice.type === "function");
    const thinking = this.thinkingPlan(request);
    const wrapper = this.wrapperFor(thinking);
    const chatWrapper = forced ? forceFunctionCall(wrapper, this.lib.LlamaText) : wrapper;
    const { tokens: prompt, stopTriggers } = this.wrapperPrompt(chatWrapper, history, functions);
    const maxTokens = this.answerBudget(prompt.length, request.maxTokens);
    const grammar = await this.grammars.forFormat(request.format).catch((error: unknown) => {
      throw new FormatGrammarError(errorMessage(error));
    });
    this.slots.checkCapacity();
    // The direct path knows one leading thought; a budget to enforce, and formats with more
    // segments than that (Harmony's channels), go through LlamaChat and the wrapper's own parsing.
    if (functions === undefined && grammar === undefined && thinking.thoughtBudget === null && leadingThoughtOnly(wrapper)) {
      // A model response the history ends with (a prefill, the answer after tool results) goes on where it is.
      const last = history.at(-1);
      const continuing = last?.type === "model" && last.response.length > 0;
      const turn = this.directTurn(chatWrapper, prompt, stopTriggers, maxTokens, request, continuing);
      const produce = (sequence: LlamaContextSequence, events: EventQueue<EngineEvent>, stop: AbortSignal) => {
        const stream = this.batchWindow.begin();
        return generateDirect(this.model, sequence, turn, events, stop, stream.asked).finally(stream.end);
      };
      return { promptTokens: prompt.length, run: (signal) => this.generate(prompt, signal, produce) };
    }
    const plan: Plan = {
      history,
      chatWrapper,
      functions,
      grammar,
      maxParallelFunctionCalls: request.parallelToolCalls ? undefined : 1,
      maxTokens,
      thoughtBudget: thinking.thoughtBudget,
      markers: this.formatTokens(wrapper),
      prompt,
    };
    return { promptTokens: prompt.length, run: (signal) => this.generate(prompt, signal, (sequence, events, stop) => this.chat(plan, request, sequence, events, stop)) };
  }

  async prepareCompletion(request: CompletionRequest): Promise<PreparedGeneration> {
    this.checkLogitBias(request.sampling);
    if (request.suffix !== null && !this.infillSupported) {
      throw new InvalidInputError("suffix", "This model has no fill-in-the-middle tokens, so it cannot complete text before a suffix.");
    }
    const text: RawPrompt = { prompt: this.rawTokens(request.prompt), suffix: request.suffix === null ? null : this.rawTokens(request.suffix) };
    const prompt = this.completionTokens(text);
    const maxTokens = this.answerBudget(prompt.length, request.maxTokens ?? this.maxTokens ?? COMPLETION_DEFAULT_MAX_TOKENS);
    this.slots.checkCapacity();
    return {
      promptTokens: prompt.length,
      run: (signal) => this.generate(prompt, signal, (sequence, events, stop) => this.complete(request, text, maxTokens, sequence, events, stop)),
    };
  }

  countPromptTokens(request: GenerationRequest): number {
    if (this.nativeChat) return this.renderNative(this.nativeChat, request).prompt.length;
    const functions = toFunctions(request.tools, request.toolChoice);
    return this.wrapperPrompt(this.wrapperFor(this.thinkingPlan(request)), toChatHistory(request.messages), functions).tokens.length;
  }

  renderPrompt(request: GenerationRequest): string {
    if (this.nativeChat) return this.renderNative(this.nativeChat, request).params.prompt;
    const { contextText } = this.wrapperFor(this.thinkingPlan(request)).generateContextState({
      chatHistory: toChatHistory(request.messages),
      availableFunctions: toFunctions(request.tools, request.toolChoice),
    });
    return contextText.toString();
  }

  tokenize(text: string, options: { addSpecial: boolean; parseSpecial: boolean }): number[] {
    return promptTokens(this.model, text, options);
  }

  tokenPiece(token: number): string {
    this.checkTokens([token]);
    return this.model.detokenize([token as Token], true);
  }

  detokenize(tokens: readonly number[]): string {
    this.checkTokens(tokens);
    return this.model.detokenize(tokens as Token[], true);
  }

  /** Each token id is one of the vocabulary's; an InvalidInputError naming `param` otherwise. */
  private checkTokens(tokens: readonly number[], param = "tokens"): void {
    const vocabulary = this.vocabularySize;
    const bad = tokens.find((token) => !Number.isInteger(token) || token < 0 || (vocabulary !== null && token >= vocabulary));
    if (bad !== undefined) throw new InvalidInputError(param, `Token id ${bad} is not in this model's vocabulary of ${vocabulary} tokens.`);
  }

  load(): EngineLoad {
    return { slots: this.slots.size, slotsInUse: this.slots.inUse, queued: this.slots.waiting };
  }

  async close(): Promise<void> {
    this.unloading.abort();
    await this.embeddings.close();
    await this.context.dispose();
    await this.model.dispose();
  }

  /** The model's chat layer (llama.cpp's), where it runs: /apply-template renders with it. */
  get chatLayer(): NativeChat | null {
    return this.nativeChat;
  }

  /** A chat turn through llama.cpp's chat layer, decoded on the batched path (chat-layer/native-turn.ts). */
  private async prepareNative(native: NativeChat, request: GenerationRequest): Promise<PreparedGeneration> {
    const rendered = this.renderNative(native, request);
    const maxTokens = this.answerBudget(rendered.prompt.length, request.maxTokens);
    // A required call and an output format: llama.cpp's grammar (json_schema_to_grammar for a format, as llama-server).
    const grammar =
      rendered.grammar === null
        ? undefined
        : await this.grammars.forGbnf(rendered.grammar).catch((error: unknown) => {
            throw new FormatGrammarError(errorMessage(error));
          });
    // tool_choice auto: the format's call grammar, from where a call begins (llama-server's lazy
    // grammar); one node-llama-cpp cannot compile leaves the calls to the parser alone.
    const lazyGrammar = rendered.lazyGrammar === null ? null : await this.grammars.forGbnf(rendered.lazyGrammar).catch(() => null);
    this.slots.checkCapacity();
    const sampling = samplingOptions(request.sampling, () => this.lib.TokenBias.for(this.model));
    const budget = request.reasoning.budget ?? this.reasoningDefaults.budget;
    const produce = (sequence: LlamaContextSequence, events: EventQueue<EngineEvent>, stop: AbortSignal) => {
      const stream = this.batchWindow.begin();
      const sink = new ParserSink((tokens, lastTokens) => this.model.detokenize(tokens, true, lastTokens), native.parserTurn(rendered, request.stop), events);
      const turn: DecodeTurn = { prompt: rendered.prompt, maxTokens, stopTokens: new Set<Token>(), sampling, endsTurn: native.endsTurn };
      if (grammar) {
        turn.grammar = native.grammarState(grammar);
      } else if (budget !== null || lazyGrammar !== null) {
        // A thought budget is kept where no grammar applies from the start (that grammar would not
        // see the end tag written for the model); a lazy grammar follows the thought.
        const thought = native.thoughtBudget(rendered, budget ?? Infinity);
        if (thought) turn.thoughtBudget = thought;
        if (lazyGrammar) turn.lazyGrammar = native.lazyGrammar(lazyGrammar, rendered, thought);
      }
      return decodeTurn(this.model, sequence, turn, sink, stop, stream.asked).finally(stream.end);
    };
    return { promptTokens: rendered.prompt.length, run: (signal) => this.generate(rendered.prompt, signal, produce) };
  }

  /** The request through the model's template; what the template or llama.cpp's schema conversion refuses is the client's 400. */
  private renderNative(native: NativeChat, request: GenerationRequest): RenderedTurn {
    try {
      return native.render(request, this.reasoningDefaults);
    } catch (error) {
      if (request.format.type !== "text") throw new FormatGrammarError(errorMessage(error));
      throw new InvalidInputError("messages", `The model's chat template cannot render this conversation: ${errorMessage(error)}`);
    }
  }

  /** Whether the model has fill-in-the-middle tokens (prefix, suffix, middle), for a completion with a suffix. */
  get infillSupported(): boolean {
    const { prefix, suffix, middle } = this.model.tokens.infill;
    return prefix != null && suffix != null && middle != null;
  }

  private thinkingPlan(request: GenerationRequest): ThinkingPlan {
    const wrapper = this.wrapperFor(null);
    return planThinking(wrapper.wrapperName, wrapper.settings.segments?.thought !== undefined, request.reasoning, this.reasoningDefaults);
  }

  private formatTokens(wrapper: ChatWrapper): ReadonlySet<Token> {
    let tokens = this.formatTokensOf.get(wrapper);
    if (!tokens) {
      tokens = formatTokens(this.model.fileInfo.metadata.tokenizer?.ggml?.token_type, wrapper, (marker) => this.lib.LlamaText(marker).tokenize(this.model.tokenizer));
      this.formatTokensOf.set(wrapper, tokens);
    }
    return tokens;
  }

  /** The model's chat wrapper as node-llama-cpp resolves it, with the plan's settings (null: its defaults); made once per plan. */
  private wrapperFor(plan: ThinkingPlan | null): ChatWrapper {
    const key = plan?.key ?? "";
    let wrapper = this.chatWrappers.get(key);
    if (!wrapper) {
      const customWrapperSettings = plan?.wrapperSettings ?? undefined;
      wrapper = this.lib.resolveChatWrapper(this.model, { type: this.chatTemplate, ...(customWrapperSettings ? { customWrapperSettings } : {}) });
      this.chatWrappers.set(key, wrapper);
    }
    return wrapper;
  }

  private checkLogitBias(sampling: GenerationRequest["sampling"]): void {
    this.checkTokens(sampling.logitBias.map(({ token }) => token), "logit_bias");
  }

  /**
   * Most tokens the answer may take: what was asked (else the server's --max-tokens), at most that
   * cap and what the context has left. Past the context's end the answer is cut with "length",
   * never shifted silently; a prompt that fills the context can never run.
   */
  private answerBudget(promptTokens: number, asked: number | null): number {
    const room = this.contextSize - promptTokens;
    if (room <= 0) throw new ContextOverflowError(promptTokens, this.contextSize);
    return Math.min(asked ?? this.maxTokens ?? room, this.maxTokens ?? room, room);
  }

  /** The prompt as the chat wrapper renders it, in tokens, and what ends the model's turn. */
  private wrapperPrompt(chatWrapper: ChatWrapper, history: ChatHistoryItem[], functions: ChatModelFunctions | undefined): { tokens: Token[]; stopTriggers: LlamaText[] } {
    const { contextText, stopGenerationTriggers } = chatWrapper.generateContextState({ chatHistory: history, availableFunctions: functions });
    return { tokens: contextText.tokenize(this.model.tokenizer), stopTriggers: stopGenerationTriggers };
  }

  /** A turn for the direct path: the wrapper's stop triggers as tokens (one-token ones) or text, its thought segment. */
  private directTurn(chatWrapper: ChatWrapper, prompt: Token[], stopTriggers: LlamaText[], maxTokens: number, request: GenerationRequest, continuing: boolean): DirectTurn {
    const stopTokens = new Set<Token>();
    const wrapperStopStrings: string[] = [];
    for (const trigger of stopTriggers) {
      const tokens = trigger.tokenize(this.model.tokenizer);
      if (tokens.length === 1) stopTokens.add(tokens[0]!);
      else if (tokens.length > 1) wrapperStopStrings.push(this.model.detokenize(tokens, false));
    }
    const segment = chatWrapper.settings.segments?.thought;
    const markers = this.formatTokens(chatWrapper);
    return {
      prompt,
      maxTokens,
      markers,
      stopStrings: request.stop,
      wrapperStopStrings: wrapperStopStrings.filter((text) => text !== ""),
      stopTokens,
      // A thought the prompt opens ("openedOnStart") opens only a new response, as in LlamaChat.
      thought:
        segment?.suffix === undefined || (continuing && opensOnStart(segment.prefix))
          ? null
          : this.thoughtMarkers(segment.prefix, segment.suffix, markers),
      sampling: samplingOptions(request.sampling, () => this.lib.TokenBias.for(this.model)),
    };
  }

  /** A thought segment's prefix (null: "openedOnStart", the wrapper opens the thought in the prompt) and suffix, as text and format tokens. */
  private thoughtMarkers(
    prefix: string | LlamaText | { type: "openedOnStart" },
    suffix: string | LlamaText,
    format: ReadonlySet<Token>,
  ): NonNullable<DirectTurn["thought"]> {
    const text = (marker: string | LlamaText) => this.lib.LlamaText(marker).toString();
    const tokens = (marker: string | null) => new Set(marker === null ? [] : this.model.tokenize(marker, true).filter((token) => format.has(token)));
    const prefixText = opensOnStart(prefix) ? null : text(prefix);
    const suffixText = text(suffix);
    return { prefix: prefixText, suffix: suffixText, prefixTokens: tokens(prefixText), suffixTokens: tokens(suffixText) };
  }

  /**
   * A raw prompt's tokens, special tokens (`<|im_start|>`, …) read as such, as llama-server does
   * for its prompts; LlamaCompletion puts the model's beginning token first, if it takes one.
   */
  private rawTokens(text: string): Token[] {
    return this.model.tokenize(text, true, "trimLeadingSpace");
  }

  /** What LlamaCompletion evaluates for a prompt (and suffix): to count it and to pick the sequence that holds most of it. */
  private completionTokens({ prompt, suffix }: RawPrompt): Token[] {
    const bos = this.model.tokens.shouldPrependBosToken && this.model.tokens.bos != null ? [this.model.tokens.bos] : [];
    if (suffix === null) return [...bos, ...prompt];
    // Infill: prefix token, the prompt, suffix token, the suffix, middle token (about what node-llama-cpp sends).
    const { prefix, suffix: suffixToken, middle } = this.model.tokens.infill;
    return [...bos, prefix!, ...prompt, suffixToken!, ...suffix, middle!];
  }

  /**
   * The part every generation shares: wait for the sequence that holds most of the prompt, run
   * `produce` on it, and turn its end into events (finish and usage, or an error when cut short).
   */
  private async *generate(
    prompt: Token[],
    signal: AbortSignal,
    produce: (sequence: LlamaContextSequence, events: EventQueue<EngineEvent>, stop: AbortSignal) => Promise<GenerationOutcome>,
  ): AsyncGenerator<EngineEvent> {
    const sequence = await this.slots.acquire(signal, (candidate) => reuseScore(candidate.contextTokens, prompt));
    if (!sequence) return;
    const cachedTokens = sharedPrefix(sequence.contextTokens, prompt);
    // Our own controller, so that a consumer that stops iterating also stops the generation.
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const outputBefore = sequence.tokenMeter.usedOutputTokens;
    const events = new EventQueue<EngineEvent>();
    const generation = produce(sequence, events, stop.signal)
      .then(
        ({ finish, reasoningTokens }) => {
          if (stop.signal.aborted) {
            // Cut short from outside: a finish reason would pass the partial answer off as whole.
            events.push({ type: "error", message: `generation stopped: ${errorMessage(stop.signal.reason)}` });
            return;
          }
          events.push({ type: "finish", reason: finish });
          const completionTokens = sequence.tokenMeter.usedOutputTokens - outputBefore;
          events.push({ type: "usage", usage: { promptTokens: prompt.length, completionTokens, cachedTokens, reasoningTokens: Math.min(reasoningTokens, completionTokens) } });
        },
        (error: unknown) => {
          const reason = stop.signal.aborted ? `generation stopped: ${errorMessage(stop.signal.reason)}` : errorMessage(error);
          events.push({ type: "error", message: reason });
        },
      )
      .finally(() => events.end());
    try {
      yield* events;
    } finally {
      stop.abort();
      signal.removeEventListener("abort", onAbort);
      await generation;
      this.slots.release(sequence);
    }
  }

  /** A chat turn through LlamaChat and the model's chat wrapper, tools and grammar included. */
  private async chat(plan: Plan, request: GenerationRequest, sequence: LlamaContextSequence, events: EventQueue<EngineEvent>, stop: AbortSignal): Promise<GenerationOutcome> {
    const chat = new this.lib.LlamaChat({ contextSequence: sequence, chatWrapper: plan.chatWrapper });
    const toolCalls = new ToolCallEvents(() => `call_${randomBytes(12).toString("hex")}`);
    const before = sequence.tokenMeter.usedOutputTokens;
    const generated = () => sequence.tokenMeter.usedOutputTokens - before;
    const segments = new SegmentEvents(plan.markers, (tokens, lastTokens) => this.model.detokenize(tokens, false, lastTokens), generated);
    const common = {
      ...this.generationOptions(request.sampling, request.stop, stop),
      onResponseChunk: (chunk: ResponseChunk) => segments.onChunk(chunk).forEach((event) => events.push(event)),
      // The wrapper's default budget is half the context; the answer's own budget is the only cap unless one was asked for.
      budgets: { thoughtTokens: plan.thoughtBudget ?? Infinity, commentTokens: Infinity },
      maxTokens: plan.maxTokens,
    };
    try {
      // node-llama-cpp takes either functions or a grammar, never both (the request schema ensures it).
      const response = plan.functions
        ? await chat.generateResponse(plan.history, {
            ...common,
            functions: plan.functions,
            maxParallelFunctionCalls: plan.maxParallelFunctionCalls,
            onFunctionCallParamsChunk: (chunk) => toolCalls.onParamsChunk(chunk).forEach((event) => events.push(event)),
          })
        : await chat.generateResponse(plan.history, { ...common, grammar: plan.grammar });
      if (!stop.aborted) toolCalls.onResponse(response.functionCalls).forEach((event) => events.push(event));
      return { finish: finishReason(response.metadata, toolCalls.count, request.stop), reasoningTokens: segments.thoughtTokens(generated()) };
    } finally {
      chat.dispose();
    }
  }

  /** A raw completion through LlamaCompletion: no chat template; with a suffix, fill-in-the-middle. */
  private async complete(
    request: CompletionRequest,
    text: RawPrompt,
    maxTokens: number,
    sequence: LlamaContextSequence,
    events: EventQueue<EngineEvent>,
    stop: AbortSignal,
  ): Promise<GenerationOutcome> {
    const completion = new this.lib.LlamaCompletion({ contextSequence: sequence });
    const options = { ...this.generationOptions(request.sampling, request.stop, stop), maxTokens, onTextChunk: (text: string) => events.push({ type: "text", text }) };
    try {
      const { metadata } =
        text.suffix === null
          ? await completion.generateCompletionWithMeta(text.prompt, options)
          : await completion.generateInfillCompletionWithMeta(text.prompt, text.suffix, options);
      return { finish: finishReason(metadata, 0, request.stop), reasoningTokens: 0 };
    } finally {
      completion.dispose();
    }
  }

  private generationOptions(sampling: GenerationRequest["sampling"], stops: string[], stop: AbortSignal) {
    return {
      ...samplingOptions(sampling, () => this.lib.TokenBias.for(this.model)),
      customStopTriggers: stops.length > 0 ? stops : undefined,
      signal: stop,
      stopOnAbortSignal: true,
    };
  }
}

type StopMetadata =
  | { stopReason: "eogToken" | "stopGenerationTrigger" | "functionCalls" | "maxTokens" | "abort" }
  | { stopReason: "customStopTrigger"; customStopTrigger: (string | Token)[] };

/** A thought prefix that the wrapper puts in the prompt ("openedOnStart") rather than the model writing it. */
function opensOnStart(prefix: string | LlamaText | { type: "openedOnStart" }): prefix is { type: "openedOnStart" } {
  return typeof prefix === "object" && "type" in prefix;
}

/** Whether the wrapper's segments are one thought at the start of the answer at most, which the direct path splits itself. */
function leadingThoughtOnly(wrapper: ChatWrapper): boolean {
  const segments = wrapper.settings.segments;
  return segments?.comment === undefined && segments?.closeAllSegments === undefined;
}

function finishReason(metadata: StopMetadata, toolCalls: number, stops: readonly string[]): FinishReason {
  if (toolCalls > 0 && metadata.stopReason !== "maxTokens") return { type: "tool_calls" };
  switch (metadata.stopReason) {
    case "maxTokens":
      return { type: "length" };
    case "functionCalls":
      return { type: "tool_calls" };
    case "customStopTrigger": {
      // node-llama-cpp hands back the trigger as it matched it (strings and tokens); name it as the client sent it.
      const matched = metadata.customStopTrigger.filter((part): part is string => typeof part === "string").join("");
      return { type: "stop_sequence", sequence: stops.find((stop) => stop === matched) ?? matched };
    }
    default:
      return { type: "end" };
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
