// The engine's vocabulary: what a generation yields. It knows nothing of HTTP, SSE or any API's
// words; each protocol maps these to its own (`stop`/`end_turn`/`completed`, …).

/**
 * Why a generation ended:
 * - `end`: the model ended its turn by itself;
 * - `stop_sequence`: one of the request's stop strings matched (it is not part of the output);
 * - `length`: the token budget (max tokens, or the context's end) ran out;
 * - `tool_calls`: the model called tools and waits for their results.
 */
export type FinishReason =
  | { type: "end" }
  | { type: "stop_sequence"; sequence: string }
  | { type: "length" }
  | { type: "tool_calls" };

import type { DraftCounts } from "./speculation.ts";

/** How a generation ended, and how many of its tokens were thought (what the engine's paths report). */
export interface GenerationOutcome {
  finish: FinishReason;
  reasoningTokens: number;
  /** Tokens the turn wrote, where its path counts them (a speculative turn's meter counts its drafts too); none: the sequence's meter. */
  completionTokens?: number;
}

/** Token counts of one generation. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens a sequence already held from an earlier request, so not evaluated again. */
  cachedTokens?: number;
  /** Of the completion tokens, those the model spent thinking (its thought segment, markers included). */
  reasoningTokens?: number;
  /** Tokens drafted by speculative decoding (--spec-type) and verified, and how many of them the model wrote; none: no drafter. */
  drafts?: DraftCounts;
}

export type EngineEvent =
  /** Answer text. */
  | { type: "text"; text: string }
  /** Thought text: what the model writes before it answers (its thought segment or analysis channel), markers left out. */
  | { type: "reasoning"; text: string }
  /** The thought is over: answer text or tool calls follow. */
  | { type: "reasoning_end" }
  /** A new tool call begins; `index` counts the calls of this generation from 0. */
  | { type: "tool_call"; index: number; id: string; name: string }
  /** A fragment of the JSON arguments of the tool call at `index`. */
  | { type: "tool_call_arguments"; index: number; arguments: string }
  | { type: "finish"; reason: FinishReason }
  | { type: "usage"; usage: TokenUsage }
  /** The generation failed or was cut short; nothing follows. `code` says why in OpenAI's words where a client acts on it (`context_length_exceeded`). */
  | { type: "error"; message: string; code?: string };

/** An event of one of several generations run for one request (the prompts of a completions request), by index. */
export type ChoiceEvent = EngineEvent & { choice: number };

/** A keepalive moment: the only stream event that does not come from the engine. */
export interface TickEvent {
  type: "tick";
}

export type StreamEvent = EngineEvent | TickEvent;
