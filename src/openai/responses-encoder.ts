// PURE: the events of one generation as Responses API stream events (named SSE events, each with a
// `sequence_number`). The state holds the response as it stands, so a keepalive can repeat it.
import type { EngineEvent, FinishReason, TokenUsage } from "../engine/events.ts";
import type { ItemStreamState } from "../stream/item-state.ts";
import type { Encoded, StreamEncoder } from "../stream/encoder.ts";
import { sseFrame } from "../stream/sse.ts";
import type { ApiFunctionName } from "./responses-request.ts";
import type {
  FunctionCallItem,
  MessageItem,
  OutputItem,
  OutputText,
  ReasoningItem,
  ReasoningText,
  ResponseEcho,
  ResponseObject,
  ResponseStatus,
  ResponseUsage,
} from "./responses-types.ts";

export interface ResponsesEncoderOptions {
  /** The model's name for a function → the API's name and namespace. */
  functionName: (modelName: string) => ApiFunctionName;
  /** Seals a finished thought into `encrypted_content` (`include: ["reasoning.encrypted_content"]`); null: not asked for. */
  sealThought: ((thought: string) => string) | null;
}

/** The output so far; `closed` once the terminal event went out. */
export interface ResponsesState extends ItemStreamState {
  /** The next event's sequence_number: they count from 0 without gaps. */
  readonly seq: number;
  /** The output as it stands. */
  readonly output: readonly OutputItem[];
}

type Payload = Record<string, unknown>;

/** An item of one text part, written by deltas: a message's answer, a reasoning item's thought. */
type TextItem = MessageItem | ReasoningItem;

/** What tells the two kinds of text item apart in the stream. */
const TEXT_ITEMS = {
  message: {
    idPrefix: "msg",
    item: (id: string): MessageItem => ({ type: "message", id, status: "in_progress", role: "assistant", content: [] }),
    part: (): OutputText => ({ type: "output_text", text: "", annotations: [], logprobs: [] }),
    events: "response.output_text",
    /** What OpenAI adds to its text events. */
    extra: { logprobs: [] } as Payload,
  },
  reasoning: {
    idPrefix: "rs",
    item: (id: string): ReasoningItem => ({ type: "reasoning", id, status: "in_progress", summary: [], content: [] }),
    part: (): ReasoningText => ({ type: "reasoning_text", text: "" }),
    events: "response.reasoning_text",
    extra: {} as Payload,
  },
} as const;

