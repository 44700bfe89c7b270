// PURE: turns the events of one chat completion into SSE frames. No timers, no I/O.
import type { ChatCompletionChunk, ChunkDelta, Usage } from "../openai/types.ts";
import { serverErrorBody } from "../openai/errors.ts";
import type { FinishReason, StreamEvent, TokenUsage } from "./events.ts";
import { commentFrame, dataFrame, DONE_FRAME } from "./sse.ts";

export const KEEPALIVE_MODES = ["chunk", "comment", "off"] as const;
export type KeepaliveMode = (typeof KEEPALIVE_MODES)[number];

/** Minted once per stream, before its first frame; every chunk of the stream carries it. */
export interface StreamIdentity {
  id: string;
  created: number;
  model: string;
}

export interface EncoderOptions {
  keepalive: KeepaliveMode;
  /** `stream_options.include_usage`: a last chunk with `choices: []` and `usage`. */
  includeUsage: boolean;
}

export interface EncoderState {
  /** A data chunk with `delta.role` went out; later content chunks leave it off. */
  readonly roleSent: boolean;
  /** The chunk with a finish_reason went out: no content or keepalive may follow. */
  readonly finished: boolean;
  /** Usage to send in the last chunk, when asked for. */
  readonly usage: TokenUsage | null;
  /** `[DONE]` went out: the stream is over and every further event is dropped. */
  readonly closed: boolean;
}

export interface Encoded {
  state: EncoderState;
  frames: string[];
}

const KEEPALIVE_COMMENT = "keep-alive";

const INITIAL: EncoderState = { roleSent: false, finished: false, usage: null, closed: false };

/**
 * The frames that open a stream, sent before prefill starts: the keepalive chunk in `chunk` mode,
 * a comment in `comment` mode, nothing in `off` mode.
 */
export function encodeStart(identity: StreamIdentity, options: EncoderOptions): Encoded {
  return encodeEvent(identity, options, INITIAL, { type: "tick" });
}

/** The frames for one event, and the state after it. */
export function encodeEvent(
  identity: StreamIdentity,
  options: EncoderOptions,
  state: EncoderState,
  event: StreamEvent,
): Encoded {
  if (state.closed) return { state, frames: [] };
  const chunk = (delta: ChunkDelta, finishReason: FinishReason | null = null): string =>
    dataFrame(makeChunk(identity, options, state.roleSent ? delta : { role: "assistant", ...delta }, finishReason));

  switch (event.type) {
    case "tick":
      if (state.finished || options.keepalive === "off") return { state, frames: [] };
      if (options.keepalive === "comment") return { state, frames: [commentFrame(KEEPALIVE_COMMENT)] };
      // Always role "assistant" and empty content: strict accumulators (openai-go, LangChain.js)
      // type the stream from its first chunk, and take every later keepalive as a no-op.
      return {
        state: { ...state, roleSent: true },
        frames: [dataFrame(makeChunk(identity, options, { role: "assistant", content: "" }, null))],
      };
    case "text":
      if (state.finished || event.text === "") return { state, frames: [] };
      return { state: { ...state, roleSent: true }, frames: [chunk({ content: event.text })] };
    case "tool_call":
      if (state.finished) return { state, frames: [] };
      return {
        state: { ...state, roleSent: true },
        frames: [
          chunk({
            tool_calls: [{ index: event.index, id: event.id, type: "function", function: { name: event.name, arguments: "" } }],
          }),
        ],
      };
    case "tool_call_arguments":
      if (state.finished || event.arguments === "") return { state, frames: [] };
      return {
        state: { ...state, roleSent: true },
        frames: [chunk({ tool_calls: [{ index: event.index, function: { arguments: event.arguments } }] })],
      };
    case "finish":
      if (state.finished) return { state, frames: [] };
      return { state: { ...state, roleSent: true, finished: true }, frames: [chunk({}, event.reason)] };
    case "usage":
      return { state: { ...state, usage: event.usage }, frames: [] };
    case "error":
      return { state: { ...state, closed: true }, frames: [dataFrame(serverErrorBody(event.message)), DONE_FRAME] };
  }
}

/** The frames that close a stream once its events are spent: the usage chunk if asked, then `[DONE]`. */
export function encodeEnd(identity: StreamIdentity, options: EncoderOptions, state: EncoderState): Encoded {
  if (state.closed) return { state, frames: [] };
  if (!state.finished) {
    // A generator that stops without a finish reason has failed; say so rather than end silently.
    return encodeEvent(identity, options, state, { type: "error", message: "generation ended without a finish reason" });
  }
  const frames: string[] = [];
  if (options.includeUsage && state.usage) {
    frames.push(dataFrame({ ...makeChunk(identity, options, {}, null), choices: [], usage: toUsage(state.usage) }));
  }
  frames.push(DONE_FRAME);
  return { state: { ...state, closed: true }, frames };
}

/** All frames of a whole stream: start, every event, end. */
export function encodeStream(identity: StreamIdentity, options: EncoderOptions, events: Iterable<StreamEvent>): string[] {
  let { state, frames } = encodeStart(identity, options);
  const all = [...frames];
  for (const event of events) {
    ({ state, frames } = encodeEvent(identity, options, state, event));
    all.push(...frames);
  }
  all.push(...encodeEnd(identity, options, state).frames);
  return all;
}

export function toUsage(usage: TokenUsage): Usage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    ...(usage.cachedTokens !== undefined ? { prompt_tokens_details: { cached_tokens: usage.cachedTokens } } : {}),
  };
}

function makeChunk(
  identity: StreamIdentity,
  options: EncoderOptions,
  delta: ChunkDelta,
  finishReason: FinishReason | null,
): ChatCompletionChunk {
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
