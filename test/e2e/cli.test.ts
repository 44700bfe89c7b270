// The CLI as a script sees it: exit codes, one-line errors, the ready line.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { FLAGS } from "../../src/config.ts";
import { VERSION } from "../../src/version.ts";
import { runCli, startServer, TINY_CHAT, until } from "./server.ts";

const ROOT = resolve(import.meta.dirname, "../..");

const oserve = (args: string[], env: Record<string, string> = {}) => runCli(args, { env, timeoutMs: 30_000 });

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

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

  test("SIGTERM as soon as the server answers (the model may still be loading) exits 0", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "--model", TINY_CHAT, "--port", String(port)], { cwd: ROOT, stdio: "ignore" });
    const exited = once(child, "exit");
    try {
      await until(() => fetch(`http://127.0.0.1:${port}/health`).then(() => true, () => false), 30_000, "the server answering");
      child.kill("SIGTERM");
      assert.equal((await exited)[0], 0);
    } finally {
      child.kill("SIGKILL");
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
