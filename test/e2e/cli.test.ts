// The CLI as a script sees it: exit codes, one-line errors, the ready line.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { FLAGS } from "../../src/config/flags.ts";
import { VERSION } from "../../src/version.ts";
import { serveModel } from "../helpers/local-model-hub.ts";
import { freePort, RANDOM, runCli, startServer, startServers, TINY_CHAT, until } from "../helpers/test-server.ts";

const ROOT = resolve(import.meta.dirname, "../..");

const oserve = (args: string[], env: Record<string, string> = {}) => runCli(args, { env, timeoutMs: 30_000 });

const scratch = mkdtempSync(join(tmpdir(), "oserve-cli-"));
const notGguf = join(scratch, "model.gguf");
writeFileSync(notGguf, "this is not a model");

describe("oserve CLI", () => {
  test("--version prints the package version", async () => {
    const { code, stdout } = await oserve(["--version"]);
    assert.equal(code, 0);
    assert.equal(stdout.trim(), VERSION);
  });

  test("--help lists every flag with its environment variable", async () => {
    const { code, stdout } = await oserve(["--help"]);
    assert.equal(code, 0);
    for (const flag of Object.keys(FLAGS)) {
      assert.match(stdout, new RegExp(`--${flag}\\b`));
      assert.match(stdout, new RegExp(`OSERVE_${flag.toUpperCase().replaceAll("-", "_")}\\b`));
    }
  });

  test("each command has its own --help, from the one flag table", async () => {
    for (const command of ["run", "launch"]) {
      const { code, stdout } = await oserve([command, "--help"]);
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`^Usage: oserve ${command} `, "m"));
      for (const flag of Object.keys(FLAGS)) assert.match(stdout, new RegExp(`--${flag}\\b`));
    }
  });

  for (const [what, args, pattern] of [
    ["no model", [], /--model is required/],
    ["a missing model file", ["--model", join(scratch, "nope.gguf")], /no such file/],
    ["a directory as model", ["--model", scratch], /not a regular file|is a directory/],
    ["a file that is not GGUF", ["--model", notGguf], /not a GGUF file/],
    ["a bad keepalive mode", ["--model", TINY_CHAT, "--keepalive", "never"], /--keepalive must be one of/],
    ["a bad port", ["--model", TINY_CHAT, "--port", "99999"], /--port/],
    ["an unknown flag", ["--model", TINY_CHAT, "--turbo"], /unknown flag '--turbo'/],
    ["a stray argument", [TINY_CHAT], /unexpected argument/],
  ] as const) {
    test(`${what}: one clear line on stderr, non-zero exit, no stack trace`, async () => {
      const { code, stderr } = await oserve([...args]);
      assert.notEqual(code, 0);
      const lines = stderr.trim().split("\n");
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, /^oserve: /);
      assert.match(lines[0]!, pattern);
    });
  }

  test("a port already in use: one clear line", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { code, stderr } = await oserve(["--model", TINY_CHAT, "--port", String(port)]);
      assert.notEqual(code, 0);
      assert.match(stderr.trim(), /^oserve: .*EADDRINUSE/);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
    } finally {
      blocker.close();
    }
  });

  test("while the model loads: /health and every route answer 503 in their shapes, and SIGTERM exits 0", async () => {
    // The model comes from a local hub that holds the download part way: the load lasts as long as the test needs.
    const hub = await serveModel(RANDOM);
    hub.holdNextAfter(1 << 20);
    const port = await freePort();
    const child = spawn(process.execPath, ["scripts/start.mjs", "--model", hub.url, "--download-dir", mkdtempSync(join(tmpdir(), "oserve-models-")), "--port", String(port)], { cwd: ROOT, stdio: "ignore" });
    const exited = once(child, "exit");
    const url = `http://127.0.0.1:${port}`;
    try {
      await until(() => fetch(`${url}/health`).then(() => true, () => false), 30_000, "the server answering");
      const health = await fetch(`${url}/health`);
      assert.deepEqual([health.status, await health.json()], [503, { status: "loading" }]);
      const chat = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ messages: [{ role: "user", content: "Hi" }] }) });
      assert.deepEqual([chat.status, (await chat.json()).error.code], [503, "model_loading"]);
      const messages = await fetch(`${url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "x", max_tokens: 2, messages: [{ role: "user", content: "Hi" }] }) });
      const body = await messages.json();
      assert.deepEqual([messages.status, body.type, body.error.type], [503, "error", "overloaded_error"]);
      child.kill("SIGTERM");
      assert.equal((await exited)[0], 0);
    } finally {
      child.kill("SIGKILL");
      hub.release();
      await hub.close();
    }
  });

  test("a file that starts like a GGUF but is cut short: one clear line with llama.cpp's reason, non-zero exit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oserve-cut-"));
    const cut = join(dir, "cut.gguf");
    writeFileSync(cut, readFileSync(TINY_CHAT).subarray(0, 64 * 1024));
    const { code, stderr } = await oserve(["--model", cut]);
    assert.notEqual(code, 0);
    assert.match(stderr.trim(), /^oserve: --model .*cut\.gguf: could not load: .*\(llama\.cpp: .*failed to read key-value pairs/);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
  });

  test("started and stopped 6 times (two at a time), it is ready every time, its ready line stdout's first and only line, and exits 0", async () => {
    // Once a start in CI printed its engine and weights lines and then nothing for 60 s: late load
    // log lines had gone to stdout in front of the ready line, which the harness never matched
    // (fixed in c91b44b; startServer now fails on any stdout line before the ready line).
    for (let round = 0; round < 3; round++) {
      const servers = await startServers(["--model", RANDOM], ["--model", TINY_CHAT]);
      for (const server of servers) {
        assert.equal((await fetch(`${server.url}/health`)).status, 200);
        assert.equal(await server.stop(), 0, server.stderr());
        assert.match(server.stdout(), /^oserve listening on http:\/\/127\.0\.0\.1:\d+ \(model: [\w-]+\)\n$/);
      }
    }
  });

  test("flags can come from OSERVE_* variables; the ready line names the real port", async () => {
    process.env.OSERVE_MODEL_ALIAS = "from-env";
    const server = await startServer(["--model", TINY_CHAT]).finally(() => delete process.env.OSERVE_MODEL_ALIAS);
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(server.url.endsWith(":0"), true);
      const models = await (await fetch(`${server.baseURL}/models`)).json();
      assert.equal(models.data[0].id, "from-env");
      assert.match(server.stderr(), /^oserve: weights: (\S+ \d+ MiB( \(repacked for this CPU\))?(, )?)+$/m, "where the weights went, one line");
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  test("--repack off: llama.cpp keeps the weights as stored (or a warning says this engine cannot)", async () => {
    const server = await startServer(["--model", TINY_CHAT, "--repack", "off"]);
    try {
      const stderr = server.stderr();
      const weights = /^oserve: weights: (.*)$/m.exec(stderr)?.[1] ?? "";
      assert.match(weights, /CPU_Mapped \d+ MiB/);
      if (/oserve build of node-llama-cpp/.test(stderr)) assert.doesNotMatch(weights, /repacked/, stderr);
      else if (/repacked/.test(weights)) assert.match(stderr, /warning: --repack off is not supported by this engine build/);
      const answer = await fetch(`${server.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: "Hello" }], max_tokens: 8, temperature: 0 }),
      });
      assert.equal(answer.status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});

test("bin/oserve.js, the npm bin, runs the same CLI", () => {
  const version = execFileSync(process.execPath, ["bin/oserve.js", "--version"], { cwd: ROOT }).toString().trim();
  assert.equal(version, VERSION);
});
