// PURE: where chat completions put a thought (`--reasoning-format`): in `reasoning_content`, in
// `content` between `<think>` tags as a client that shows raw thoughts expects, or nowhere.
import type { EngineEvent } from "../engine/events.ts";
import type { ChunkDelta } from "./types.ts";

/** Where chat completions put a thought: `reasoning_content` (separate), in `content` between `<think>` tags (inline), or nowhere (hidden). */
export type ReasoningFormat = "separate" | "inline" | "hidden";
export const REASONING_FORMATS = ["separate", "inline", "hidden"] as const;

const OPEN = "<think>\n";
const CLOSE = "\n</think>\n\n";

/** The delta a thought event becomes, and whether an inline thought is open after it; null delta: nothing to send. */
export function thoughtDelta(
  format: ReasoningFormat,
  inlineOpen: boolean,
  event: Extract<EngineEvent, { type: "reasoning" | "reasoning_end" }>,
): { delta: ChunkDelta | null; inlineOpen: boolean } {
  if (format === "hidden") return { delta: null, inlineOpen };
  if (event.type === "reasoning_end") {
    return format === "inline" && inlineOpen ? { delta: { content: CLOSE }, inlineOpen: false } : { delta: null, inlineOpen };
  }
  if (event.text === "") return { delta: null, inlineOpen };
  if (format === "separate") return { delta: { reasoning_content: event.text }, inlineOpen };
  return { delta: { content: (inlineOpen ? "" : OPEN) + event.text }, inlineOpen: true };
}
