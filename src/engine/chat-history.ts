// PURE: the conversation as node-llama-cpp's chat wrappers expect it.
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from "node-llama-cpp";
import type { Message } from "./types.ts";

/**
 * Tool calls become `functionCall` items of the model response that made them, and tool messages
 * fill in their `result`, so the model's own template renders calls and results its way.
 * The history ends with the model response to generate: a new empty one after a user turn, or the
 * last one itself after tool results (the model goes on answering) or a partial assistant message.
 */
export function toChatHistory(messages: readonly Message[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const callsById = new Map<string, ChatModelFunctionCall>();
  for (const message of messages) {
    switch (message.role) {
      case "system":
        history.push({ type: "system", text: message.content });
        break;
      case "user":
        history.push({ type: "user", text: message.content });
        break;
      case "assistant": {
        // The thought first, as a segment: the wrapper renders it its own way (Qwen's <think>, Harmony's
        // analysis channel) and keeps it where its template does (the last response's thought only).
        const response: ChatModelResponse["response"] = message.reasoning
          ? [{ type: "segment", segmentType: "thought", text: message.reasoning, ended: true }]
          : [];
        if (message.content) response.push(message.content);
        for (const call of message.toolCalls) {
          const item: ChatModelFunctionCall = { type: "functionCall", name: call.name, params: parseJson(call.arguments), result: undefined };
          callsById.set(call.id, item);
          response.push(item);
        }
        history.push({ type: "model", response });
        break;
      }
      case "tool": {
        const call = callsById.get(message.toolCallId);
        if (call) call.result = parseJson(message.content);
        break;
      }
    }
  }
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}

/** A JSON text as its value; anything else as the string itself. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
