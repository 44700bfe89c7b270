// The batched decode path: a turn's prompt tokens straight into the sequence's own token iterator
// (decodeTurn), each token handed to a sink that reads it. Two sinks: llama.cpp's chat layer
// (chat-layer/parser-sink.ts: every chat turn whose template it serves, tools and formats included),
// and here the chat wrapper's format with one leading thought at most (a turn without tools, a
// grammar or a thought budget, on node-llama-cpp's wrappers), the thought and the answer streamed
// through engine/text-stream.ts. LlamaChat does much per token that such a turn never needs
// (function-call and segment detection over every token, rerendering checks); measured on a tiny
// model, this path decodes ~20% more tokens per second. On the wrappers, turns with tools, a response
// format or a thought budget, and Harmony's channels, still go through LlamaChat.
import type { LlamaContextSequence, LlamaModel, SequenceEvaluateOptions, Token } from "node-llama-cpp";
import type { EngineEvent, FinishReason, GenerationOutcome } from "./events.ts";
import type { EventQueue } from "./event-queue.ts";
import type { ThoughtBudget } from "./thought-budget.ts";
import { sharedPrefix } from "./prompt-reuse.ts";
import { speculativeTokens, type Drafting, type TokenIterator } from "./speculation.ts";
import { Detokenizer, LeadingThought, StopStrings, type ThoughtSplit } from "./text-stream.ts";

/** Tokens of recent output that OpenAI's presence and frequency penalties look at (as LlamaChat's default). */
const PENALTY_WINDOW = 64;

/** What decodes a prepared turn on the sequence it was given, its events into the queue, until `stop` or its end. */
export type Produce = (sequence: LlamaContextSequence, events: EventQueue<EngineEvent>, stop: AbortSignal) => Promise<GenerationOutcome>;

/** Where each generated token goes: text, events, a stop found. */
export interface TokenSink {
  /** A generated token that does not end the turn; a finish where the output must end here (a stop string). */
  token(token: Token): GenerationOutcome | null;
  /** The turn ended for `reason`: what is held back goes out. */
  end(reason: FinishReason): GenerationOutcome;
}

/** How one turn decodes, whatever reads its tokens. */
export interface DecodeTurn {
  /** The rendered prompt's tokens. */
  prompt: Token[];
  maxTokens: number;
  /** Tokens that end the turn besides the model's end-of-generation tokens (the wrapper's `<|im_end|>`, …). */
  stopTokens: ReadonlySet<Token>;
  /** Sampling, as node-llama-cpp's options (the penalties' token list is filled in here). */
  sampling: Omit<SequenceEvaluateOptions, "repeatPenalty"> & {
    repeatPenalty?: false | { penalty?: number; presencePenalty?: number; frequencyPenalty?: number };
  };
  /** Constrains every token (a JSON format, a forced tool call). */
  grammar?: SequenceEvaluateOptions["grammarEvaluationState"];
  /** Whether a token ends the turn (default: node-llama-cpp's end-of-generation check). */
  endsTurn?: (token: Token) => boolean;
  /** The thought's budget: where it is spent, its end tag is written for the model (not with a grammar). */
  thoughtBudget?: ThoughtBudget;
  /** A grammar that applies once a tool call begins (llama.cpp's lazy grammar): it gives the state that constrains what follows. */
  lazyGrammar?: { accept(token: Token): NonNullable<SequenceEvaluateOptions["grammarEvaluationState"]> | null };
  /** Speculative decoding (--spec-type ngram: while the turn's last tokens are found in the prompt; --model-draft: always). */
  drafts?: Drafting;
}

/** A turn in the chat wrapper's format: its stop strings, format tokens and leading thought. */
export interface DirectTurn extends DecodeTurn {
  /** The client's stop strings (a match is reported as such). */
  stopStrings: readonly string[];
  /** The chat wrapper's textual stop triggers (a match is the turn's normal end). */
  wrapperStopStrings: readonly string[];
  /** The chat format's own tokens (engine/format-tokens.ts): never answer text. */
  markers: ReadonlySet<Token>;
  /**
   * The chat wrapper's thought segment, split from the answer when the answer starts with it (prefix
   * null: it starts inside it); the format tokens of its prefix and suffix, which may open and close it.
   */
  thought: { prefix: string | null; suffix: string; prefixTokens: ReadonlySet<Token>; suffixTokens: ReadonlySet<Token> } | null;
}

