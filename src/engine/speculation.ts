// Speculative decoding by prompt lookup (llama-server's n-gram speculation, without a draft model):
// where the last tokens generated also occur in the prompt, the tokens that followed them there are
// drafted and verified in the same decode as the next token; those the model would have written
// anyway are kept, the rest dropped. What the model writes is unchanged, token for token; an answer
// that repeats its prompt (an agent rewriting a file it has just read) takes fewer decodes.
// node-llama-cpp's InputLookupTokenPredictor drafts; its sequences verify.
import type { LlamaContextSequence, TokenPredictor } from "node-llama-cpp";
import type { NodeLlamaCppModule } from "./node-llama-cpp.ts";

export interface Speculation {
  /** none: plain decoding; ngram: drafts looked up in the prompt. */
  type: "none" | "ngram";
  /** Most tokens drafted at a time. */
  draftMax: number;
}

/** Drafted tokens a generation verified, and how many of them the model wrote. */
export interface DraftCounts {
  drafted: number;
  accepted: number;
}

/** The tokens generated that must match the prompt before what followed them there is drafted: fewer drafts too many wrong tokens. */
const PATTERN_MIN = 3;

/** A new sequence's drafter for `speculation`; undefined: plain decoding. */
export function tokenPredictor(lib: NodeLlamaCppModule, speculation: Speculation | undefined): TokenPredictor | undefined {
  if (speculation?.type !== "ngram") return undefined;
  return new lib.InputLookupTokenPredictor({ patternLength: { min: PATTERN_MIN }, predictionLength: { max: speculation.draftMax } });
}

/** Where the drafter looks drafts up: the prompt of the generation about to run on the sequence. */
export function draftFrom(sequence: LlamaContextSequence, prompt: readonly number[]): void {
  sequence.tokenPredictor?.updateInputTokens(prompt as number[] as Parameters<TokenPredictor["updateInputTokens"]>[0]);
}

/**
 * Drops the drafts a generation verified but never used (it ended first) from the sequence's cache:
 * its prompt, kept by the prompt cache as llama.cpp's state, must end where its tokens do.
 */
export async function dropUnusedDrafts(sequence: LlamaContextSequence): Promise<void> {
  // node-llama-cpp's own step before each evaluation (internal): stops the drafter, erases its tokens.
  await (sequence as unknown as { _abortTokenPredictor(): Promise<void> })._abortTokenPredictor();
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