export function responsesEncoder(echo: ResponseEcho, { functionName, sealThought }: ResponsesEncoderOptions): StreamEncoder<ResponsesState> {
  /** Frames for a series of events, each stamped with the next sequence number. */
  const emit = (state: ResponsesState, events: Array<[string, Payload]>, changes: Partial<ResponsesState> = {}): Encoded<ResponsesState> => {
    let seq = state.seq;
    const frames = events.map(([type, payload]) => sseFrame({ type, sequence_number: seq++, ...payload }, type));
    return { state: { ...state, ...changes, seq }, frames };
  };
  const snapshot = (state: ResponsesState, status: ResponseStatus, error: ResponseObject["error"] = null) =>
    responseSnapshot(echo, state, status, error);
  const itemId = (prefix: string, index: number) => `${prefix}_${echo.id.replace(/^resp_/, "")}_${index}`;

  /** Closes the open item: its `.done` events, and the item as finished. */
  const close = (state: ResponsesState, status: "completed" | "incomplete"): { state: ResponsesState; events: Array<[string, Payload]> } => {
    if (state.open === null) return { state, events: [] };
    const index = state.open;
    const item = state.output[index]!;
    const events: Array<[string, Payload]> = [];
    let done: OutputItem;
    if (item.type === "message" || item.type === "reasoning") {
      const part = item.content[0]!;
      const kind = TEXT_ITEMS[item.type];
      done = { ...item, status, ...(item.type === "reasoning" && sealThought ? { encrypted_content: sealThought(part.text) } : {}) };
      events.push(
        [`${kind.events}.done`, { item_id: item.id, output_index: index, content_index: 0, text: part.text, ...kind.extra }],
        ["response.content_part.done", { item_id: item.id, output_index: index, content_index: 0, part }],
      );
    } else {
      done = { ...item, status: "completed" };
      events.push(["response.function_call_arguments.done", { item_id: item.id, output_index: index, name: item.name, arguments: item.arguments }]);
    }
    events.push(["response.output_item.done", { output_index: index, item: done }]);
    return { state: { ...state, open: null, output: state.output.with(index, done) }, events };
  };

  /** Text for the open item of `type`, opened first (after closing any other) if it is not the open one. */
  const appendText = (state: ResponsesState, type: TextItem["type"], text: string): Encoded<ResponsesState> => {
    if (text === "") return { state, frames: [] };
    const kind = TEXT_ITEMS[type];
    let events: Array<[string, Payload]> = [];
    let current = state;
    if (current.open === null || current.output[current.open]!.type !== type) {
      ({ state: current, events } = close(current, "completed"));
      const index = current.output.length;
      const part = kind.part();
      const item = kind.item(itemId(kind.idPrefix, index));
      events.push(
        ["response.output_item.added", { output_index: index, item }],
        ["response.content_part.added", { item_id: item.id, output_index: index, content_index: 0, part }],
      );
      current = { ...current, open: index, output: [...current.output, { ...item, content: [part] } as TextItem] };
    }
    const index = current.open!;
    const item = current.output[index] as TextItem;
    const part = item.content[0]!;
    events.push([`${kind.events}.delta`, { item_id: item.id, output_index: index, content_index: 0, delta: text, ...kind.extra }]);
    return emit(current, events, { output: current.output.with(index, { ...item, content: [{ ...part, text: part.text + text }] } as TextItem) });
  };

  const fail = (state: ResponsesState, message: string, code = "server_error"): Encoded<ResponsesState> =>
    emit(state, [["response.failed", { response: snapshot(state, "failed", { code, message }) }]], { closed: true });

  return {
    start() {
      const state: ResponsesState = { seq: 0, output: [], open: null, calls: [], finish: null, usage: null, closed: false };
      return emit(state, [
        ["response.created", { response: snapshot(state, "in_progress") }],
        ["response.in_progress", { response: snapshot(state, "in_progress") }],
      ]);
    },
    event(state, event: EngineEvent) {
      if (state.closed || (state.finish && event.type !== "usage")) return { state, frames: [] };
      switch (event.type) {
        case "text":
          return appendText(state, "message", event.text);
        case "reasoning":
          return appendText(state, "reasoning", event.text);
        case "reasoning_end": {
          if (state.open === null || state.output[state.open]!.type !== "reasoning") return { state, frames: [] };
          const { state: current, events } = close(state, "completed");
          return emit(current, events);
        }
        case "tool_call": {
          const { state: current, events } = close(state, "completed");
          const index = current.output.length;
          const name = functionName(event.name);
          const item: FunctionCallItem = {
            type: "function_call",
            id: itemId("fc", index),
            call_id: event.id,
            name: name.name,
            ...(name.namespace ? { namespace: name.namespace } : {}),
            arguments: "",
            status: "in_progress",
          };
          events.push(["response.output_item.added", { output_index: index, item }]);
          const calls = [...current.calls];
          calls[event.index] = index;
          return emit(current, events, { open: index, output: [...current.output, item], calls });
        }
        case "tool_call_arguments": {
          const index = state.calls[event.index];
          const item = index === undefined ? undefined : state.output[index];
          if (index === undefined || item?.type !== "function_call" || event.arguments === "") return { state, frames: [] };
          return emit(state, [["response.function_call_arguments.delta", { item_id: item.id, output_index: index, delta: event.arguments }]], {
            output: state.output.with(index, { ...item, arguments: item.arguments + event.arguments }),
          });
        }
        case "finish": {
          const { state: current, events } = close(state, event.reason.type === "length" ? "incomplete" : "completed");
          return emit(current, events, { finish: event.reason });
        }
        case "usage":
          return { state: { ...state, usage: event.usage }, frames: [] };
        case "error":
          return fail(state, event.message, event.code);
      }
    },
    keepalive(state) {
      if (state.closed || state.finish) return null;
      // The response as it stands: the openai SDK's accumulator replaces its snapshot with it, losing nothing.
      return emit(state, [["response.in_progress", { response: snapshot(state, "in_progress") }]]);
    },
    end(state) {
      if (state.closed) return { state, frames: [] };
      if (!state.finish) return fail(state, "generation ended without a finish reason");
      const status = terminalStatus(state.finish);
      return emit(state, [[`response.${status}`, { response: snapshot(state, status) }]], { closed: true });
    },
    fail,
    closed: (state) => state.closed,
  };
}

/** `incomplete` when the token budget ran out, else `completed`. */
export function terminalStatus(finish: FinishReason): "completed" | "incomplete" {
  return finish.type === "length" ? "incomplete" : "completed";
}

export function responseSnapshot(echo: ResponseEcho, state: ResponsesState, status: ResponseStatus, error: ResponseObject["error"] = null): ResponseObject {
  return {
    ...echo,
    object: "response",
    status,
    error,
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
    output: [...state.output],
    truncation: "disabled",
    usage: state.usage ? toResponseUsage(state.usage) : null,
  };
}

function toResponseUsage(usage: TokenUsage): ResponseUsage {
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: usage.cachedTokens ?? 0 },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}
