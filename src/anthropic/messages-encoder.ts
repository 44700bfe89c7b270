// PURE: the events of one generation as Anthropic Messages stream events (named SSE events). The
// state holds the message as it stands, so the non-streamed answer is the same fold.
import type { EngineEvent, FinishReason, TokenUsage } from "../engine/events.ts";
import type { ItemStreamState } from "../stream/item-state.ts";
import type { Encoded, StreamEncoder } from "../stream/encoder.ts";
import { sseFrame } from "../stream/sse.ts";
import type { ContentBlock, Message, MessageUsage, StopReason } from "./messages-types.ts";

/** Minted before the first frame; `message_start` carries it. */
export interface MessageIdentity {
  id: string;
  model: string;
  /** The prompt's tokens, known before the generation starts. */
  inputTokens: number;
}

/**
 * A block as it stands; a tool_use block keeps its input as the JSON text streamed so far, a
 * thinking block its whole thought (sent or not) and, once closed, the signature that seals it.
 */
type OpenBlock =
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; json: string };

export interface MessagesEncoderOptions {
  /** `thinking.display`: `omitted` sends thinking blocks without their text (the signature still carries it). */
  thinkingDisplay: "summarized" | "omitted";
  /** Seals a finished thought into the block's `signature`. */
  sealThought: (thought: string) => string;
}

/** The content blocks so far; `closed` once `message_stop` (or an error) went out. */
export interface MessagesState extends ItemStreamState {
  readonly blocks: readonly OpenBlock[];
}

type Payload = Record<string, unknown>;

const frame = (type: string, payload: Payload = {}) => sseFrame({ type, ...payload }, type);

