// PURE: the events of one or more raw completions (one choice per prompt) as `text_completion` chunks.
import type { ChoiceEvent, TokenUsage } from "../engine/events.ts";
import type { Encoded, StreamEncoder } from "../stream/encoder.ts";
import { sseFrame } from "../stream/sse.ts";
import type { StreamIdentity } from "./types.ts";
import { serverErrorBody } from "./errors.ts";
import { chatFinishReason, type ChatFinishReason } from "./finish-reason.ts";
import type { Usage } from "./types.ts";
import { toChatUsage } from "./usage.ts";

export interface CompletionChoice {
  index: number;
  text: string;
  logprobs: null;
  finish_reason: ChatFinishReason | null;
}

export interface TextCompletion {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage?: Usage | null;
}

export interface CompletionsState {
  /** Which choices sent their finish chunk. */
  readonly finished: readonly boolean[];
  /** Usage summed over the choices that reported it. */
  readonly usage: TokenUsage | null;
  readonly closed: boolean;
}

const DONE_FRAME = sseFrame("[DONE]");

export function completionsEncoder(identity: StreamIdentity, options: { choices: number; includeUsage: boolean }): StreamEncoder<CompletionsState, ChoiceEvent> {
  const chunk = (choice: CompletionChoice) => sseFrame(makeCompletion(identity, [choice], options.includeUsage ? null : undefined));
  const fail = (state: CompletionsState, message: string, code?: string): Encoded<CompletionsState> => ({
    state: { ...state, closed: true },
    frames: [sseFrame(serverErrorBody(message, code ?? null)), DONE_FRAME],
  });
  const allFinished = (state: CompletionsState) => state.finished.length === options.choices && state.finished.every(Boolean);
  return {
    start: () => ({ state: { finished: Array.from({ length: options.choices }, () => false), usage: null, closed: false }, frames: [] }),
    event(state, event) {
      if (state.closed) return { state, frames: [] };
      const done = state.finished[event.choice] === true;
      switch (event.type) {
        case "text":
          if (done || event.text === "") return { state, frames: [] };
          return { state, frames: [chunk({ index: event.choice, text: event.text, logprobs: null, finish_reason: null })] };
        case "finish":
          if (done) return { state, frames: [] };
          return {
            state: { ...state, finished: state.finished.with(event.choice, true) },
            frames: [chunk({ index: event.choice, text: "", logprobs: null, finish_reason: chatFinishReason(event.reason) })],
          };
        case "usage":
          return { state: { ...state, usage: addUsage(state.usage, event.usage) }, frames: [] };
        case "error":
          return fail(state, event.message, event.code);
        case "tool_call":
        case "tool_call_arguments":
        case "reasoning":
        case "reasoning_end":
          // A raw completion has no tools, and no chat template to tell a thought from the text.
          return { state, frames: [] };
      }
    },
    keepalive(state) {
      if (state.closed || allFinished(state)) return null;
      // Empty text for the first choice still running: strict accumulators take it as a no-op.
      const index = Math.max(0, state.finished.indexOf(false));
      return { state, frames: [chunk({ index, text: "", logprobs: null, finish_reason: null })] };
    },
    end(state) {
      if (state.closed) return { state, frames: [] };
      if (!allFinished(state)) return fail(state, "generation ended without a finish reason");
      const frames: string[] = [];
      if (options.includeUsage && state.usage) frames.push(sseFrame({ ...makeCompletion(identity, [], null), usage: toChatUsage(state.usage) }));
      frames.push(DONE_FRAME);
      return { state: { ...state, closed: true }, frames };
    },
    fail,
    closed: (state) => state.closed,
  };
}

/** A whole answer: every choice's text and finish reason, in prompt order, and the usage summed. */
export function collectCompletion(identity: StreamIdentity, choices: number, events: readonly ChoiceEvent[]): TextCompletion {
  const texts = Array.from({ length: choices }, (): CompletionChoice => ({ index: 0, text: "", logprobs: null, finish_reason: null }));
  texts.forEach((choice, index) => (choice.index = index));
  let usage: TokenUsage | null = null;
  for (const event of events) {
    const choice = texts[event.choice];
    if (!choice) continue;
    if (event.type === "text") choice.text += event.text;
    if (event.type === "finish") choice.finish_reason = chatFinishReason(event.reason);
    if (event.type === "usage") usage = addUsage(usage, event.usage);
  }
  return { ...makeCompletion(identity, texts, undefined), usage: toChatUsage(usage ?? { promptTokens: 0, completionTokens: 0 }) };
}

function makeCompletion(identity: StreamIdentity, choices: CompletionChoice[], usage: null | undefined): TextCompletion {
  const completion: TextCompletion = { id: identity.id, object: "text_completion", created: identity.created, model: identity.model, choices };
  // OpenAI sends `usage: null` on every chunk but the last when usage is asked for.
  if (usage === null) completion.usage = null;
  return completion;
}

function addUsage(sum: TokenUsage | null, usage: TokenUsage): TokenUsage {
  if (!sum) return usage;
  return {
    promptTokens: sum.promptTokens + usage.promptTokens,
    completionTokens: sum.completionTokens + usage.completionTokens,
    cachedTokens: (sum.cachedTokens ?? 0) + (usage.cachedTokens ?? 0),
  };
}
