// PURE: Codex CLI pointed at an oserve: a provider of its own in `-c` overrides (nothing written
// into ~/.codex), the Responses API, the key in an environment variable, the window.
import type { ChildCommand } from "../child-command.ts";
import { join } from "node:path";
import { CODEX_BASE_INSTRUCTIONS } from "./codex-instructions.ts";
import { LAUNCH_KEY_ENV, type LaunchTarget } from "./target.ts";

/**
 * A model catalog of one entry, the served model (Codex's `model_catalog_json`): its window, and
 * Codex's own base instructions, so that Codex sends what it sends for a model it has no metadata
 * for, without warning that it has none. Checked against Codex 0.171.0: every required field, no
 * apply_patch tool of `custom` type (oserve's Responses API takes function tools; Codex still
 * applies an `apply_patch` heredoc its shell tool runs).
 */
export function codexCatalog(target: LaunchTarget): string {
  return JSON.stringify({
    models: [
      {
        slug: target.model,
        display_name: target.model,
        description: "Served by oserve",
        base_instructions: CODEX_BASE_INSTRUCTIONS,
        context_window: target.window,
        shell_type: "default",
        apply_patch_tool_type: null,
        web_search_tool_type: "text",
        visibility: "list",
        supported_in_api: true,
        priority: 1,
        supported_reasoning_levels: [],
        supports_reasoning_summaries: false,
        default_reasoning_summary: "auto",
        support_verbosity: false,
        default_verbosity: null,
        truncation_policy: { mode: "bytes", limit: 10_000 },
        supports_parallel_tool_calls: false,
        experimental_supported_tools: [],
        input_modalities: ["text", "image"],
      },
    ],
  });
}

export function codexCommand(binary: string, target: LaunchTarget, args: readonly string[], env: Record<string, string | undefined>, scratch: string): ChildCommand {
  const catalog = join(scratch, "codex-models.json");
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
    // The served model's metadata: without it Codex warns at every start that it has none.
    ["model_catalog_json", toml(catalog)],
    ["check_for_update_on_startup", "false"],
    ["analytics.enabled", "false"],
  ];
  return {
    command: binary,
    args: [...settings.flatMap(([key, value]) => ["-c", `${key}=${value}`]), ...args],
    env: { ...env, [LAUNCH_KEY_ENV]: target.apiKey },
    files: [{ path: catalog, text: codexCatalog(target) }],
  };
}

/** A TOML string. */
function toml(value: string): string {
  return JSON.stringify(value);
}
