// PURE: the events of one generation as Anthropic Messages stream events (named SSE events). The
// state holds the message as it stands, so the non-streamed answer is the same fold.
import type { EngineEvent, FinishReason, TokenUsage } from "../engine/events.ts";
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

/** A block as it stands; a tool_use block keeps its input as the JSON text streamed so far. */
type OpenBlock = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; json: string };

export interface MessagesState {
  readonly blocks: readonly OpenBlock[];
  /** Index of the block still being written, if any. */
  readonly open: number | null;
  /** Engine tool-call index → block index. */
  readonly calls: readonly number[];
  readonly finish: FinishReason | null;
  readonly usage: TokenUsage | null;
  /** `message_stop` (or an error) went out. */
  readonly closed: boolean;
}

type Payload = Record<string, unknown>;

const frame = (type: string, payload: Payload = {}) => sseFrame({ type, ...payload }, type);

export function messagesEncoder(identity: MessageIdentity): StreamEncoder<MessagesState> {
  const close = (state: MessagesState): Encoded<MessagesState> =>
    state.open === null ? { state, frames: [] } : { state: { ...state, open: null }, frames: [frame("content_block_stop", { index: state.open })] };
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
  return {
    start() {
      const state: MessagesState = { blocks: [], open: null, calls: [], finish: null, usage: null, closed: false };
      const message = { ...emptyMessage(identity), usage: toMessageUsage({ promptTokens: identity.inputTokens, completionTokens: 0 }) };
      return { state, frames: [frame("message_start", { message })] };
    },
    event(state, event: EngineEvent) {
      if (state.closed || (state.finish && event.type !== "usage")) return { state, frames: [] };
      switch (event.type) {
        case "text": {
          if (event.text === "") return { state, frames: [] };
          let opened: Encoded<MessagesState> = { state, frames: [] };
          if (state.open === null || state.blocks[state.open]!.type !== "text") opened = openBlock(state, { type: "text", text: "" }, { type: "text", text: "" });
          const index = opened.state.open!;
          const block = opened.state.blocks[index] as { type: "text"; text: string };
          return {
            state: { ...opened.state, blocks: opened.state.blocks.with(index, { ...block, text: block.text + event.text }) },
            frames: [...opened.frames, frame("content_block_delta", { index, delta: { type: "text_delta", text: event.text } })],
          };
        }
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

/** The whole message as the state holds it: what a non-streamed answer is. */
export function messageOf(identity: MessageIdentity, state: MessagesState): Message {
  return {
    ...emptyMessage(identity),
    content: state.blocks.map((block) => (block.type === "text" ? block : { type: "tool_use", id: block.id, name: block.name, input: parseInput(block.json) })),
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
