// PURE: Claude Code pointed at an oserve: Anthropic's variables, every model role the one served,
// its window and output cap, no traffic to Anthropic.
import type { ChildCommand } from "../child-command.ts";
import type { LaunchTarget } from "./target.ts";

export function claudeCommand(binary: string, target: LaunchTarget, args: readonly string[], env: Record<string, string | undefined>): ChildCommand {
  const tuning = {
    CLAUDE_CODE_MAX_OUTPUT_TOKENS: String(target.maxOutput),
    // For a model id it does not know, Claude Code assumes a window of 1M tokens (200k in older
    // versions): it would never compact in time. (CLAUDE_CODE_AUTO_COMPACT_WINDOW takes nothing under 100k.)
    CLAUDE_CODE_MAX_CONTEXT_TOKENS: String(target.window),
  };
  return {
    command: binary,
    args: [...args],
    env: {
      ...tuning,
      ...env,
      ANTHROPIC_BASE_URL: target.url,
      // A token, not ANTHROPIC_API_KEY: Claude Code asks a person to approve a custom API key.
      ANTHROPIC_AUTH_TOKEN: target.apiKey,
      ANTHROPIC_API_KEY: "",
      // Every role Claude Code gives a model (main, background, subagents) goes to the one served.
      ANTHROPIC_MODEL: target.model,
      ANTHROPIC_DEFAULT_OPUS_MODEL: target.model,
      ANTHROPIC_DEFAULT_SONNET_MODEL: target.model,
      ANTHROPIC_DEFAULT_HAIKU_MODEL: target.model,
      ANTHROPIC_SMALL_FAST_MODEL: target.model,
      CLAUDE_CODE_SUBAGENT_MODEL: target.model,
      // No telemetry, error reports, update checks or other calls to Anthropic's servers.
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      // Its attribution line opens the system prompt and changes from request to request, so no
      // request could reuse the tokens of the one before (oserve keeps a sequence's prompt).
      CLAUDE_CODE_ATTRIBUTION_HEADER: "0",
    },
  };
}
