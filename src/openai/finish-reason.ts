import type { FinishReason } from "../engine/events.ts";

/** OpenAI's words for why a choice ended (chat and completions). */
export type ChatFinishReason = "stop" | "length" | "tool_calls";

export function chatFinishReason(reason: FinishReason): ChatFinishReason {
  switch (reason.type) {
    case "end":
    case "stop_sequence":
      return "stop";
    case "length":
      return "length";
    case "tool_calls":
      return "tool_calls";
  }
}
