// PURE: OpenCode pointed at an oserve: its whole config inline (OPENCODE_CONFIG_CONTENT, over the
// user's own), one openai-compatible provider whose only model is the one served, with its window and
// output cap; no model catalog fetch, self-update, LSP download or sharing (it runs offline).
import type { ChildCommand } from "../child-command.ts";
import { LAUNCH_KEY_ENV, type LaunchTarget } from "./target.ts";

const PROVIDER = "oserve";

/** The config OpenCode reads, as JSON. */
export function opencodeConfig(target: LaunchTarget): string {
  const model = `${PROVIDER}/${target.model}`;
  return JSON.stringify({
    $schema: "https://opencode.ai/config.json",
    provider: {
      [PROVIDER]: {
        npm: "@ai-sdk/openai-compatible",
        name: "oserve",
        // The key by reference: the config text (which OpenCode's shell commands inherit) holds none.
        options: { baseURL: `${target.url}/v1`, apiKey: `{env:${LAUNCH_KEY_ENV}}` },
        // limit.output must be given: without it OpenCode assumes 32000 and, in a small window,
        // compacts after every step.
        models: { [target.model]: { name: target.model, tool_call: true, limit: { context: target.window, output: target.maxOutput } } },
      },
    },
    model,
    small_model: model,
    // Its free internet models are hidden; the one served is the only choice.
    enabled_providers: [PROVIDER],
    autoupdate: false,
    share: "disabled",
    // A session's title would be a second request beside its first, on the same model.
    agent: { title: { disable: true } },
  });
}

export function opencodeCommand(binary: string, target: LaunchTarget, args: readonly string[], env: Record<string, string | undefined>): ChildCommand {
  const offline = {
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
    OPENCODE_DISABLE_SHARE: "1",
  };
  return {
    command: binary,
    args: [...args],
    env: { ...offline, ...env, OPENCODE_CONFIG_CONTENT: opencodeConfig(target), [LAUNCH_KEY_ENV]: target.apiKey },
  };
}