/**
 * Decodes a turn on the sequence, batched with the other streams: only what the sequence does not
 * already hold of the prompt is evaluated, then each token goes to `sink` until the model ends its
 * turn, a stop token or the budget ends it, or `sink` stops it. The outcome counts the tokens the
 * model wrote (the one that ends the turn among them) and those written for it (a spent thought's end
 * tag): what a sequence's meter would say, but for the drafts a speculative turn evaluated.
 */
export async function decodeTurn(
  model: LlamaModel,
  sequence: LlamaContextSequence,
  turn: DecodeTurn,
  sink: TokenSink,
  stop: AbortSignal,
  /** Called when the sequence asks for its next token (engine/batch-window.ts). */
  asked: () => void,
): Promise<GenerationOutcome> {
  const count = { written: 0 };
  const outcome = await decodeTokens(count, model, sequence, turn, sink, stop, asked);
  return { ...outcome, completionTokens: count.written };
}

async function decodeTokens(count: { written: number }, ...[model, sequence, turn, sink, stop, asked]: Parameters<typeof decodeTurn>): Promise<GenerationOutcome> {
  // At least the last prompt token is evaluated: its logits give the first answer token.
  const keep = Math.min(sharedPrefix(sequence.contextTokens, turn.prompt), turn.prompt.length - 1);
  if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
  const generated: Token[] = [];
  const { repeatPenalty, ...sampling } = turn.sampling;
  const options: SequenceEvaluateOptions = {
    ...sampling,
    repeatPenalty: repeatPenalty ? { ...repeatPenalty, punishTokens: () => generated.slice(-PENALTY_WINDOW) } : undefined,
    ...(turn.grammar ? { grammarEvaluationState: turn.grammar } : {}),
    yieldEogToken: true,
  };
  asked();
  // evaluateWithMetadata is node-llama-cpp's token generator itself; `evaluate` wraps it in one more
  // async generator, a layer of promises per token on the path from one decode to the next. What is
  // passed to next() is evaluated instead of the token it gave: a spent thought's end tag goes in so.
  // A new generator, with the grammar's state in its options, takes over where a lazy grammar begins,
  // and one on the other path where drafting starts or stops (it evaluates the token the last gave).
  let drafts = turn.drafts ?? null;
  // A draft model drafts from the first token on; the prompt lookup once the output matches the prompt.
  let drafting = drafts?.drafting ?? false;
  const evaluate = (input: Token[]): TokenIterator => (drafting && drafts ? speculativeTokens(sequence, input, options, drafts.drafter) : sequence.evaluateWithMetadata(input, {}, options));
  let tokens = evaluate(turn.prompt.slice(keep));
  try {
    let next = await tokens.next();
    while (!next.done) {
      const { token } = next.value;
      count.written++;
      if (stop.aborted) return sink.end({ type: "end" });
      if ((turn.endsTurn ? turn.endsTurn(token) : model.isEogToken(token)) || turn.stopTokens.has(token)) break;
      generated.push(token);
      const stopped = sink.token(token);
      if (stopped) return stopped;
      if (generated.length >= turn.maxTokens) return sink.end({ type: "length" });
      // The grammar looks at the thought as it was before this token (llama.cpp's order).
      const constrained = turn.lazyGrammar?.accept(token) ?? null;
      const forced = turn.thoughtBudget?.accept(token) ?? null;
      // What the sequence evaluates next in place of the token alone: it and the forced end tag.
      let input: Token[] | undefined;
      if (forced !== null && forced.length > 0) {
        input = [token];
        for (const tag of forced) {
          count.written++;
          generated.push(tag);
          input.push(tag);
          const ended = sink.token(tag);
          if (ended) return ended;
          if (generated.length >= turn.maxTokens) return sink.end({ type: "length" });
        }
      }
      asked();
      for (const each of input ?? [token]) drafts?.push(each);
      if (constrained !== null) drafts = null;
      const switching = (drafts?.drafting ?? false) !== drafting;
      if (constrained !== null || switching) {
        await tokens.return(undefined);
        if (constrained !== null) options.grammarEvaluationState = constrained;
        drafting = drafts?.drafting ?? false;
        tokens = evaluate(input ?? [token]);
        next = await tokens.next();
      } else {
        next = await tokens.next(input);
      }
    }
  } finally {
    await tokens.return(undefined);
  }
  return sink.end({ type: "end" });
}

