// PURE: Codex CLI pointed at an oserve: a provider of its own in `-c` overrides (nothing written
// into ~/.codex), the Responses API, the key in an environment variable, the window.
import type { ChildCommand } from "../child-command.ts";
import { LAUNCH_KEY_ENV, type LaunchTarget } from "./target.ts";

export function codexCommand(binary: string, target: LaunchTarget, args: readonly string[], env: Record<string, string | undefined>): ChildCommand {
  const provider = "oserve-launch";
  // `-c key=value` overrides (values in TOML): nothing is written into the user's ~/.codex.
  const settings: Array<[string, string]> = [
    ["model_provider", toml(provider)],
    [`model_providers.${provider}.name`, toml("oserve")],
    [`model_providers.${provider}.base_url`, toml(`${target.url}/v1`)],
    [`model_providers.${provider}.wire_api`, toml("responses")],
    [`model_providers.${provider}.env_key`, toml(LAUNCH_KEY_ENV)],
    ["model", toml(target.model)],
    // Codex assumes 272k for a model it does not know, and would never compact in time.
    ["model_context_window", String(target.window)],
    ["check_for_update_on_startup", "false"],
    ["analytics.enabled", "false"],
  ];
  return {
    command: binary,
    args: [...settings.flatMap(([key, value]) => ["-c", `${key}=${value}`]), ...args],
    env: { ...env, [LAUNCH_KEY_ENV]: target.apiKey },
  };
}

/** A TOML string. */
function toml(value: string): string {
  return JSON.stringify(value);
}
