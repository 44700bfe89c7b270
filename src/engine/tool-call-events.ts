// Turns node-llama-cpp's function-call callbacks into tool-call events with stable indexes and ids.
import type { LlamaChatResponseFunctionCall, ChatModelFunctions } from "node-llama-cpp";
import type { EngineEvent } from "./events.ts";

interface CallState {
  index: number;
  arguments: string;
  /** Trailing whitespace held back: sent only if more arguments follow it. */
  held: string;
}

/**
 * Each call's first fragment opens it (`tool_call` with a fresh id and its name); later fragments
 * extend its arguments. Whitespace the grammar lets the model write after the JSON is dropped, so
 * `arguments` is the JSON text alone.
 */
export class ToolCallEvents {
  private readonly calls = new Map<number, CallState>();

  constructor(private readonly newId: () => string) {}

  get count(): number {
    return this.calls.size;
  }

  /** Events for one params chunk (`callIndex`, `functionName`, `paramsChunk`) from node-llama-cpp. */
  onParamsChunk(chunk: { callIndex: number; functionName: string; paramsChunk: string }): EngineEvent[] {
    const events: EngineEvent[] = [];
    let call = this.calls.get(chunk.callIndex);
    if (!call) {
      call = { index: this.calls.size, arguments: "", held: "" };
      this.calls.set(chunk.callIndex, call);
      events.push({ type: "tool_call", index: call.index, id: this.newId(), name: chunk.functionName });
    }
    const text = call.held + chunk.paramsChunk;
    const body = text.trimEnd();
    call.held = text.slice(body.length);
    if (body !== "") {
      call.arguments += body;
      events.push({ type: "tool_call_arguments", index: call.index, arguments: body });
    }
    return events;
  }

  /**
   * Events for calls the final response holds but no chunk announced (a call without arguments, say),
   * so that every call reaches the client.
   */
  onResponse(functionCalls: readonly LlamaChatResponseFunctionCall<ChatModelFunctions>[] | undefined): EngineEvent[] {
    const events: EngineEvent[] = [];
    (functionCalls ?? []).forEach((call, callIndex) => {
      if (this.calls.has(callIndex)) return;
      const index = this.calls.size;
      const args = JSON.stringify(call.params ?? {});
      this.calls.set(callIndex, { index, arguments: args, held: "" });
      events.push({ type: "tool_call", index, id: this.newId(), name: call.functionName });
      events.push({ type: "tool_call_arguments", index, arguments: args });
    });
    return events;
  }
}
