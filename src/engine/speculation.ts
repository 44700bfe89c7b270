// Speculative decoding by prompt lookup (llama-server's n-gram speculation, without a draft model):
// where the last tokens generated also occur in the prompt, the tokens that followed them there are
// drafted and verified in the same decode as the next token; those the model would have written
// anyway are kept, the rest dropped. What the model writes is unchanged, token for token; an answer
// that repeats its prompt (an agent rewriting a file it has just read) takes fewer decodes.
// node-llama-cpp drafts (InputLookupTokenPredictor) and verifies (its sequences' speculative path),
// but that path costs every token more than oserve's plain one, so a turn runs it only while its
// last tokens are found in the prompt (PromptLookup), and the plain path otherwise.
import type { LlamaContextSequence, SequenceEvaluateOptions, SequenceEvaluateOutput, Token, TokenPredictor } from "node-llama-cpp";
import type { NodeLlamaCppModule } from "./node-llama-cpp.ts";

export interface Speculation {
  /** none: plain decoding; ngram: drafts looked up in the prompt (where no draft model is given). */
  type: "none" | "ngram";
  /** Most tokens drafted at a time. */
  draftMax: number;
  /** A draft model's file (--model-draft): it drafts every token, in place of the prompt lookup; null: none. */
  draftModel: string | null;
}

/** How a turn drafts: the drafter, and whether the turn runs on the speculative path now. */
export interface Drafting {
  readonly drafter: TokenPredictor;
  readonly drafting: boolean;
  /** A token written (or forced) after the prompt. */
  push(token: Token): void;
}

/** A draft model drafts for every token. */
export function draftEveryToken(drafter: TokenPredictor): Drafting {
  return { drafter, drafting: true, push() {} };
}

/** Drafted tokens a generation verified, and how many of them the model wrote. */
export interface DraftCounts {
  drafted: number;
  accepted: number;
}

/** The tokens generated that must match the prompt before what followed them there is drafted: fewer draft too many wrong tokens. */
const PATTERN = 3;
/** Tokens after the last match that still run on the speculative path: an edit's changed words inside a copied stretch. */
const LINGER = 8;

/**
 * One turn's prompt lookup: whether the tokens just written occur in the prompt (drafts can be found
 * now), and node-llama-cpp's drafter, which looks them up there.
 */
export class PromptLookup implements Drafting {
  /** Each PATTERN tokens of the prompt in a row, as a key. */
  private readonly windows = new Set<string>();
  private recent: Token[];
  private sinceMatch = Infinity;

  constructor(
    prompt: readonly Token[],
    readonly drafter: TokenPredictor,
  ) {
    for (let i = 0; i + PATTERN <= prompt.length; i++) this.windows.add(prompt.slice(i, i + PATTERN).join(","));
    this.recent = prompt.slice(-PATTERN);
    drafter.updateInputTokens(prompt as Token[]);
  }

  push(token: Token): void {
    this.recent = [...this.recent.slice(1 - PATTERN), token];
    this.sinceMatch = this.windows.has(this.recent.join(",")) ? 0 : this.sinceMatch + 1;
  }

  /** Whether the turn should run on the speculative path now. */
  get drafting(): boolean {
    return this.sinceMatch <= LINGER;
  }
}

/** A turn's prompt lookup for `speculation`; null: plain decoding. */
export function promptLookup(lib: NodeLlamaCppModule, speculation: Speculation | undefined, prompt: readonly Token[]): PromptLookup | null {
  if (speculation?.type !== "ngram") return null;
  return new PromptLookup(prompt, new lib.InputLookupTokenPredictor({ patternLength: { min: PATTERN }, predictionLength: { max: speculation.draftMax } }));
}

/** A sequence's token iterator: what is passed to next() is evaluated in place of the token it gave. */
export type TokenIterator = AsyncGenerator<SequenceEvaluateOutput<{}>, void, void | Token | Token[]>;

/** node-llama-cpp's sequence internals this reaches: the drafter its evaluation picks the speculative path by, and the step that drops unused drafts. */
interface SequenceInternals {
  _tokenPredictor: TokenPredictor | undefined;
  _abortTokenPredictor(): Promise<void>;
}

/**
 * The sequence's token iterator on the speculative path, drafting with `drafter`: node-llama-cpp
 * chooses that path by the sequence's own drafter when the iterator is made, and the iterator keeps
 * the one it was given, so the sequence holds it only for that moment.
 */
export function speculativeTokens(sequence: LlamaContextSequence, input: Token[], options: SequenceEvaluateOptions, drafter: TokenPredictor): TokenIterator {
  const inner = sequence as unknown as SequenceInternals;
  inner._tokenPredictor = drafter;
  try {
    return sequence.evaluateWithMetadata(input, {}, options);
  } finally {
    inner._tokenPredictor = undefined;
  }
}

/**
 * Drops the drafts a generation verified but never used (it ended first) from the sequence's cache:
 * its prompt, kept by the prompt cache as llama.cpp's state, must end where its tokens do.
 */
export async function dropUnusedDrafts(sequence: LlamaContextSequence): Promise<void> {
  // node-llama-cpp's own step before each evaluation: stops the drafter, erases its tokens.
  await (sequence as unknown as SequenceInternals)._abortTokenPredictor();
}

/** PURE: the drafts between two counts of a sequence: one generation's. */
export function draftsSince(before: DraftCounts, after: DraftCounts): DraftCounts {
  return { drafted: after.drafted - before.drafted, accepted: after.accepted - before.accepted };
}

/** The sequence's draft counts since it was made (the difference of two is a generation's). */
export function draftCounts(sequence: LlamaContextSequence): DraftCounts {
  const { validated, refuted } = sequence.tokenPredictions;
  return { drafted: validated + refuted, accepted: validated };
}
