// The format's tool-call grammar, applied from where a call begins (llama.cpp's lazy grammar, which
// llama-server applies to every request with tools): until then the model writes freely; from the
// trigger on, the grammar, fed the call's text so far, constrains each token, so a call is always one
// the parser reads. Not inside the thought, as in llama.cpp (common/sampling.cpp).
import type { Llama, LlamaGrammar, LlamaGrammarEvaluationState, LlamaModel, Token } from "node-llama-cpp";
import type { NodeLlamaCppModule } from "../node-llama-cpp.ts";
import type { ThoughtBudget } from "../thought-budget.ts";
import { CallTrigger, type GrammarTrigger } from "./call-trigger.ts";
import { acceptGrammarTokens } from "./native.ts";

export class LazyGrammar {
  private readonly trigger: CallTrigger;
  private triggered = false;

  constructor(
    private readonly lib: NodeLlamaCppModule,
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly grammar: LlamaGrammar,
    triggers: readonly GrammarTrigger[],
    /** Follows the thought (with no budget of its own where the request sets none); null: the format has no thought tags. */
    private readonly thought: ThoughtBudget | null,
  ) {
    this.trigger = new CallTrigger(triggers);
  }

  /**
   * Reads a token the model wrote; where a call begins with it, the grammar's state past the call's
   * text so far, to constrain what follows. Null otherwise, and where the call's text cannot be
   * replayed into the grammar (then the call goes on unconstrained, read by the parser as it comes).
   */
  accept(token: Token): LlamaGrammarEvaluationState | null {
    if (this.triggered || !this.trigger.armed || this.thought?.thinking) return null;
    const call = this.trigger.push(token, this.model.detokenize([token], true));
    if (call === null) return null;
    this.triggered = true;
    const tokens = this.model.tokenize(call, true);
    if (this.model.detokenize(tokens, true) !== call) return null;
    const state = new this.lib.LlamaGrammarEvaluationState({ model: this.model, grammar: this.grammar });
    return acceptGrammarTokens(this.llama, state, tokens) ? state : null;
  }
}
