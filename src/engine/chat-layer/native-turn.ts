// A chat turn through llama.cpp's chat layer: the request rendered by the model's own template
// (as llama-server renders it), decoded on the batched path, the output read by the format's own
// parser. Plain turns, tools, output formats, thinking and Harmony's channels all go this way.
import { randomBytes } from "node:crypto";
import type { LlamaGrammar, LlamaModel, Token } from "node-llama-cpp";
import type { NodeLlamaCppModule } from "../node-llama-cpp.ts";
import type { DecodeTurn } from "../direct-chat.ts";
import { controlTokens } from "../format-tokens.ts";
import { promptTokens } from "../prompt-tokens.ts";
import { ThoughtBudget } from "../thought-budget.ts";
import type { GenerationRequest } from "../types.ts";
import type { ReasoningDefaults } from "../reasoning.ts";
import { callAtOnce } from "./grammar.ts";
import { LazyGrammar } from "./lazy-grammar.ts";
import { chatInputs, type ChatInputs } from "./inputs.ts";
import { adaptToTemplate } from "./template-rules.ts";
import { addonModel, type ChatLayer, type ChatParams } from "./native.ts";
import type { ParserTurn } from "./parser-sink.ts";

/** A request rendered: its prompt's tokens, the chat params, and what its turn needs but a grammar. */
export interface RenderedTurn {
  params: ChatParams;
  prompt: Token[];
  /** The format's grammar, where it applies from the first token (a required tool call, an output format). */
  grammar: string | null;
  /** The format's tool-call grammar, where it applies once a call begins (tool_choice auto). */
  lazyGrammar: string | null;
  /** Whether the output's tool calls are read as calls. */
  tools: boolean;
  /** Most tool calls one answer may make; null: any number. */
  maxCalls: number | null;
}

export class NativeChat {
  /** Control tokens and the format's markup: left out of the text unless the turn preserves them. */
  private readonly control: ReadonlySet<Token>;
  /** Control tokens less each format's preserved ones, by the preserved list. */
  private readonly hiddenByPreserved = new Map<string, ReadonlySet<Token>>();

  constructor(
    private readonly lib: NodeLlamaCppModule,
    private readonly model: LlamaModel,
    readonly layer: ChatLayer,
    /** The format's markup (a tool turn's preserved tokens: `<tool_call>`, `<think>`, …): text only where a turn preserves it. */
    markers: readonly string[],
  ) {
    const control = controlTokens(model.fileInfo.metadata.tokenizer?.ggml?.token_type);
    this.control = new Set([...control, ...this.singleTokens(markers)]);
  }

  /**
   * The request as the model's template renders it, in tokens (special tokens read as such, as
   * llama-server does); rendered and tokenized off the event loop.
   */
  async render(request: GenerationRequest, defaults: ReasoningDefaults, contextSize?: number): Promise<RenderedTurn> {
    let inputs = chatInputs(request, defaults);
    for (let tries = 0; ; tries++) {
      let params: ChatParams;
      try {
        params = await this.layer.applyAsync(inputs);
      } catch (error) {
        inputs = this.retry(inputs, error, tries);
        continue;
      }
      return this.rendered(request, params, contextSize);
    }
  }

  /** The inputs made to fit the rule a template's refusal names (template-rules.ts), once; else the refusal stands. */
  private retry(inputs: ChatInputs, error: unknown, tries: number): ChatInputs {
    const adapted = tries === 0 ? adaptToTemplate(inputs, error instanceof Error ? error.message : String(error)) : null;
    if (adapted === null) throw error;
    return adapted;
  }

  private async rendered(request: GenerationRequest, params: ChatParams, contextSize: number | undefined): Promise<RenderedTurn> {
    const prompt = await promptTokens(this.model, params.prompt, { addSpecial: true, parseSpecial: true, ...(contextSize === undefined ? {} : { contextSize }) });
    const tools = request.tools.length > 0 && request.toolChoice.type !== "none";
    const grammar = params.grammar !== "" && !params.grammar_lazy ? callAtOnce(params.grammar, params.generation_prompt) : null;
    const lazyGrammar = params.grammar !== "" && params.grammar_lazy && tools ? params.grammar : null;
    return { params, prompt, grammar, lazyGrammar, tools, maxCalls: request.parallelToolCalls ? null : 1 };
  }

