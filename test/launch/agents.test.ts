import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AGENT_MIN_WINDOW, agentCommand, LAUNCH_KEY_ENV, compactionThreshold, defaultOutputCap, windowWarning, type LaunchTarget } from "../../src/launch/agents.ts";

const target: LaunchTarget = { url: "http://127.0.0.1:4321", apiKey: "secret", model: "qwen3-coder", window: 16384, maxOutput: 4096 };

describe("agentCommand", () => {
  test("Claude Code: the server's URL, key and model in every role, its real window and output cap, no traffic elsewhere; the agent's args pass through", () => {
    const { command, args, env } = agentCommand("claude", "/bin/claude", target, ["-p", "Hello"], { PATH: "/bin", ANTHROPIC_BASE_URL: "https://api.anthropic.com", ANTHROPIC_API_KEY: "sk-real" });
    assert.equal(command, "/bin/claude");
    assert.deepEqual(args, ["-p", "Hello"]);
    assert.equal(env.PATH, "/bin");
    assert.equal(env.ANTHROPIC_BASE_URL, target.url, "the connection is always oserve's");
    assert.equal(env.ANTHROPIC_AUTH_TOKEN, "secret");
    assert.equal(env.ANTHROPIC_API_KEY, "", "a real Anthropic key is not sent to a local server");
    for (const role of ["ANTHROPIC_MODEL", "ANTHROPIC_DEFAULT_OPUS_MODEL", "ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL", "ANTHROPIC_SMALL_FAST_MODEL", "CLAUDE_CODE_SUBAGENT_MODEL"]) {
      assert.equal(env[role], "qwen3-coder", role);
    }
    assert.equal(env.CLAUDE_CODE_MAX_CONTEXT_TOKENS, "16384");
    assert.equal(env.CLAUDE_CODE_MAX_OUTPUT_TOKENS, "4096");
    assert.equal(env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC, "1");
  });

  test("Claude Code: a window or output cap the user set stays theirs", () => {
    const { env } = agentCommand("claude", "claude", target, [], { CLAUDE_CODE_MAX_OUTPUT_TOKENS: "1000", CLAUDE_CODE_MAX_CONTEXT_TOKENS: "12000" });
    assert.deepEqual([env.CLAUDE_CODE_MAX_OUTPUT_TOKENS, env.CLAUDE_CODE_MAX_CONTEXT_TOKENS], ["1000", "12000"]);
  });

  test("Codex: a provider of its own in -c overrides (nothing written to ~/.codex), the key in its env_key, the window; the agent's args after", () => {
    const { command, args, env } = agentCommand("codex", "codex", target, ["exec", "Say hello"], { HOME: "/home/u" });
    assert.equal(command, "codex");
    assert.deepEqual(args.slice(-2), ["exec", "Say hello"]);
    const settings = new Map<string, string>();
    for (let i = 0; i < args.length - 2; i += 2) {
      assert.equal(args[i], "-c");
      const [key, ...value] = args[i + 1]!.split("=");
      settings.set(key!, value.join("="));
    }
    assert.equal(settings.get("model_provider"), '"oserve-launch"');
    assert.equal(settings.get("model_providers.oserve-launch.base_url"), '"http://127.0.0.1:4321/v1"');
    assert.equal(settings.get("model_providers.oserve-launch.wire_api"), '"responses"');
    assert.equal(settings.get("model_providers.oserve-launch.env_key"), `"${LAUNCH_KEY_ENV}"`);
    assert.equal(settings.get("model"), '"qwen3-coder"');
    assert.equal(settings.get("model_context_window"), "16384");
    assert.equal(env[LAUNCH_KEY_ENV], "secret");
    assert.equal(env.HOME, "/home/u");
  });

  test("Codex: a model catalog of the served model alone, with its window and Codex's own base instructions, written beside the launch", () => {
    const { args, files } = agentCommand("codex", "codex", target, [], {}, "/scratch");
    assert.ok(args.includes(`model_catalog_json="/scratch/codex-models.json"`), args.join(" "));
    assert.equal(files?.length, 1);
    const catalog = JSON.parse(files![0]!.text);
    assert.equal(files![0]!.path, "/scratch/codex-models.json");
    assert.equal(catalog.models.length, 1);
    const [entry] = catalog.models;
    assert.deepEqual([entry.slug, entry.display_name, entry.context_window], ["qwen3-coder", "qwen3-coder", 16384]);
    assert.match(entry.base_instructions, /^You are a coding agent running in the Codex CLI/);
    assert.equal(entry.apply_patch_tool_type, null, "no custom-type apply_patch tool: the Responses API here takes functions");
    for (const field of ["supported_reasoning_levels", "shell_type", "visibility", "supported_in_api", "priority", "support_verbosity", "truncation_policy", "experimental_supported_tools"]) assert.ok(field in entry, field);
  });

  test("OpenCode: its whole config inline over the user's, one provider with the served model's window and output cap, the key by reference; offline switches the user may override", () => {
    const { command, args, env } = agentCommand("opencode", "/bin/opencode", target, ["run", "Hi"], { PATH: "/bin", OPENCODE_DISABLE_AUTOUPDATE: "0", OPENCODE_CONFIG_CONTENT: "{}" });
    assert.equal(command, "/bin/opencode");
    assert.deepEqual(args, ["run", "Hi"]);
    const config = JSON.parse(env.OPENCODE_CONFIG_CONTENT!);
    assert.equal(config.model, "oserve/qwen3-coder");
    assert.equal(config.small_model, "oserve/qwen3-coder");
    assert.deepEqual(config.provider.oserve.options, { baseURL: `${target.url}/v1`, apiKey: `{env:${LAUNCH_KEY_ENV}}` });
    assert.deepEqual(config.provider.oserve.models["qwen3-coder"].limit, { context: 16384, output: 4096 });
    assert.deepEqual(config.enabled_providers, ["oserve"]);
    assert.equal(env[LAUNCH_KEY_ENV], "secret");
    assert.equal(env.OPENCODE_DISABLE_MODELS_FETCH, "1");
    assert.equal(env.OPENCODE_DISABLE_AUTOUPDATE, "0", "a switch the user set stays theirs");
    assert.equal(compactionThreshold("opencode", target), 16384 - 4096);
  });

  test("where each agent compacts, and a warning where its own prompt leaves it no room", () => {
    assert.equal(compactionThreshold("claude", { window: 32768, maxOutput: 2048 }), 32768 - 2048 - 13000);
    assert.equal(compactionThreshold("codex", { window: 16384, maxOutput: 4096 }), 14745);
    assert.match(windowWarning("claude", { window: 16384, maxOutput: 4096 }) ?? "", /passes -712 tokens.*--ctx-size/);
    assert.equal(windowWarning("claude", { window: 65536, maxOutput: 8192 }), null);
    assert.equal(windowWarning("claude", { window: AGENT_MIN_WINDOW.claude, maxOutput: defaultOutputCap(AGENT_MIN_WINDOW.claude) }), null, "launch's own defaults leave room");
    assert.equal(windowWarning("codex", { window: AGENT_MIN_WINDOW.codex, maxOutput: defaultOutputCap(AGENT_MIN_WINDOW.codex) }), null);
    assert.equal(windowWarning("codex", { window: 16384, maxOutput: 4096 }), null);
    assert.match(windowWarning("codex", { window: 8192, maxOutput: 2048 }) ?? "", /Codex CLI compacts/);
    assert.equal(windowWarning("opencode", { window: AGENT_MIN_WINDOW.opencode, maxOutput: defaultOutputCap(AGENT_MIN_WINDOW.opencode) }), null);
    assert.match(windowWarning("opencode", { window: 8192, maxOutput: 2048 }) ?? "", /OpenCode compacts .*\(--ctx-size or a smaller --max-tokens\)/);
  });

  test("the default output cap is a quarter of the window, between 256 and 4096", () => {
    assert.deepEqual([defaultOutputCap(2048), defaultOutputCap(16384), defaultOutputCap(131072)], [512, 4096, 4096]);
    assert.equal(defaultOutputCap(512), 256);
  });
});