export function generateDirect(
  model: LlamaModel,
  sequence: LlamaContextSequence,
  turn: DirectTurn,
  events: EventQueue<EngineEvent>,
  stop: AbortSignal,
  /** Called when the sequence asks for its next token (engine/batch-window.ts). */
  asked: () => void = () => {},
): Promise<GenerationOutcome> {
  return decodeTurn(model, sequence, turn, new LeadingThoughtSink(model, turn, events), stop, asked);
}

/** The wrapper's format read by the direct path: a leading thought split off, the answer through the stop strings. */
class LeadingThoughtSink implements TokenSink {
  private readonly thought: LeadingThought;
  private readonly detokenizer: Detokenizer;
  private readonly stops: StopStrings;
  private generated = 0;
  /** Tokens up to the one that ended the thought, once it ended. */
  private thoughtTokens: number | null = null;

  constructor(
    model: LlamaModel,
    private readonly turn: DirectTurn,
    private readonly events: EventQueue<EngineEvent>,
  ) {
    this.thought = new LeadingThought(turn.thought);
    // Special tokens are rendered as text while a thought may begin or end (its markers may be such tokens), not in the answer.
    this.detokenizer = new Detokenizer((tokens, lastTokens) => model.detokenize(tokens, !this.thought.answering, lastTokens));
    this.stops = new StopStrings([...turn.stopStrings, ...turn.wrapperStopStrings]);
  }

  token(token: Token): GenerationOutcome | null {
    this.generated++;
    const { turn, thought } = this;
    // A format token is text only where it opens or closes the thought; anywhere else it is left out.
    const formatToken = turn.markers.has(token);
    if (!formatToken || (thought.opening && turn.thought?.prefixTokens.has(token)) || (thought.thinking && turn.thought?.suffixTokens.has(token))) {
      const found = this.send(thought.push(this.detokenizer.push(token)));
      if (found !== null) return this.outcome(this.stopped(found));
    }
    return null;
  }

  // At the end, what the detokenizer and the thought held back goes through the stop strings too;
  // a stop found there still wins.
  end(reason: FinishReason): GenerationOutcome {
    const held = this.send(this.thought.push(this.detokenizer.flush())) ?? this.send(this.thought.flush());
    if (held !== null) return this.outcome(this.stopped(held));
    const rest = this.stops.flush();
    if (rest !== "") this.events.push({ type: "text", text: rest });
    return this.outcome(reason);
  }

  private stopped(matched: string): FinishReason {
    return this.turn.stopStrings.includes(matched) ? { type: "stop_sequence", sequence: matched } : { type: "end" };
  }

  /** The thought goes out as it comes; the answer through the stop strings. Returns the stop found, if one was. */
  private send(split: ThoughtSplit): string | null {
    if (split.thought !== "") this.events.push({ type: "reasoning", text: split.thought });
    if (split.ended) {
      this.thoughtTokens = this.generated;
      this.events.push({ type: "reasoning_end" });
    }
    if (split.answer === "") return null;
    const scan = this.stops.push(split.answer);
    if (scan.text !== "") this.events.push({ type: "text", text: scan.text });
    return scan.stop;
  }

  private outcome(finish: FinishReason): GenerationOutcome {
    return { finish, reasoningTokens: this.thoughtTokens ?? (this.thought.thinking ? this.generated : 0) };
  }
}