  /** What reads the turn's tokens: hidden tokens, stops and a fresh parser. */
  parserTurn(rendered: RenderedTurn, stopStrings: readonly string[]): ParserTurn {
    return {
      hidden: this.hidden(rendered.params.preserved_tokens),
      stopStrings,
      formatStops: rendered.params.additional_stops,
      parser: this.layer.parser(rendered.params, rendered.tools),
      maxCalls: rendered.maxCalls,
      thoughtTags: this.thoughtTags(rendered.params),
      newCallId: () => `call_${randomBytes(12).toString("hex")}`,
    };
  }

  /** The format's thought tags, where each is one token (ParserTurn.thoughtTags). */
  private thoughtTags(params: ChatParams): ParserTurn["thoughtTags"] {
    const { thinking_start_tag: start, thinking_end_tags: ends, generation_prompt: prompt } = params;
    const startToken = start === "" ? null : this.oneToken(start);
    const endTokens = ends.map((end) => this.oneToken(end));
    if (startToken === null || endTokens.length === 0 || endTokens.some((token) => token === null)) return null;
    const open = prompt.lastIndexOf(start) > Math.max(...ends.map((end) => prompt.lastIndexOf(end)));
    return { start: startToken, ends: new Set(endTokens as Token[]), open };
  }

  /**
   * Whether a token ends the turn, as llama.cpp's vocabulary says (llama-server's check):
   * node-llama-cpp also ends at the end-of-turn token, which gpt-oss writes between its channels.
   */
  readonly endsTurn = (token: Token): boolean => addonModel(this.model).isEogToken(token);

  /**
   * The thought's budget for one generation, where the format names its tags (llama-server's
   * reasoning budget; Infinity: none, the thought only followed): the generation prompt's tokens are
   * read first (a prompt that opens the thought starts the count). Null where the format has no thought tags.
   */
  thoughtBudget(rendered: RenderedTurn, budget: number): ThoughtBudget | null {
    const { thinking_start_tag: start, thinking_end_tags: ends, generation_prompt: prompt } = rendered.params;
    if (start === "" || ends.length === 0) return null;
    const endTokens = ends.map((end) => this.tokens(end));
    const counter = new ThoughtBudget({ start: this.tokens(start), ends: endTokens, forced: endTokens[0]! }, budget, (token) => !this.model.detokenize([token], true).endsWith("\uFFFD"));
    for (const token of this.tokens(prompt)) counter.accept(token);
    return counter;
  }

  /** The tool-call grammar for one generation, applied once a call begins; `thought` follows the thought (none inside it). */
  lazyGrammar(grammar: LlamaGrammar, rendered: RenderedTurn, thought: ThoughtBudget | null): LazyGrammar {
    return new LazyGrammar(this.lib, this.model.llama, this.model, grammar, rendered.params.grammar_triggers, thought);
  }

  /** The grammar's state for one generation. */
  grammarState(grammar: LlamaGrammar): NonNullable<DecodeTurn["grammar"]> {
    return new this.lib.LlamaGrammarEvaluationState({ model: this.model, grammar });
  }

  /** A format's text as tokens, its special tokens read as such. */
  private tokens(text: string): Token[] {
    return this.model.tokenize(text, true);
  }

  /** The token a text is, where it is one; null otherwise. */
  private oneToken(text: string): Token | null {
    const tokens = this.tokens(text);
    return tokens.length === 1 ? tokens[0]! : null;
  }

  /** The texts that are one token each, as those tokens. */
  private singleTokens(texts: readonly string[]): Token[] {
    return texts.map((text) => this.oneToken(text)).filter((token): token is Token => token !== null);
  }

  private hidden(preserved: readonly string[]): ReadonlySet<Token> {
    const key = JSON.stringify(preserved);
    let hidden = this.hiddenByPreserved.get(key);
    if (!hidden) {
      const kept = new Set(this.singleTokens(preserved));
      hidden = new Set([...this.control].filter((token) => !kept.has(token)));
      this.hiddenByPreserved.set(key, hidden);
    }
    return hidden;
  }
}
