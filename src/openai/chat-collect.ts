// PURE: a whole generation's events as one `chat.completion`.
import type { ReasoningFormat } from "./reasoning-format.ts";
import type { EngineEvent, FinishReason, TokenUsage } from "../engine/events.ts";
import { thoughtDelta } from "./reasoning-format.ts";
import type { StreamIdentity } from "./types.ts";
import { chatFinishReason } from "./finish-reason.ts";
import type { ChatCompletion, ToolCall } from "./types.ts";
import { toChatUsage } from "./usage.ts";

export function collectChat(identity: StreamIdentity, events: readonly EngineEvent[], reasoningFormat: ReasoningFormat): ChatCompletion {
  let content = "";
  let reasoning = "";
  let inlineThought = false;
  const toolCalls: ToolCall[] = [];
  let finish: FinishReason = { type: "end" };
  let usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  for (const event of events) {
    switch (event.type) {
      case "text":
        content += event.text;
        break;
      case "reasoning":
      case "reasoning_end": {
        const placed = thoughtDelta(reasoningFormat, inlineThought, event);
        inlineThought = placed.inlineOpen;
        content += placed.delta?.content ?? "";
        reasoning += placed.delta?.reasoning_content ?? "";
        break;
      }
      case "tool_call":
        toolCalls[event.index] = { id: event.id, type: "function", function: { name: event.name, arguments: "" } };
        break;
      case "tool_call_arguments": {
        const call = toolCalls[event.index];
        if (call) call.function.arguments += event.arguments;
        break;
      }
      case "finish":
        finish = event.reason;
        break;
      case "usage":
        usage = event.usage;
        break;
      case "error":
        break;
    }
  }
  return {
    id: identity.id,
    object: "chat.completion",
    created: identity.created,
    model: identity.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: toolCalls.length > 0 && content === "" ? null : content,
          ...(reasoning !== "" ? { reasoning_content: reasoning } : {}),
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: chatFinishReason(finish),
      },
    ],
    usage: toChatUsage(usage),
  };
}
