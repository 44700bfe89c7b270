// The engine for one loaded model (engine/llama-load.ts loads it): each request rendered by the
// model's chat format (llama.cpp's chat layer, else node-llama-cpp's wrappers: engine/wrapper-chat.ts),
// measured against the context, and run on a sequence of its own, its output turned into events.
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { ContextOverflowError, errorMessage, FormatGrammarError, InvalidInputError } from "./errors.ts";
import type { BatchWindow } from "./batch-window.ts";
import type { DecodeThreads } from "./decode-threads.ts";
import { decodeTurn, type DecodeTurn, type Produce } from "./direct-chat.ts";
import type { NativeChat, RenderedTurn } from "./chat-layer/native-turn.ts";
import { ParserSink } from "./chat-layer/parser-sink.ts";
import { promptTokens, rawPromptTokens, type TokenizeOptions } from "./prompt-tokens.ts";
import { Embedder } from "./embedder.ts";
import type { EngineBuild } from "./engine-build.ts";
import type { Grammars } from "./grammars.ts";
import type { WeightBuffer } from "./weights.ts";
import type { NodeLlamaCppModule } from "./node-llama-cpp.ts";
import type { ReasoningDefaults } from "./reasoning.ts";
import { DEFAULT_TEMPERATURE, samplingOptions, type SamplingDefaults } from "./sampling.ts";
import { SlotPool } from "./slots.ts";
import { draftEveryToken, promptLookup, type Speculation } from "./speculation.ts";
import type { DraftModel } from "./draft-model.ts";
import { WrapperChat } from "./wrapper-chat.ts";
import type { MissingPatches } from "./patches.ts";
import { modelCacheDir, PromptCache, type PromptCacheOptions } from "./prompt-cache.ts";
import { runOnSequence, type Sequencing } from "./run-on-sequence.ts";
import type { LlamaEngineOptions } from "./llama-options.ts";
import { completionTokens, runCompletion, type RawPrompt } from "./raw-completion.ts";
import { COMPLETION_DEFAULT_MAX_TOKENS, type CompletionRequest, type Engine, type EngineLoad, type GenerationRequest, type PreparedGeneration } from "./types.ts";

export class LlamaEngine implements Engine {
  readonly modelId: string;
  /** Decoding threads. */
  readonly threads: number;
  /** The threads decodes take now, at most `threads` (fewer while other processes keep the cores busy); none: always `threads`. */
  private readonly decodeThreads: DecodeThreads | null;
  readonly slots: SlotPool<LlamaContextSequence>;
  readonly embeddings: Embedder;
  /** Tokens in the model's vocabulary, from the GGUF metadata; null where it does not say. */
  private readonly vocabularySize: number | null;
  private readonly reasoningDefaults: ReasoningDefaults;
  private readonly samplingDefaults: SamplingDefaults;
  /** node-llama-cpp's chat wrappers: the chat format where llama.cpp's chat layer does not serve the model. */
  private readonly wrappers: WrapperChat;
  /** The server's output cap (--max-tokens): requests that ask for none get it, none get more; null: no cap but the context's. */
  readonly maxTokens: number | null;
  /** Prompts kept beyond the sequences; null: none. */
  readonly promptCache: PromptCache | null;
  /** Speculative decoding (--spec-type, --model-draft) on the turns decoded here; none: plain decoding. */
  private readonly speculation: Speculation | undefined;
  /** The model that drafts (--model-draft); null: the prompt lookup drafts, where --spec-type says so. */
  private readonly draftModel: DraftModel | null;
  /** What a generation takes its sequence from. */
  private readonly sequencing: Sequencing<LlamaContextSequence>;
  private readonly sequences: readonly LlamaContextSequence[];