export function messagesEncoder(identity: MessageIdentity, options: MessagesEncoderOptions): StreamEncoder<MessagesState> {
  /** Closes the open block; a thinking block gets its signature first. */
  const close = (state: MessagesState): Encoded<MessagesState> => {
    if (state.open === null) return { state, frames: [] };
    const index = state.open;
    const block = state.blocks[index]!;
    const stop = frame("content_block_stop", { index });
    if (block.type !== "thinking") return { state: { ...state, open: null }, frames: [stop] };
    const signature = options.sealThought(block.thinking);
    return {
      state: { ...state, open: null, blocks: state.blocks.with(index, { ...block, signature }) },
      frames: [frame("content_block_delta", { index, delta: { type: "signature_delta", signature } }), stop],
    };
  };
  const fail = (state: MessagesState, message: string): Encoded<MessagesState> => ({
    state: { ...state, closed: true },
    frames: [frame("error", { error: { type: "api_error", message } })],
  });
  /** Opens a block after closing the open one. */
  const openBlock = (state: MessagesState, block: OpenBlock, contentBlock: ContentBlock): Encoded<MessagesState> => {
    const closed = close(state);
    const index = closed.state.blocks.length;
    return {
      state: { ...closed.state, blocks: [...closed.state.blocks, block], open: index },
      frames: [...closed.frames, frame("content_block_start", { index, content_block: contentBlock })],
    };
  };
  /**
   * Text for the open block of `type` (a text block's answer, a thinking block's thought), opened
   * first if it is not the open one; `sent`: whether the delta goes out (an omitted thought's does not).
   */
  const appendText = (state: MessagesState, type: "text" | "thinking", text: string, sent: boolean): Encoded<MessagesState> => {
    if (text === "") return { state, frames: [] };
    const empty = type === "text" ? ({ type, text: "" } as const) : ({ type, thinking: "", signature: "" } as const);
    const opened = state.open !== null && state.blocks[state.open]!.type === type ? { state, frames: [] } : openBlock(state, empty, empty);
    const index = opened.state.open!;
    const block = opened.state.blocks[index]!;
    const grown: OpenBlock = block.type === "text" ? { ...block, text: block.text + text } : block.type === "thinking" ? { ...block, thinking: block.thinking + text } : block;
    const delta = type === "text" ? { type: "text_delta", text } : { type: "thinking_delta", thinking: text };
    return {
      state: { ...opened.state, blocks: opened.state.blocks.with(index, grown) },
      frames: [...opened.frames, ...(sent ? [frame("content_block_delta", { index, delta })] : [])],
    };
  };
  return {
    start() {
      const state: MessagesState = { blocks: [], open: null, calls: [], finish: null, usage: null, closed: false };
      const message = { ...emptyMessage(identity), usage: toMessageUsage({ promptTokens: identity.inputTokens, completionTokens: 0 }) };
      return { state, frames: [frame("message_start", { message })] };
    },
    event(state, event: EngineEvent) {
      if (state.closed || (state.finish && event.type !== "usage")) return { state, frames: [] };
      switch (event.type) {
        case "text":
          return appendText(state, "text", event.text, true);
        case "reasoning":
          return appendText(state, "thinking", event.text, options.thinkingDisplay !== "omitted");
        case "reasoning_end":
          return state.open !== null && state.blocks[state.open]!.type === "thinking" ? close(state) : { state, frames: [] };
        case "tool_call": {
          const id = toolUseId(event.id);
          const opened = openBlock(state, { type: "tool_use", id, name: event.name, json: "" }, { type: "tool_use", id, name: event.name, input: {} });
          const calls = [...opened.state.calls];
          calls[event.index] = opened.state.open!;
          return { state: { ...opened.state, calls }, frames: opened.frames };
        }
        case "tool_call_arguments": {
          const index = state.calls[event.index];
          const block = index === undefined ? undefined : state.blocks[index];
          if (index === undefined || block?.type !== "tool_use" || event.arguments === "") return { state, frames: [] };
          return {
            state: { ...state, blocks: state.blocks.with(index, { ...block, json: block.json + event.arguments }) },
            frames: [frame("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: event.arguments } })],
          };
        }
        case "finish": {
          const closed = close(state);
          return { state: { ...closed.state, finish: event.reason }, frames: closed.frames };
        }
        case "usage":
          return { state: { ...state, usage: event.usage }, frames: [] };
        case "error":
          return fail(state, event.message);
      }
    },
    keepalive: (state) => (state.closed || state.finish ? null : { state, frames: [frame("ping")] }),
    end(state) {
      if (state.closed) return { state, frames: [] };
      if (!state.finish) return fail(state, "generation ended without a finish reason");
      const { stop_reason, stop_sequence } = stopOf(state.finish);
      const usage = toMessageUsage(state.usage ?? { promptTokens: identity.inputTokens, completionTokens: 0 });
      return {
        state: { ...state, closed: true },
        frames: [frame("message_delta", { delta: { stop_reason, stop_sequence }, usage }), frame("message_stop")],
      };
    },
    fail,
    closed: (state) => state.closed,
  };
}

/** The whole message as the state holds it (its blocks closed): what a non-streamed answer is. */
export function messageOf(identity: MessageIdentity, state: MessagesState, options: MessagesEncoderOptions): Message {
  return {
    ...emptyMessage(identity),
    content: state.blocks.map((block): ContentBlock => {
      switch (block.type) {
        case "thinking":
          return { type: "thinking", thinking: options.thinkingDisplay === "omitted" ? "" : block.thinking, signature: block.signature };
        case "text":
          return block;
        case "tool_use":
          return { type: "tool_use", id: block.id, name: block.name, input: parseInput(block.json) };
      }
    }),
    ...(state.finish ? stopOf(state.finish) : {}),
    usage: toMessageUsage(state.usage ?? { promptTokens: identity.inputTokens, completionTokens: 0 }),
  };
}

function emptyMessage(identity: MessageIdentity): Message {
  return {
    id: identity.id,
    type: "message",
    role: "assistant",
    model: identity.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: toMessageUsage({ promptTokens: identity.inputTokens, completionTokens: 0 }),
  };
}

function stopOf(finish: FinishReason): { stop_reason: StopReason; stop_sequence: string | null } {
  switch (finish.type) {
    case "end":
      return { stop_reason: "end_turn", stop_sequence: null };
    case "stop_sequence":
      return { stop_reason: "stop_sequence", stop_sequence: finish.sequence };
    case "length":
      return { stop_reason: "max_tokens", stop_sequence: null };
    case "tool_calls":
      return { stop_reason: "tool_use", stop_sequence: null };
  }
}

/** Anthropic counts cache reads apart from the input tokens it evaluated. */
function toMessageUsage(usage: TokenUsage): MessageUsage {
  const cached = usage.cachedTokens ?? 0;
  return { input_tokens: usage.promptTokens - cached, output_tokens: usage.completionTokens, cache_read_input_tokens: cached, cache_creation_input_tokens: 0 };
}

/** The engine's `call_…` ids in Anthropic's `toolu_…` form. */
function toolUseId(id: string): string {
  return `toolu_${id.replace(/^call_/, "")}`;
}

function parseInput(json: string): unknown {
  try {
    return JSON.parse(json === "" ? "{}" : json);
  } catch {
    return {};
  }
}
