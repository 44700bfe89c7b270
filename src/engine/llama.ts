// The node-llama-cpp adapter: loads a GGUF model and turns generations into events.
import { randomBytes } from "node:crypto";
import type {
  ChatHistoryItem,
  ChatModelFunctions,
  ChatWrapper,
  LlamaChatResponse,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
  Token,
} from "node-llama-cpp";
import type { EngineEvent, FinishReason } from "./events.ts";
import { toChatHistory } from "./chat-history.ts";
import { ContextOverflowError, FormatGrammarError, InvalidInputError } from "./errors.ts";
import { EventQueue } from "./event-queue.ts";
import { forceFunctionCall, toFunctions } from "./function-calling.ts";
import { Grammars } from "./grammars.ts";
import { importNodeLlamaCpp, type NodeLlamaCppModule } from "./node-llama-cpp.ts";
import { ToolCallEvents } from "./tool-call-events.ts";
import { reuseScore, sharedPrefix } from "./prompt-reuse.ts";
import { samplingOptions } from "./sampling.ts";
import { SlotPool } from "./slots.ts";
import type { Engine, EngineLoad, GenerationRequest, PreparedGeneration } from "./types.ts";

export interface LlamaEngineOptions {
  modelPath: string;
  /** Name reported to clients. */
  modelId: string;
  /** Tokens per sequence; null: the model's training context, at most 4096. */
  contextSize: number | null;
  threads: number;
  /** Layers offloaded to a GPU; "auto" lets node-llama-cpp decide, 0 keeps everything on the CPU. */
  gpuLayers: number | "auto";
  /** Sequences decoded side by side in one context. */
  parallel: number;
  /** Requests that may wait for a free sequence. */
  maxQueue: number;
  /** Called with 0..1 while the model loads. */
  onLoadProgress?: (progress: number) => void;
}

const DEFAULT_MAX_CONTEXT = 4096;

export async function loadLlamaEngine(options: LlamaEngineOptions): Promise<LlamaEngine> {
  const lib = await importNodeLlamaCpp();
  const llama = await lib.getLlama({
    gpu: options.gpuLayers === 0 ? false : "auto",
    // Prebuilt binaries come from npm; never start a long source build behind the user's back.
    build: "never",
    maxThreads: options.threads,
    logLevel: lib.LlamaLogLevel.error,
  });
  const model = await llama.loadModel({
    modelPath: options.modelPath,
    gpuLayers: options.gpuLayers === "auto" ? "auto" : options.gpuLayers,
    onLoadProgress: options.onLoadProgress,
  });
  const context = await model.createContext({
    contextSize: options.contextSize ?? Math.min(model.trainContextSize, DEFAULT_MAX_CONTEXT),
    sequences: options.parallel,
    threads: { ideal: options.threads, min: 1 },
  });
  return new LlamaEngine(lib, options, model, context, lib.resolveChatWrapper(model), new Grammars(llama));
}

/** How one request is generated: the wrapper, and the functions or grammar that constrain it. */
interface Plan {
  history: ChatHistoryItem[];
  chatWrapper: ChatWrapper;
  functions: ChatModelFunctions | undefined;
  grammar: LlamaGrammar | undefined;
  maxParallelFunctionCalls: number | undefined;
  maxTokens: number;
  /** The rendered prompt's tokens: to count them and to pick the sequence that holds most of them. */
  prompt: Token[];
}

export class LlamaEngine implements Engine {
  readonly modelId: string;
  readonly slots: SlotPool<LlamaContextSequence>;
  /** Tokens in the model's vocabulary, from the GGUF metadata; null where it does not say. */
  private readonly vocabularySize: number | null;

  constructor(
    private readonly lib: NodeLlamaCppModule,
    options: LlamaEngineOptions,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly chatWrapper: ChatWrapper,
    private readonly grammars: Grammars,
  ) {
    this.modelId = options.modelId;
    const tokens: unknown = model.fileInfo.metadata.tokenizer?.ggml?.tokens;
    this.vocabularySize = Array.isArray(tokens) ? tokens.length : null;
    // Sequences live as long as the server: each keeps its last conversation's tokens, so that a
    // follow-up turn whose prompt starts the same way evaluates only what is new.
    const sequences = Array.from({ length: options.parallel }, () => context.getSequence());
    this.slots = new SlotPool(sequences, options.maxQueue);
  }

  get contextSize(): number {
    return this.context.contextSize;
  }

