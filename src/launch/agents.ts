// PURE: how each coding agent is pointed at an oserve: the command, its arguments and environment,
// made from what the server says of itself (URL, key, model, window, output cap). No I/O here.
import type { ChildCommand } from "../child-command.ts";
import type { LaunchTarget } from "./target.ts";
import { claudeCommand } from "./claude.ts";
import { codexCommand } from "./codex.ts";
import { opencodeCommand } from "./opencode.ts";

export { LAUNCH_KEY_ENV, type LaunchTarget } from "./target.ts";

export const AGENTS = ["claude", "codex", "opencode"] as const;
export type AgentName = (typeof AGENTS)[number];

/** Each agent's name for people. */
export const AGENT_TITLE: Record<AgentName, string> = { claude: "Claude Code", codex: "Codex CLI", opencode: "OpenCode" };

/** How each agent is installed, for the error when it is not found. */
export const INSTALL: Record<AgentName, string> = {
  claude: "npm install -g @anthropic-ai/claude-code",
  codex: "npm install -g @openai/codex",
  opencode: "npm install -g opencode-ai",
};

/** The agent's binary name on PATH (and the env variable that may name another). */
export const BINARY: Record<AgentName, { name: string; env: string }> = {
  claude: { name: "claude", env: "OSERVE_CLAUDE_BIN" },
  codex: { name: "codex", env: "OSERVE_CODEX_BIN" },
  opencode: { name: "opencode", env: "OSERVE_OPENCODE_BIN" },
};

/**
 * The output cap an agent gets when the server sets none: a quarter of the window, from 256 to
 * 4096 (Claude Code compacts that much earlier for every token of it).
 */
export function defaultOutputCap(window: number): number {
  return Math.max(256, Math.min(4096, Math.floor(window / 4)));
}

/** About how many tokens each agent's own prompt (instructions and tools) takes before any conversation. */
export const AGENT_PROMPT_TOKENS: Record<AgentName, number> = { claude: 12_000, codex: 9_000, opencode: 8_000 };

/**
 * The least window an agent works in without --ctx-size: its own prompt, room to compact, an
 * answer. Claude Code compacts 13000 tokens (plus its output cap) before the window's end; OpenCode
 * compacts after every step once its prompt stays past its threshold, so it gets room to spare.
 */
export const AGENT_MIN_WINDOW: Record<AgentName, number> = { claude: 32_768, codex: 16_384, opencode: 32_768 };

/**
 * Where each agent compacts its conversation, in prompt tokens: Claude Code at the window less its
 * output cap (at most 20000) less a 13000-token buffer, Codex at 90% of the window, OpenCode at the
 * window less its output cap (at most 32000; its `limit.context` without `limit.input`).
 */
export function compactionThreshold(agent: AgentName, target: Pick<LaunchTarget, "window" | "maxOutput">): number {
  switch (agent) {
    case "claude":
      return target.window - Math.min(target.maxOutput, 20_000) - 13_000;
    case "codex":
      return Math.floor(target.window * 0.9);
    case "opencode":
      return target.window - Math.min(target.maxOutput, 32_000);
  }
}

/** A warning when the agent's own prompt leaves no room below its compaction threshold: it would compact every turn, or fail. */
export function windowWarning(agent: AgentName, target: Pick<LaunchTarget, "window" | "maxOutput">): string | null {
  const threshold = compactionThreshold(agent, target);
  // Its own prompt and a few turns.
  const needed = AGENT_PROMPT_TOKENS[agent] + 2048;
  if (threshold >= needed) return null;
  const room = Math.ceil((needed - threshold) / 1024) * 1024;
  return (
    `warning: ${AGENT_TITLE[agent]} compacts its conversation once the prompt passes ${threshold} tokens, and its own ` +
    `instructions and tools take about ${AGENT_PROMPT_TOKENS[agent]}: give it a window at least ${room} tokens larger (--ctx-size${agent === "codex" ? "" : " or a smaller --max-tokens"})`
  );
}

/**
 * The command that runs `agent` against `target`, with `args` after oserve's own settings; files it
 * needs go in `scratch`, a folder of the launch's own.
 * `env` is the caller's environment: the connection (URL, key, model) is always oserve's; the
 * tuning knobs (output cap, compaction window) keep a value the user set.
 */
export function agentCommand(agent: AgentName, binary: string, target: LaunchTarget, args: readonly string[], env: Record<string, string | undefined>, scratch = "/tmp"): ChildCommand {
  switch (agent) {
    case "claude":
      return claudeCommand(binary, target, args, env);
    case "codex":
      return codexCommand(binary, target, args, env, scratch);
    case "opencode":
      return opencodeCommand(binary, target, args, env);
  }
}
