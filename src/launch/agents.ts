// PURE: how each coding agent is pointed at an oserve: the command, its arguments and environment,
// made from what the server says of itself (URL, key, model, window, output cap). No I/O here.
import type { ChildCommand } from "../child-command.ts";

export const AGENTS = ["claude", "codex"] as const;
export type AgentName = (typeof AGENTS)[number];

/** What an agent needs to know of the server it talks to. */
export interface LaunchTarget {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** The key the server wants; any placeholder where it wants none. */
  apiKey: string;
  /** The model id the server reports. */
  model: string;
  /** Tokens one request may hold, prompt and output together. */
  window: number;
  /** The most tokens one answer should take. */
  maxOutput: number;
}

/** How each agent is installed, for the error when it is not found. */
export const INSTALL: Record<AgentName, string> = {
  claude: "npm install -g @anthropic-ai/claude-code",
  codex: "npm install -g @openai/codex",
};

/** The agent's binary name on PATH (and the env variable that may name another). */
export const BINARY: Record<AgentName, { name: string; env: string }> = {
  claude: { name: "claude", env: "OSERVE_CLAUDE_BIN" },
  codex: { name: "codex", env: "OSERVE_CODEX_BIN" },
};

/** The environment variable Codex reads the key from (its provider's `env_key`). */
export const CODEX_KEY_ENV = "OSERVE_LAUNCH_API_KEY";

/**
 * The output cap an agent gets when the server sets none: a quarter of the window, from 256 to
 * 4096 (Claude Code compacts that much earlier for every token of it).
 */
export function defaultOutputCap(window: number): number {
  return Math.max(256, Math.min(4096, Math.floor(window / 4)));
}

/** About how many tokens each agent's own prompt (instructions and tools) takes before any conversation. */
export const AGENT_PROMPT_TOKENS: Record<AgentName, number> = { claude: 12_000, codex: 9_000 };

/**
 * The least window an agent works in without --ctx-size: its own prompt, room to compact, an
 * answer. Claude Code compacts 13000 tokens (plus its output cap) before the window's end.
 */
export const AGENT_MIN_WINDOW: Record<AgentName, number> = { claude: 32_768, codex: 16_384 };

/**
 * Where each agent compacts its conversation, in prompt tokens: Claude Code at the window less its
 * output cap (at most 20000) less a 13000-token buffer, Codex at 90% of the window.
 */
export function compactionThreshold(agent: AgentName, target: Pick<LaunchTarget, "window" | "maxOutput">): number {
  return agent === "claude" ? target.window - Math.min(target.maxOutput, 20_000) - 13_000 : Math.floor(target.window * 0.9);
}

/** A warning when the agent's own prompt leaves no room below its compaction threshold: it would compact every turn, or fail. */
export function windowWarning(agent: AgentName, target: Pick<LaunchTarget, "window" | "maxOutput">): string | null {
  const threshold = compactionThreshold(agent, target);
  // Its own prompt and a few turns.
  const needed = AGENT_PROMPT_TOKENS[agent] + 2048;
  if (threshold >= needed) return null;
  const room = Math.ceil((needed - threshold) / 1024) * 1024;
  return (
    `warning: ${agent === "claude" ? "Claude Code" : "Codex"} compacts its conversation once the prompt passes ${threshold} tokens, and its own ` +
    `instructions and tools take about ${AGENT_PROMPT_TOKENS[agent]}: give it a window at least ${room} tokens larger (--ctx-size${agent === "claude" ? " or a smaller --max-tokens" : ""})`
  );
}

/**
 * The command that runs `agent` against `target`, with `args` after oserve's own settings.
 * `env` is the caller's environment: the connection (URL, key, model) is always oserve's; the
 * tuning knobs (output cap, compaction window) keep a value the user set.
 */
export function agentCommand(agent: AgentName, binary: string, target: LaunchTarget, args: readonly string[], env: Record<string, string | undefined>): ChildCommand {
  return agent === "claude" ? claudeCommand(binary, target, args, env) : codexCommand(binary, target, args, env);
}

function claudeCommand(binary: string, target: LaunchTarget, args: readonly string[], env: Record<string, string | undefined>): ChildCommand {
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

function codexCommand(binary: string, target: LaunchTarget, args: readonly string[], env: Record<string, string | undefined>): ChildCommand {
  const provider = "oserve-launch";
  // `-c key=value` overrides (values in TOML): nothing is written into the user's ~/.codex.
  const settings: Array<[string, string]> = [
    ["model_provider", toml(provider)],
    [`model_providers.${provider}.name`, toml("oserve")],
    [`model_providers.${provider}.base_url`, toml(`${target.url}/v1`)],
    [`model_providers.${provider}.wire_api`, toml("responses")],
    [`model_providers.${provider}.env_key`, toml(CODEX_KEY_ENV)],
    ["model", toml(target.model)],
    // Codex assumes 272k for a model it does not know, and would never compact in time.
    ["model_context_window", String(target.window)],
    ["check_for_update_on_startup", "false"],
    ["analytics.enabled", "false"],
  ];
  return {
    command: binary,
    args: [...settings.flatMap(([key, value]) => ["-c", `${key}=${value}`]), ...args],
    env: { ...env, [CODEX_KEY_ENV]: target.apiKey },
  };
}

/** A TOML string. */
function toml(value: string): string {
  return JSON.stringify(value);
}
