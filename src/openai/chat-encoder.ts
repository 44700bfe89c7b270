// PURE: the events of one chat completion as `chat.completion.chunk` frames. No timers, no I/O.
import type { EngineEvent } from "../engine/events.ts";
import type { Encoded, StreamEncoder } from "../stream/encoder.ts";
import { sseFrame } from "../stream/sse.ts";
import { serverErrorBody } from "./errors.ts";
import { chatFinishReason, type ChatFinishReason } from "./finish-reason.ts";
import type { ChatCompletionChunk, ChunkDelta } from "./types.ts";
import { toChatUsage } from "./usage.ts";
import type { TokenUsage } from "../engine/events.ts";
import { thoughtDelta, type ReasoningFormat } from "./reasoning-format.ts";
import type { StreamIdentity } from "./types.ts";

export interface ChatEncoderOptions {
  /** `stream_options.include_usage`: a last chunk with `choices: []` and `usage`. */
  includeUsage: boolean;
  /** Where a thought goes (`--reasoning-format`). */
  reasoningFormat: ReasoningFormat;
}

export interface ChatState {
  /** A data chunk with `delta.role` went out; later content chunks leave it off. */
  readonly roleSent: boolean;
  /** The chunk with a finish_reason went out: no content or keepalive may follow. */
  readonly finished: boolean;
  /** Usage to send in the last chunk, when asked for. */
  readonly usage: TokenUsage | null;
  /** An inline thought's `<think>` went out and its `</think>` not yet. */
  readonly inlineThought: boolean;
  /** `[DONE]` went out: the stream is over and every further event is dropped. */
  readonly closed: boolean;
}

const DONE_FRAME = sseFrame("[DONE]");

/** A chunk-shaped stream for one choice (index 0): chat completions. */
export function chatEncoder(identity: StreamIdentity, options: ChatEncoderOptions): StreamEncoder<ChatState> {
  const frame = (delta: ChunkDelta, finishReason: ChatFinishReason | null = null) => sseFrame(makeChunk(identity, options, delta, finishReason));
  const withRole = (state: ChatState, delta: ChunkDelta): ChunkDelta => (state.roleSent ? delta : { role: "assistant", ...delta });
  const fail = (state: ChatState, message: string, code?: string): Encoded<ChatState> => ({
    state: { ...state, closed: true },
    frames: [sseFrame(serverErrorBody(message, code ?? null)), DONE_FRAME],
  });
  return {
    start: () => ({ state: { roleSent: false, finished: false, usage: null, inlineThought: false, closed: false }, frames: [] }),
    event(state, event: EngineEvent) {
      const sent = (delta: ChunkDelta, finishReason: ChatFinishReason | null = null, changes: Partial<ChatState> = {}): Encoded<ChatState> => ({
        state: { ...state, ...changes, roleSent: true, finished: finishReason !== null || state.finished },
        frames: [frame(withRole(state, delta), finishReason)],
      });
      if (state.closed) return { state, frames: [] };
      switch (event.type) {
        case "text":
          return state.finished || event.text === "" ? { state, frames: [] } : sent({ content: event.text });
        case "reasoning":
        case "reasoning_end": {
          if (state.finished) return { state, frames: [] };
          const { delta, inlineOpen } = thoughtDelta(options.reasoningFormat, state.inlineThought, event);
          return delta === null ? { state: { ...state, inlineThought: inlineOpen }, frames: [] } : sent(delta, null, { inlineThought: inlineOpen });
        }
        case "tool_call":
          if (state.finished) return { state, frames: [] };
          return sent({ tool_calls: [{ index: event.index, id: event.id, type: "function", function: { name: event.name, arguments: "" } }] });
        case "tool_call_arguments":
          if (state.finished || event.arguments === "") return { state, frames: [] };
          return sent({ tool_calls: [{ index: event.index, function: { arguments: event.arguments } }] });
        case "finish":
          return state.finished ? { state, frames: [] } : sent({}, chatFinishReason(event.reason));
        case "usage":
          return { state: { ...state, usage: event.usage }, frames: [] };
        case "error":
          return fail(state, event.message, event.code);
      }
    },
    keepalive(state) {
      if (state.finished || state.closed) return null;
      // Always role "assistant" and empty content: strict accumulators (openai-go, LangChain.js)
      // type the stream from its first chunk, and take every later keepalive as a no-op.
      return { state: { ...state, roleSent: true }, frames: [frame({ role: "assistant", content: "" })] };
    },
    end(state) {
      if (state.closed) return { state, frames: [] };
      // A generator that stops without a finish reason has failed; say so rather than end silently.
      if (!state.finished) return fail(state, "generation ended without a finish reason");
      const frames: string[] = [];
      if (options.includeUsage && state.usage) {
        frames.push(sseFrame({ ...makeChunk(identity, options, {}, null), choices: [], usage: toChatUsage(state.usage) }));
      }
      frames.push(DONE_FRAME);
      return { state: { ...state, closed: true }, frames };
    },
    fail,
    closed: (state) => state.closed,
  };
}

function makeChunk(identity: StreamIdentity, options: ChatEncoderOptions, delta: ChunkDelta, finishReason: ChatFinishReason | null): ChatCompletionChunk {
  const chunk: ChatCompletionChunk = {
    id: identity.id,
    object: "chat.completion.chunk",
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
  // OpenAI sends `usage: null` on every chunk but the last when usage is asked for.
  if (options.includeUsage) chunk.usage = null;
  return chunk;
}
