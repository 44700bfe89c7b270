// node-llama-cpp's chat wrappers as oserve's chat format, where llama.cpp's chat layer does not
// serve the model (an addon without it, a wrapper named by --chat-template, a template the layer
// refuses): the wrapper renders the history, and the turn decodes on the batched path
// (engine/direct-chat.ts) where its format allows, else through LlamaChat, which parses the
// wrapper's function calls and segments.
import { randomBytes } from "node:crypto";
import type { ChatHistoryItem, ChatModelFunctions, ChatWrapper, LlamaContextSequence, LlamaGrammar, LlamaModel, LlamaText, Token } from "node-llama-cpp";
import type { ChatTemplate } from "./chat-templates.ts";
import type { BatchWindow } from "./batch-window.ts";
import { toChatHistory } from "./chat-history.ts";
import { generateDirect, type DirectTurn, type Produce } from "./direct-chat.ts";
import { errorMessage, FormatGrammarError } from "./errors.ts";
import type { EngineEvent, GenerationOutcome } from "./events.ts";
import type { EventQueue } from "./event-queue.ts";
import { formatTokens } from "./format-tokens.ts";
import { forceFunctionCall, toFunctions } from "./function-calling.ts";
import type { Grammars } from "./grammars.ts";
import type { NodeLlamaCppModule } from "./node-llama-cpp.ts";
import { planThinking, type ReasoningDefaults, type ThinkingPlan } from "./reasoning.ts";
import { generationOptions, samplingOptions, type SamplingDefaults } from "./sampling.ts";
import { SegmentEvents, type ResponseChunk } from "./segment-events.ts";
import { finishReason } from "./stop-metadata.ts";
import { ToolCallEvents } from "./tool-call-events.ts";
import type { GenerationRequest } from "./types.ts";

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

export class WrapperChat {
  /** The model's chat wrapper with its default settings, and the variants reasoning efforts ask for, by plan key. */
  private readonly chatWrappers = new Map<string, ChatWrapper>();
  /** Each of those wrappers' format tokens (engine/format-tokens.ts): never answer text. Worked out once. */
  private readonly formatTokensOf = new WeakMap<ChatWrapper, ReadonlySet<Token>>();

  constructor(
    private readonly lib: NodeLlamaCppModule,
    private readonly model: LlamaModel,
    private readonly chatTemplate: ChatTemplate,
    private readonly reasoningDefaults: ReasoningDefaults,
    private readonly samplingDefaults: SamplingDefaults,
    private readonly grammars: Grammars,
    private readonly batchWindow: BatchWindow,
  ) {}

  /** The model's default chat wrapper, resolved now rather than by the first request; its name. */
  resolve(): string {
    return this.wrapperFor(null).wrapperName;
  }

  /**
   * The request rendered by the wrapper, and how it decodes: on the batched path where the wrapper's
   * format has one leading thought at most and nothing constrains the answer, else through LlamaChat
   * (tools, an output format, a thought budget, Harmony's channels). `answerBudget`: the most tokens
   * the answer may take after a prompt of that many (it throws where the prompt cannot fit).
   */
  async prepare(request: GenerationRequest, answerBudget: (promptTokens: number) => number): Promise<{ prompt: Token[]; produce: Produce }> {
    const history = toChatHistory(request.messages);
    const functions = toFunctions(request.tools, request.toolChoice);
    const forced = functions !== undefined && (request.toolChoice.type === "required" || request.toolChoice.type === "function");
    const thinking = this.thinkingPlan(request);
    const wrapper = this.wrapperFor(thinking);
    const chatWrapper = forced ? forceFunctionCall(wrapper, this.lib.LlamaText) : wrapper;
    const { tokens: prompt, stopTriggers } = this.wrapperPrompt(chatWrapper, history, functions);
    const maxTokens = answerBudget(prompt.length);
    const grammar = await this.grammars.forFormat(request.format).catch((error: unknown) => {
      throw new FormatGrammarError(errorMessage(error));
    });
    // The direct path knows one leading thought; a budget to enforce, and formats with more
    // segments than that (Harmony's channels), go through LlamaChat and the wrapper's own parsing.
    if (functions === undefined && grammar === undefined && thinking.thoughtBudget === null && leadingThoughtOnly(wrapper)) {
      // A model response the history ends with (a prefill, the answer after tool results) goes on where it is.
      const last = history.at(-1);
      const continuing = last?.type === "model" && last.response.length > 0;
      const turn = this.directTurn(chatWrapper, prompt, stopTriggers, maxTokens, request, continuing);
      const produce: Produce = (sequence, events, stop) => {
        const stream = this.batchWindow.begin();
        return generateDirect(this.model, sequence, turn, events, stop, stream.asked).finally(stream.end);
      };
      return { prompt, produce };
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
    return { prompt, produce: (sequence, events, stop) => this.chat(plan, request, sequence, events, stop) };
  }

  /** The prompt's length in tokens, tools included. */
  countPromptTokens(request: GenerationRequest): number {
    const functions = toFunctions(request.tools, request.toolChoice);
    return this.wrapperPrompt(this.wrapperFor(this.thinkingPlan(request)), toChatHistory(request.messages), functions).tokens.length;
  }

  /** The prompt's text as the wrapper renders it. */
  renderPrompt(request: GenerationRequest): string {
    const { contextText } = this.wrapperFor(this.thinkingPlan(request)).generateContextState({
      chatHistory: toChatHistory(request.messages),
      availableFunctions: toFunctions(request.tools, request.toolChoice),
    });
    return contextText.toString();
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
      sampling: samplingOptions(request.sampling, () => this.lib.TokenBias.for(this.model), this.samplingDefaults),
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

  /** A chat turn through LlamaChat and the model's chat wrapper, tools and grammar included. */
  private async chat(plan: Plan, request: GenerationRequest, sequence: LlamaContextSequence, events: EventQueue<EngineEvent>, stop: AbortSignal): Promise<GenerationOutcome> {
    const chat = new this.lib.LlamaChat({ contextSequence: sequence, chatWrapper: plan.chatWrapper });
    const toolCalls = new ToolCallEvents(() => `call_${randomBytes(12).toString("hex")}`);
    const before = sequence.tokenMeter.usedOutputTokens;
    const generated = () => sequence.tokenMeter.usedOutputTokens - before;
    const segments = new SegmentEvents(plan.markers, (tokens, lastTokens) => this.model.detokenize(tokens, false, lastTokens), generated);
    const common = {
      ...generationOptions(request.sampling, () => this.lib.TokenBias.for(this.model), this.samplingDefaults, request.stop, stop),
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

}

/** A thought prefix that the wrapper puts in the prompt ("openedOnStart") rather than the model writing it. */
function opensOnStart(prefix: string | LlamaText | { type: "openedOnStart" }): prefix is { type: "openedOnStart" } {
  return typeof prefix === "object" && "type" in prefix;
}

/** Whether the wrapper's segments are one thought at the start of the answer at most, which the direct path splits itself. */
function leadingThoughtOnly(wrapper: ChatWrapper): boolean {
  const segments = wrapper.settings.segments;
  return segments?.comment === undefined && segments?.closeAllSegments === undefined;
}
