// `oserve launch`: the server started on a free port (or found by --url), the agent configured for
// it, its arguments, output and exit code passed through, the server stopped after it. A stand-in
// agent (test/fixtures/fake-agent.mjs) talks to the server as Claude Code or Codex would; the real
// agents run in scripts/agent-sessions.ts and scripts/agent-clients.sh (large installs).
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { runCli, startServer, TINY_CHAT } from "../helpers/test-server.ts";

const FAKE = resolve(import.meta.dirname, "../fixtures/fake-agent.mjs");
const CAPITAL = "What is the capital of France?";
const CAPITAL_ANSWER = "The capital of France is Paris.";

interface Seen {
  args: string[];
  settings: Record<string, unknown>;
  env: Record<string, string>;
  answer: string;
  /** The output cap the server's /v1/models gave while the agent ran. */
  serverCap: number;
}

const seen = (stdout: string): Seen => JSON.parse(stdout.trim().split("\n").at(-1)!);

describe("oserve launch", () => {
  test("claude: the agent asks the server it started, with its key, model, a window it fits in and an output cap; its exit code is launch's, and the port is free after", async () => {
    const { code, stdout, stderr } = await runCli(["launch", "claude", "--model", TINY_CHAT, "--threads", "1", "--api-key", "secret", "--", "-p", CAPITAL], {
      env: { OSERVE_CLAUDE_BIN: FAKE, FAKE_AGENT: "claude", FAKE_EXIT: "7" },
    });
    assert.equal(code, 7, stderr);
    const agent = seen(stdout);
    assert.equal(agent.answer, CAPITAL_ANSWER);
    assert.deepEqual(agent.args, ["-p", CAPITAL], "the agent's arguments pass through");
    assert.equal(agent.env.ANTHROPIC_AUTH_TOKEN, "secret");
    assert.equal(agent.env.ANTHROPIC_MODEL, "oserve-tiny-chat");
    // The model was trained on 2048 tokens; Claude Code's own prompt takes 12k.
    assert.equal(agent.env.CLAUDE_CODE_MAX_CONTEXT_TOKENS, "32768", "a window the agent fits in");
    assert.equal(agent.env.CLAUDE_CODE_MAX_OUTPUT_TOKENS, "4096");
    assert.match(stderr, /^oserve: context: 32768 tokens per request \(past the model's trained length of 2048, /m);
    assert.match(stderr, /^oserve: claude: window 32768 tokens, answers of at most 4096, compacts past 15672$/m);
    assert.doesNotMatch(stderr, /warning/);
    await assert.rejects(fetch(agent.env.ANTHROPIC_BASE_URL + "/health"), "the server stopped with the agent");
  });

  test("codex: a provider of its own in -c overrides, the key in its env_key; answers are capped for it", async () => {
    const { code, stdout, stderr } = await runCli(["launch", "codex", "--model", TINY_CHAT, "--threads", "1", "--", "exec", CAPITAL], {
      env: { OSERVE_CODEX_BIN: FAKE, FAKE_AGENT: "codex" },
    });
    assert.equal(code, 0, stderr);
    const agent = seen(stdout);
    assert.equal(agent.answer, CAPITAL_ANSWER);
    assert.deepEqual(agent.args.slice(-2), ["exec", CAPITAL]);
    assert.equal(agent.settings.model, "oserve-tiny-chat");
    assert.equal(agent.settings.model_context_window, 16384);
    assert.equal(agent.env.OSERVE_LAUNCH_API_KEY, "oserve", "a placeholder key where the server wants none");
    assert.equal(agent.serverCap, 4096, "the server holds answers to the agent's cap: Codex has none of its own");
    assert.match(stderr, /^oserve listening on http:\/\/127\.0\.0\.1:\d+/m, "the ready line on stderr: the terminal is the agent's");
  });

  test("opencode: one provider whose only model is the one served, its window and output cap in limit, the key by reference, nothing fetched from the internet", async () => {
    const { code, stdout, stderr } = await runCli(["launch", "opencode", "--model", TINY_CHAT, "--threads", "1", "--api-key", "secret", "--", "run", CAPITAL], {
      env: { OSERVE_OPENCODE_BIN: FAKE, FAKE_AGENT: "opencode" },
    });
    assert.equal(code, 0, stderr);
    const agent = seen(stdout);
    assert.equal(agent.answer, CAPITAL_ANSWER);
    assert.deepEqual(agent.args, ["run", CAPITAL]);
    const provider = (agent.settings.provider as Record<string, { options: { apiKey: string }; models: Record<string, { limit: { context: number; output: number } }> }>).oserve!;
    assert.deepEqual(provider.models["oserve-tiny-chat"]!.limit, { context: 32768, output: 4096 });
    assert.equal(provider.options.apiKey, "{env:OSERVE_LAUNCH_API_KEY}", "the key stays out of the config text");
    assert.equal(agent.env.OSERVE_LAUNCH_API_KEY, "secret");
    assert.deepEqual(agent.settings.enabled_providers, ["oserve"]);
    assert.equal(agent.env.OPENCODE_DISABLE_MODELS_FETCH, "1");
    assert.equal(agent.env.OPENCODE_DISABLE_AUTOUPDATE, "1");
    assert.equal(agent.serverCap, 4096);
    assert.match(stderr, /^oserve: opencode: window 32768 tokens, answers of at most 4096, compacts past 28672$/m);
  });

  test("a model's own max-tokens (config file) is what the agent is told and what the server holds; what follows -- is the agent's, --help included", async () => {
    const config = join(mkdtempSync(join(tmpdir(), "oserve-launch-")), "oserve.toml");
    writeFileSync(config, `max-tokens = 2000\nthreads = 1\n[models.chat]\npath = ${JSON.stringify(TINY_CHAT)}\nmax-tokens = 300\n`);
    const { code, stdout, stderr } = await runCli(["launch", "claude", "--config", config, "--", "--help", "-p", CAPITAL], {
      env: { OSERVE_CLAUDE_BIN: FAKE, FAKE_AGENT: "claude" },
    });
    assert.equal(code, 0, stderr);
    const agent = seen(stdout);
    assert.deepEqual(agent.args, ["--help", "-p", CAPITAL], "--help after -- is the agent's, not oserve's");
    assert.equal(agent.env.CLAUDE_CODE_MAX_OUTPUT_TOKENS, "300", "the model's own cap, not the server-wide one");
    assert.equal(agent.serverCap, 300);
    assert.match(stderr, /^oserve: claude: window \d+ tokens, answers of at most 300, /m);
  });

  test("--url: the agent goes to an oserve already running, with what its /v1/models says; that server keeps running", async () => {
    const server = await startServer(["--model", TINY_CHAT, "--max-tokens", "100", "--api-key", "k"]);
    try {
      const { code, stdout, stderr } = await runCli(["launch", "codex", "--url", `${server.url}/v1/`, "--api-key", "k", "--", "exec", CAPITAL], {
        env: { OSERVE_CODEX_BIN: FAKE, FAKE_AGENT: "codex" },
      });
      assert.equal(code, 0, stderr);
      const agent = seen(stdout);
      assert.equal(agent.answer, CAPITAL_ANSWER);
      assert.equal(agent.settings[`model_providers.${agent.settings.model_provider}.base_url`], `${server.url}/v1`);
      assert.equal(agent.settings.model_context_window, 2048);
      assert.equal(agent.serverCap, 100);
      assert.match(stderr, /^oserve: codex: window 2048 tokens, answers of at most 100, compacts past 1843$/m);
      assert.doesNotMatch(stderr, /listening/, "no second server");
      assert.equal((await fetch(`${server.url}/health`)).status, 200);
      // The key from a file, as a server takes it (it was refused before: --url took only --api-key).
      const keyFile = join(mkdtempSync(join(tmpdir(), "oserve-launch-")), "key");
      writeFileSync(keyFile, "k\n");
      const fromFile = await runCli(["launch", "codex", "--url", server.url, "--api-key-file", keyFile, "--", "exec", CAPITAL], { env: { OSERVE_CODEX_BIN: FAKE, FAKE_AGENT: "codex" } });
      assert.equal(fromFile.code, 0, fromFile.stderr);
      assert.equal(seen(fromFile.stdout).answer, CAPITAL_ANSWER);
      const wrongKey = await runCli(["launch", "codex", "--url", server.url, "--", "exec", CAPITAL], { env: { OSERVE_CODEX_BIN: FAKE } });
      assert.equal(wrongKey.code, 2);
      assert.match(wrongKey.stderr, /^oserve: --url http:\S+: GET \/v1\/models answered 401 \(give its key with --api-key\)$/m);
    } finally {
      await server.stop();
    }
  });

  test("an agent that is not installed, an unknown agent, --url with server flags: one line, exit 2, nothing started", async () => {
    const missing = await runCli(["launch", "claude", "--model", TINY_CHAT, "--", "-p", "Hi"], { env: { PATH: "/nonexistent", OSERVE_CLAUDE_BIN: "" } });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^oserve: Claude Code is not installed here \(no 'claude' on PATH; OSERVE_CLAUDE_BIN may name it\): npm install -g @anthropic-ai\/claude-code$/m);
    assert.doesNotMatch(missing.stderr, /listening/);
    const unknown = await runCli(["launch", "cursor"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^oserve: oserve launch needs an agent: claude, codex, opencode/m);
    const mixed = await runCli(["launch", "codex", "--url", "http://127.0.0.1:1", "--model", TINY_CHAT], { env: { OSERVE_CODEX_BIN: FAKE } });
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /^oserve: with --url, oserve launch starts no server: '--model' has nothing to apply to \(only --api-key, --api-key-file and --config go with --url\)$/m);
  });
});