  constructor(
    private readonly lib: NodeLlamaCppModule,
    options: LlamaEngineOptions & { threads: number; decodeThreads?: DecodeThreads; draftModel?: DraftModel },
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
    /** What the loaded engine lacks of oserve's patches (engine/patches.ts): for a startup warning. */
    readonly missingPatches: MissingPatches = { nodeLlamaCpp: [], llamaCpp: [] },
  ) {
    this.modelId = options.modelId;
    this.threads = options.threads;
    this.decodeThreads = options.decodeThreads ?? null;
    this.reasoningDefaults = options.reasoning ?? { effort: null, budget: null };
    this.samplingDefaults = { temperature: options.temperature ?? DEFAULT_TEMPERATURE };
    this.wrappers = new WrapperChat(lib, model, options.chatTemplate ?? "auto", this.reasoningDefaults, this.samplingDefaults, grammars, batchWindow);
    this.maxTokens = options.maxTokens ?? (options.outputCap ? Math.min(options.outputCap(context.contextSize), context.contextSize) : null);
    const tokens: unknown = model.fileInfo.metadata.tokenizer?.ggml?.tokens;
    this.vocabularySize = Array.isArray(tokens) ? tokens.length : null;
    // Sequences live as long as the server: each keeps its last conversation's tokens, so that a
    // follow-up turn whose prompt starts the same way evaluates only what is new.
    const sequences = Array.from({ length: options.parallel }, () => context.getSequence());
    this.sequences = sequences;
    this.slots = new SlotPool(sequences, options.maxQueue);
    const cache = options.promptCache;
    this.promptCache = cache ? openPromptCache(cache, options, model) : null;
    this.draftModel = options.draftModel ?? null;
    this.speculation = options.speculation?.type === "none" && !this.draftModel ? undefined : options.speculation;
    this.sequencing = { slots: this.slots, promptCache: this.promptCache, speculating: this.speculation !== undefined };
    this.embeddings = new Embedder(model, { contextSize: context.contextSize, threads: options.threads, maxQueue: options.maxQueue, ...(options.reserveMemory ? { reserve: options.reserveMemory } : {}) });
  }

  /** The model's default chat wrapper, resolved now rather than by the first request; its name. */
  resolveChatWrapper(): string {
    return this.wrappers.resolve();
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
    // Capacity before work: a request that could neither run nor wait is refused before it is
    // rendered and tokenized (and asked again after, when the queue may have filled meanwhile).
    this.slots.checkCapacity();
    if (this.nativeChat) return this.prepareNative(this.nativeChat, request);
    const { prompt, produce } = await this.wrappers.prepare(request, (promptTokens) => this.answerBudget(promptTokens, request.maxTokens));
    this.slots.checkCapacity();
    return { promptTokens: prompt.length, run: (signal) => runOnSequence(this.sequencing, prompt, signal, produce) };
  }

  async prepareCompletion(request: CompletionRequest): Promise<PreparedGeneration> {
    this.checkLogitBias(request.sampling);
    if (request.suffix !== null && !this.infillSupported) {
      throw new InvalidInputError("suffix", "This model has no fill-in-the-middle tokens, so it cannot complete text before a suffix.");
    }
    this.slots.checkCapacity();
    const text: RawPrompt = {
      prompt: await rawPromptTokens(this.model, request.prompt, this.contextSize),
      suffix: request.suffix === null ? null : await rawPromptTokens(this.model, request.suffix, this.contextSize),
    };
    const prompt = completionTokens(this.model, text);
    const maxTokens = this.answerBudget(prompt.length, request.maxTokens ?? this.maxTokens ?? COMPLETION_DEFAULT_MAX_TOKENS);
    this.slots.checkCapacity();
    return {
      promptTokens: prompt.length,
      run: (signal) => runOnSequence(this.sequencing, prompt, signal, (sequence, events, stop) => runCompletion({ lib: this.lib, model: this.model, samplingDefaults: this.samplingDefaults }, request, text, maxTokens, sequence, events, stop)),
    };
  }

  async countPromptTokens(request: GenerationRequest): Promise<number> {
    if (this.nativeChat) return (await this.renderNative(this.nativeChat, request)).prompt.length;
    return this.wrappers.countPromptTokens(request);
  }

  async renderPrompt(request: GenerationRequest): Promise<string> {
    if (this.nativeChat) return (await this.renderNative(this.nativeChat, request)).params.prompt;
    return this.wrappers.renderPrompt(request);
  }

