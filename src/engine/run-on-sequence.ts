// The part every generation shares: wait for the sequence that holds most of the prompt (a kept
// prompt loaded into it where one holds more), run the turn on it, and turn its end into events
// (finish and usage, or an error when cut short); the sequence goes back to the pool after.
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import type { Produce } from "./direct-chat.ts";
import { errorMessage } from "./errors.ts";
import type { EngineEvent, TokenUsage } from "./events.ts";
import { EventQueue } from "./event-queue.ts";
import type { PromptCache } from "./prompt-cache.ts";
import { reuseScore, sharedPrefix } from "./prompt-reuse.ts";
import type { SlotPool } from "./slots.ts";
import { draftCounts, draftsSince, dropUnusedDrafts } from "./speculation.ts";

/** Where a generation's sequence comes from. */
export interface Sequencing<S> {
  slots: SlotPool<S>;
  promptCache: PromptCache | null;
  /** Turns may decode speculatively (--spec-type): their drafts are counted, and dropped where unused. */
  speculating?: boolean;
}

/** `produce` run on the sequence that holds most of `prompt`, its output and end as events. */
export async function* runOnSequence(
  { slots, promptCache, speculating = false }: Sequencing<LlamaContextSequence>,
  prompt: Token[],
  signal: AbortSignal,
  produce: Produce,
): AsyncGenerator<EngineEvent> {
  const sequence = await slots.acquire(signal, (candidate) => reuseScore(candidate.contextTokens, prompt));
  if (!sequence) return;
  if (promptCache) {
    // What the sequence held is kept before the prompt overwrites it; a kept prompt that shares more is loaded.
    await promptCache.keepBeforeReuse(sequence, prompt);
    await promptCache.restoreInto(sequence, prompt);
  }
  const cachedTokens = sharedPrefix(sequence.contextTokens, prompt);
  // Our own controller, so that a consumer that stops iterating also stops the generation.
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  const outputBefore = sequence.tokenMeter.usedOutputTokens;
  const draftsBefore = speculating ? draftCounts(sequence) : null;
  const events = new EventQueue<EngineEvent>();
  const generation = produce(sequence, events, stop.signal)
    .then(
      ({ finish, reasoningTokens, completionTokens: written }) => {
        if (stop.signal.aborted) {
          // Cut short from outside: a finish reason would pass the partial answer off as whole.
          events.push({ type: "error", message: `generation stopped: ${errorMessage(stop.signal.reason)}` });
          return;
        }
        events.push({ type: "finish", reason: finish });
        const drafts = draftsBefore && draftsSince(draftsBefore, draftCounts(sequence));
        // The turn's own count where it keeps one: the meter counts every token a decode evaluated, drafts too.
        const completionTokens = written ?? sequence.tokenMeter.usedOutputTokens - outputBefore;
        const usage: TokenUsage = { promptTokens: prompt.length, completionTokens, cachedTokens, reasoningTokens: Math.min(reasoningTokens, completionTokens) };
        if (drafts) usage.drafts = drafts;
        events.push({ type: "usage", usage });
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
    if (speculating) await dropUnusedDrafts(sequence).catch(() => {});
    slots.release(sequence);
  }
}
