/** Why a generation ended, in OpenAI's words. */
export type FinishReason = "stop" | "length" | "tool_calls";

/** Token counts of one completion. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens a sequence already held from an earlier request, so not evaluated again. */
  cachedTokens?: number;
}

/**
 * What the engine yields while it generates. The engine knows nothing of HTTP or SSE:
 * these events are its whole vocabulary.
 */
export type EngineEvent =
  | { type: "text"; text: string }
  /** A new tool call begins; `index` counts the calls of this completion from 0. */
  | { type: "tool_call"; index: number; id: string; name: string }
  /** A fragment of the JSON arguments of the tool call at `index`. */
  | { type: "tool_call_arguments"; index: number; arguments: string }
  | { type: "finish"; reason: FinishReason }
  | { type: "usage"; usage: TokenUsage }
  | { type: "error"; message: string };

/** A keepalive moment: the only event that does not come from the engine. */
export interface TickEvent {
  type: "tick";
}

export type StreamEvent = EngineEvent | TickEvent;
