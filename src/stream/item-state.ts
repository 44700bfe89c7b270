// PURE: what a protocol whose answer is a list of items (Anthropic's content blocks, Responses' output
// items) keeps between events, beside its items: which one is open, where each tool call went, how it
// ended.
import type { FinishReason, TokenUsage } from "../engine/events.ts";

export interface ItemStreamState {
  /** Index of the item still being written, if any. */
  readonly open: number | null;
  /** Engine tool-call index → item index. */
  readonly calls: readonly number[];
  readonly finish: FinishReason | null;
  readonly usage: TokenUsage | null;
  /** The last event (or an error) went out. */
  readonly closed: boolean;
}
