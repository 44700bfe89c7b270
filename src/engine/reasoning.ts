// PURE: one reasoning effort, whichever protocol asked for it, mapped to the knob the model's own
// format has (node-llama-cpp's chat wrapper settings) and to a thought-token budget.
import type { ReasoningEffort, ReasoningRequest } from "./types.ts";

/** The server's defaults: `--reasoning-effort` and `--reasoning-budget`. */
export interface ReasoningDefaults {
  /** null: the model format's own default. */
  effort: ReasoningEffort | null;
  /** null: no cap beyond the answer's token budget. */
  budget: number | null;
}

/** Wrapper settings, as node-llama-cpp's `resolveChatWrapper` takes them (`customWrapperSettings`), by wrapper config name. */
export type WrapperSettings = Record<string, Record<string, unknown>>;

export interface ThinkingPlan {
  /** Settings for the wrapper that differ from its defaults; null: the model's wrapper as resolved. */
  wrapperSettings: WrapperSettings | null;
  /** Same key, same settings: wrappers are made once per key. */
  key: string;
  /** Most tokens the thought may take; null: no cap of its own. */
  thoughtBudget: number | null;
}

/** The model formats whose wrapper has a knob of its own, by node-llama-cpp's `wrapperName`. */
type Format = "qwen" | "harmony" | "gemma4" | "seed" | "other";

function formatOf(wrapperName: string): Format {
  switch (wrapperName) {
    case "Qwen":
      return "qwen";
    case "Harmony":
      return "harmony";
    case "Gemma 4":
      return "gemma4";
    case "Seed":
      return "seed";
    default:
      return "other";
  }
}

/**
 * - `none` (or a budget of 0): thinking off where the format has a switch (Qwen3's empty thought,
 *   Gemma 4's reasoning flag, Seed's budget of 0), else a thought budget of 0. gpt-oss cannot skip
 *   its analysis: `none` asks for `Reasoning: low`.
 * - `minimal`, `low`, `medium`, `high`: Harmony's `Reasoning:` line (`minimal` is `low`), Seed's
 *   budget instruction when a budget is set; formats without a level think as they do by default.
 * - a budget caps the thought wherever the model thinks (node-llama-cpp closes the thought segment).
 */
export function planThinking(wrapperName: string, thinks: boolean, request: ReasoningRequest, defaults: ReasoningDefaults): ThinkingPlan {
  // A format without a thought segment has nothing to turn down (and a budget would only take it off the direct path).
  if (!thinks) return { wrapperSettings: null, key: "", thoughtBudget: null };
  const effort = request.effort ?? defaults.effort;
  const budget = request.budget ?? defaults.budget;
  const off = effort === "none" || budget === 0;
  const format = formatOf(wrapperName);
  let settings: WrapperSettings | null = null;
  let thoughtBudget = budget;
  switch (format) {
    case "qwen":
      if (off) [settings, thoughtBudget] = [{ qwen: { thoughts: "discourage" } }, null];
      break;
    case "gemma4":
      if (off) [settings, thoughtBudget] = [{ gemma4: { reasoning: false } }, null];
      break;
    case "seed":
      if (off) [settings, thoughtBudget] = [{ seed: { thinkingBudget: 0 } }, null];
      else if (budget !== null) settings = { seed: { thinkingBudget: budget } };
      break;
    case "harmony": {
      const level = effort === null ? null : effort === "none" || effort === "minimal" ? "low" : effort;
      if (level !== null) settings = { harmony: { reasoningEffort: level } };
      // node-llama-cpp 3.22.1 with a budget of 0 for Harmony's analysis lets the analysis out as
      // answer text: the least it can hold a gpt-oss thought to is one token.
      if (thoughtBudget !== null) thoughtBudget = Math.max(1, thoughtBudget);
      break;
    }
    case "other":
      if (off) thoughtBudget = 0;
      break;
  }
  return { wrapperSettings: settings, key: settings === null ? "" : JSON.stringify(settings), thoughtBudget };
}
