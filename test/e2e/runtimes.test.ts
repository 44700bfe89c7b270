// The same server as users get it: the installed release binary, and the source under Bun and Deno.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer, TINY_CHAT } from "./server.ts";
import { dataChunks, postChat, readFrames } from "./sse.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = resolve(ROOT, "node_modules/.bin");

/** Starts `command`, streams one chat completion, checks its shape, stops it with SIGTERM; returns its stderr. */
async function smoke(command: string[], cwd = ROOT, flags: string[] = []): Promise<string> {
  const server = await startServer(["--model", TINY_CHAT, "--keepalive", "chunk", ...flags], { command, cwd });
  try {
    const frames = await readFrames(await postChat(server.baseURL, { messages: [{ role: "user", content: "Hello" }], temperature: 0, stream: true }));
    const chunks = dataChunks(frames);
    assert.deepEqual(chunks[0].choices[0].delta, { role: "assistant", content: "" }, "the keepalive chunk opens the stream");
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1, "the keepalive chunk shares the stream's id");
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""), "Hello! How can I help you today?");
    assert.equal(frames.at(-1)!.data, "[DONE]");
    // Several streams decoded (and sampled) in one batch answer as one alone does.
    const answers = await Promise.all(
      [0, 1, 2].map(async () => (await (await postChat(server.baseURL, { messages: [{ role: "user", content: "Hello" }], temperature: 0 })).json()).choices[0].message.content),
    );
    assert.deepEqual(answers, Array(3).fill("Hello! How can I help you today?"));
  } finally {
    assert.equal(await server.stop(), 0, `SIGTERM exits with 0; stderr: ${server.stderr()}`);
  }
  return server.stderr();
}

describe("release tarball, installed into a fresh prefix", () => {
  let prefix: string;
  before(() => {
    // No node_modules above the prefix: the binary must find everything in its own keg.
    prefix = mkdtempSync(join(tmpdir(), "oserve-prefix-"));
    execFileSync("npm", ["run", "release"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 });
    const tarball = readdirSync(resolve(ROOT, "dist")).find((name) => name.endsWith(".tar.xz"))!;
    execFileSync("bash", ["scripts/install.sh", "--prefix", prefix, resolve(ROOT, "dist", tarball)], { cwd: ROOT, stdio: "ignore" });
  });
  after(() => rmSync(prefix, { recursive: true, force: true }));

  test("PREFIX/bin/oserve --version prints the package version", () => {
    const version = execFileSync(join(prefix, "bin/oserve"), ["--version"], { cwd: tmpdir() }).toString().trim();
    assert.equal(version, JSON.parse(execFileSync("npm", ["pkg", "get", "version"], { cwd: ROOT }).toString()));
  });

  test("PREFIX/bin/oserve serves a streamed chat completion on the engine built with it (persistent threads), and stops on SIGTERM", async () => {
    const stderr = await smoke([join(prefix, "bin/oserve")], prefix);
    assert.match(stderr, /^oserve: engine: oserve build of node-llama-cpp \(persistent decode threads\), \d+ threads?$/m);
  });

  test("without that build, PREFIX/bin/oserve falls back to node-llama-cpp's prebuilt and says so in one line", async () => {
    const [version] = readdirSync(join(prefix, "lib/oserve"));
    const localBuilds = join(prefix, "lib/oserve", version!, "libexec/node_modules/node-llama-cpp/llama/localBuilds");
    assert.ok(existsSync(localBuilds), `${localBuilds} is where the release keeps the engine build`);
    rmSync(localBuilds, { recursive: true });
    const stderr = await smoke([join(prefix, "bin/oserve")], prefix);
    assert.match(stderr, /^oserve: engine: node-llama-cpp prebuilt \(decode threads restart every token; npm run build:engine builds the faster one\), \d+ threads?$/m);
  });
});

describe("from source on other runtimes", () => {
  test("bun src/cli.ts (Bun.serve)", async () => {
    await smoke([join(BIN, "bun"), "src/cli.ts"]);
  });

  test("deno run src/cli.ts (Node compatibility, @hono/node-server)", async () => {
    // The permissions the README lists: no -A.
    const permissions = ["--allow-read", "--allow-env", "--allow-net", "--allow-ffi", "--allow-sys", "--allow-run"];
    await smoke([join(BIN, "deno"), "run", ...permissions, "--node-modules-dir=manual", "src/cli.ts"]);
  });
});
