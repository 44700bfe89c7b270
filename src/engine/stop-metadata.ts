// PURE: why node-llama-cpp's LlamaChat or LlamaCompletion stopped, as the engine's finish reason.
import type { Token } from "node-llama-cpp";
import type { FinishReason } from "./events.ts";

export type StopMetadata =
  | { stopReason: "eogToken" | "stopGenerationTrigger" | "functionCalls" | "maxTokens" | "abort" }
  | { stopReason: "customStopTrigger"; customStopTrigger: (string | Token)[] };

export function finishReason(metadata: StopMetadata, toolCalls: number, stops: readonly string[]): FinishReason {
  if (toolCalls > 0 && metadata.stopReason !== "maxTokens") return { type: "tool_calls" };
  switch (metadata.stopReason) {
    case "maxTokens":
      return { type: "length" };
    case "functionCalls":
      return { type: "tool_calls" };
    case "customStopTrigger": {
      // node-llama-cpp hands back the trigger as it matched it (strings and tokens); name it as the client sent it.
      const matched = metadata.customStopTrigger.filter((part): part is string => typeof part === "string").join("");
      return { type: "stop_sequence", sequence: stops.find((stop) => stop === matched) ?? matched };
    }
    default:
      return { type: "end" };
  }
}
