// PURE: which sequence a prompt should run in, by the tokens it already holds.
import type { Token } from "node-llama-cpp";

/** A sequence is picked for its cached tokens when they are at least this share of the prompt. */
const MIN_REUSED_SHARE = 0.5;

/** How many tokens at the start of `held` equal those of `prompt`. */
export function sharedPrefix(held: readonly Token[], prompt: readonly Token[]): number {
  const limit = Math.min(held.length, prompt.length);
  let i = 0;
  while (i < limit && held[i] === prompt[i]) i++;
  return i;
}

/**
 * How much a sequence holding `held` is worth to `prompt`: its shared prefix when that is most of
 * the prompt, else 0, so that the least recently used sequence is taken instead and one request
 * with a new prompt does not evict a conversation's cache at random.
 */
export function reuseScore(held: readonly Token[], prompt: readonly Token[]): number {
  const shared = sharedPrefix(held, prompt);
  return shared >= prompt.length * MIN_REUSED_SHARE ? shared : 0;
}