  tokenize(text: string, options: TokenizeOptions): Promise<number[]> {
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

  checkCapacity(requests: number): void {
    this.slots.checkCapacity(requests);
  }

  load(): EngineLoad {
    const load: EngineLoad = { slots: this.slots.size, slotsInUse: this.slots.inUse, queued: this.slots.waiting, decodeThreads: this.decodeThreads?.current ?? this.threads };
    if (this.promptCache) {
      const { saves: _saves, ...counts } = this.promptCache.summary();
      load.promptCache = counts;
    }
    return load;
  }

  async close(): Promise<void> {
    this.unloading.abort();
    // Kept where the next start finds them (--cache-dir): each sequence's prompt, a resumed session's prefill.
    if (this.promptCache?.persistent) for (const sequence of this.sequences) await this.promptCache.save(sequence);
    this.promptCache?.close();
    await this.embeddings.close();
    await this.draftModel?.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }

  /** The model's chat layer (llama.cpp's), where it runs: /apply-template renders with it. */
  get chatLayer(): NativeChat | null {
    return this.nativeChat;
  }

  /** A chat turn through llama.cpp's chat layer, decoded on the batched path (chat-layer/native-turn.ts). */
  private async prepareNative(native: NativeChat, request: GenerationRequest): Promise<PreparedGeneration> {
    const rendered = await this.renderNative(native, request, true);
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
    const sampling = samplingOptions(request.sampling, () => this.lib.TokenBias.for(this.model), this.samplingDefaults);
    const budget = request.reasoning.budget ?? this.reasoningDefaults.budget;
    const produce: Produce = (sequence, events, stop) => {
      const stream = this.batchWindow.begin();
      const sink = new ParserSink((tokens, lastTokens) => this.model.detokenize(tokens, true, lastTokens), native.parserTurn(rendered, request.stop), events);
      const turn: DecodeTurn = { prompt: rendered.prompt, maxTokens, stopTokens: new Set<Token>(), sampling, endsTurn: native.endsTurn };
      if (grammar) {
        turn.grammar = native.grammarState(grammar);
      } else {
        if (budget !== null || lazyGrammar !== null) {
          // A thought budget is kept where no grammar applies from the start (that grammar would not
          // see the end tag written for the model); a lazy grammar follows the thought.
          const thought = native.thoughtBudget(rendered, budget ?? Infinity);
          if (thought) turn.thoughtBudget = thought;
          if (lazyGrammar) turn.lazyGrammar = native.lazyGrammar(lazyGrammar, rendered, thought);
        }
        // Drafts are checked against no grammar: a constrained turn decodes plainly, a lazy grammar's call too.
        const drafts = this.draftModel ? draftEveryToken(this.draftModel.drafterFor(this.lib, sequence, this.speculation!.draftMax)) : promptLookup(this.lib, this.speculation, rendered.prompt);
        if (drafts) turn.drafts = drafts;
      }
      return decodeTurn(this.model, sequence, turn, sink, stop, stream.asked).finally(stream.end);
    };
    return { promptTokens: rendered.prompt.length, run: (signal) => runOnSequence(this.sequencing, rendered.prompt, signal, produce) };
  }

  /** The request through the model's template, off the event loop; what the template or llama.cpp's schema conversion refuses is the client's 400. */
  /** The request rendered and tokenized; for a generation (`fit`), a prompt far past the context is refused by its beginning. */
  private renderNative(native: NativeChat, request: GenerationRequest, fit = false): Promise<RenderedTurn> {
    return native.render(request, this.reasoningDefaults, fit ? this.contextSize : undefined).catch((error: unknown) => {
      throw renderError(request, error);
    });
  }

  /** Whether the model has fill-in-the-middle tokens (prefix, suffix, middle), for a completion with a suffix. */
  get infillSupported(): boolean {
    const { prefix, suffix, middle } = this.model.tokens.infill;
    return prefix != null && suffix != null && middle != null;
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

}

/** The model's kept prompts; none (with a warning) where its folder cannot be made or read: the model serves without them. */
function openPromptCache(cache: PromptCacheOptions, options: LlamaEngineOptions, model: LlamaModel): PromptCache | null {
  try {
    return new PromptCache({ ...cache, dir: modelCacheDir(cache, options.modelId, options.modelPath, model.llama.llamaCppRelease.release) });
  } catch (error) {
    console.error(`oserve: warning: ${options.modelId}: prompts are not kept beyond the sequences: ${errorMessage(error)}`);
    return null;
  }
}

/** What the template or llama.cpp's schema conversion refuses is the client's 400. */
function renderError(request: GenerationRequest, error: unknown): Error {
  if (error instanceof ContextOverflowError) return error;
  if (request.format.type !== "text") return new FormatGrammarError(errorMessage(error));
  return new InvalidInputError("messages", `The model's chat template cannot render this conversation: ${errorMessage(error)}`);
}