  async prepare(request: GenerationRequest): Promise<PreparedGeneration> {
    const vocabulary = this.vocabularySize;
    const badToken = request.sampling.logitBias.find(({ token }) => vocabulary !== null && token >= vocabulary);
    if (badToken) throw new InvalidInputError("logit_bias", `Token id ${badToken.token} is not in this model's vocabulary of ${vocabulary} tokens.`);
    const history = toChatHistory(request.messages);
    const functions = toFunctions(request.tools, request.toolChoice);
    const forced = functions !== undefined && (request.toolChoice.type === "required" || request.toolChoice.type === "function");
    const chatWrapper = forced ? forceFunctionCall(this.chatWrapper, this.lib.LlamaText) : this.chatWrapper;
    const prompt = this.tokenizePrompt(chatWrapper, history, functions);
    const promptTokens = prompt.length;
    const room = this.contextSize - promptTokens;
    if (room <= 0) throw new ContextOverflowError(promptTokens, this.contextSize);
    const grammar = await this.grammars.forFormat(request.format).catch((error: unknown) => {
      throw new FormatGrammarError(errorMessage(error));
    });
    this.slots.checkCapacity();
    const plan: Plan = {
      history,
      chatWrapper,
      functions,
      grammar,
      maxParallelFunctionCalls: request.parallelToolCalls ? undefined : 1,
      // Past the context's end the answer is cut with finish_reason "length", never shifted silently.
      maxTokens: Math.min(request.maxTokens ?? room, room),
      prompt,
    };
    return { promptTokens, run: (signal) => this.run(plan, request, signal) };
  }

  countPromptTokens(request: GenerationRequest): number {
    const functions = toFunctions(request.tools, request.toolChoice);
    return this.tokenizePrompt(this.chatWrapper, toChatHistory(request.messages), functions).length;
  }

  load(): EngineLoad {
    return { slots: this.slots.size, slotsInUse: this.slots.inUse, queued: this.slots.waiting };
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }

  private tokenizePrompt(chatWrapper: ChatWrapper, history: ChatHistoryItem[], functions: ChatModelFunctions | undefined): Token[] {
    const { contextText } = chatWrapper.generateContextState({ chatHistory: history, availableFunctions: functions });
    return contextText.tokenize(this.model.tokenizer);
  }

  private async *run(plan: Plan, request: GenerationRequest, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    const sequence = await this.slots.acquire(signal, (candidate) => reuseScore(candidate.contextTokens, plan.prompt));
    if (!sequence) return;
    const cachedTokens = sharedPrefix(sequence.contextTokens, plan.prompt);
    // Our own controller, so that a consumer that stops iterating also stops the generation.
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const chat = new this.lib.LlamaChat({ contextSequence: sequence, chatWrapper: plan.chatWrapper });
    const toolCalls = new ToolCallEvents(() => `call_${randomBytes(12).toString("hex")}`);
    const outputBefore = sequence.tokenMeter.usedOutputTokens;
    const events = new EventQueue<EngineEvent>();
    const common = {
      ...samplingOptions(request.sampling, () => this.lib.TokenBias.for(this.model)),
      maxTokens: plan.maxTokens,
      customStopTriggers: request.stop.length > 0 ? request.stop : undefined,
      signal: stop.signal,
      stopOnAbortSignal: true,
      onTextChunk: (text: string) => events.push({ type: "text", text }),
    };
    // node-llama-cpp takes either functions or a grammar, never both (the request schema ensures it).
    const response = plan.functions
      ? chat.generateResponse(plan.history, {
          ...common,
          functions: plan.functions,
          maxParallelFunctionCalls: plan.maxParallelFunctionCalls,
          onFunctionCallParamsChunk: (chunk) => toolCalls.onParamsChunk(chunk).forEach((event) => events.push(event)),
        })
      : chat.generateResponse(plan.history, { ...common, grammar: plan.grammar });
    const generation = response
      .then(
        (response) => {
          if (stop.signal.aborted) {
            // Cut short from outside: a finish_reason would pass the partial answer off as whole.
            events.push({ type: "error", message: `generation stopped: ${errorMessage(stop.signal.reason)}` });
            return;
          }
          toolCalls.onResponse(response.functionCalls).forEach((event) => events.push(event));
          events.push({ type: "finish", reason: finishReason(response, toolCalls.count, request.stop) });
          const completionTokens = sequence.tokenMeter.usedOutputTokens - outputBefore;
          events.push({ type: "usage", usage: { promptTokens: plan.prompt.length, completionTokens, cachedTokens } });
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
      chat.dispose();
      this.slots.release(sequence);
    }
  }
}

function finishReason(response: LlamaChatResponse<ChatModelFunctions | undefined>, toolCalls: number, stops: readonly string[]): FinishReason {
  const { metadata } = response;
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
