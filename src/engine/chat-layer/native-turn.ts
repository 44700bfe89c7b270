// A chat turn through llama.cpp's chat layer: the request rendered by the model's own template
// (as llama-server renders it), decoded on the batched path, the output read by the format's own
// parser. Plain turns, tools, output formats, thinking and Harmony's channels all go this way.
import { randomBytes } from "node:crypto";
import type { LlamaGrammar, LlamaModel, Token } from "node-llama-cpp";
import type { NodeLlamaCppModule } from "../node-llama-cpp.ts";
import type { DecodeTurn } from "../direct-chat.ts";
import { controlTokens } from "../format-tokens.ts";
import { promptTokens } from "../prompt-tokens.ts";
import type { GenerationRequest } from "../types.ts";
import type { ReasoningDefaults } from "../reasoning.ts";
import { callAtOnce } from "./grammar.ts";
import { chatInputs } from "./inputs.ts";
import { addonModel, type ChatLayer, type ChatParams } from "./native.ts";
import type { ParserTurn } from "./parser-sink.ts";

/** A request rendered: its prompt's tokens, the chat params, and what its turn needs but a grammar. */
export interface RenderedTurn {
  params: ChatParams;
  prompt: Token[];
  /** The format's grammar, where it applies from the first token (a required tool call); lazy grammars are not applied. */
  grammar: string | null;
  /** Whether the output's tool calls are read as calls. */
  tools: boolean;
  /** Most tool calls one answer may make; null: any number. */
  maxCalls: number | null;
}

export class NativeChat {
  /** Control tokens: left out of the text unless the format preserves them. */
  private readonly control: ReadonlySet<Token>;
  /** Control tokens less each format's preserved ones, by the preserved list. */
  private readonly hiddenByPreserved = new Map<string, ReadonlySet<Token>>();

  constructor(
    private readonly lib: NodeLlamaCppModule,
    private readonly model: LlamaModel,
    readonly layer: ChatLayer,
  ) {
    this.control = controlTokens(model.fileInfo.metadata.tokenizer?.ggml?.token_type);
  }

  /** The request as the model's template renders it, in tokens (special tokens read as such, as llama-server does). */
  render(request: GenerationRequest, defaults: ReasoningDefaults): RenderedTurn {
    const params = this.layer.apply(chatInputs(request, defaults));
    const prompt = promptTokens(this.model, params.prompt, { addSpecial: true, parseSpecial: true });
    const tools = request.tools.length > 0 && request.toolChoice.type !== "none";
    const grammar = params.grammar !== "" && !params.grammar_lazy ? callAtOnce(params.grammar, params.generation_prompt) : null;
    return { params, prompt, grammar, tools, maxCalls: request.parallelToolCalls ? null : 1 };
  }

  /** What reads the turn's tokens: hidden tokens, stops and a fresh parser. */
  parserTurn(rendered: RenderedTurn, stopStrings: readonly string[]): ParserTurn {
    return {
      hidden: this.hidden(rendered.params.preserved_tokens),
      stopStrings,
      formatStops: rendered.params.additional_stops,
      parser: this.layer.parser(rendered.params, rendered.tools),
      maxCalls: rendered.maxCalls,
      newCallId: () => `call_${randomBytes(12).toString("hex")}`,
    };
  }

  /**
   * Whether a token ends the turn, as llama.cpp's vocabulary says (llama-server's check):
   * node-llama-cpp also ends at the end-of-turn token, which gpt-oss writes between its channels.
   */
  readonly endsTurn = (token: Token): boolean => addonModel(this.model).isEogToken(token);

  /** The grammar's state for one generation. */
  grammarState(grammar: LlamaGrammar): NonNullable<DecodeTurn["grammar"]> {
    return new this.lib.LlamaGrammarEvaluationState({ model: this.model, grammar });
  }

  private hidden(preserved: readonly string[]): ReadonlySet<Token> {
    const key = JSON.stringify(preserved);
    let hidden = this.hiddenByPreserved.get(key);
    if (!hidden) {
      const kept = new Set(preserved.map((text) => this.model.tokenize(text, true)).filter((tokens) => tokens.length === 1).map((tokens) => tokens[0]!));
      hidden = new Set([...this.control].filter((token) => !kept.has(token)));
      this.hiddenByPreserved.set(key, hidden);
    }
    return hidden;
  }
}
