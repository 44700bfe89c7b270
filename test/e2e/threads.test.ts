// The default users get: every core decoding (no --threads), on the engine build's persistent
// threadpool (patch 1). node-llama-cpp's prebuilt starts and joins its worker threads on every
// decode; oserve's build keeps them. Thread churn shows in /proc: a thread that lives for one decode
// has an id of its own, so the ids seen during a generation, sampled as fast as the test can, grow
// with the tokens on the prebuilt and not at all on the engine build.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { setImmediate as turn } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { needsEngineBuild } from "../helpers/needs-engine-build.ts";
import { RANDOM, startServer, type TestServer } from "../helpers/test-server.ts";

const TOKENS = 128;

describe("default threads (every core) on the persistent threadpool", { timeout: 60_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(["--model", RANDOM, "--parallel", "1"], { threads: "default" });
  });
  after(() => server?.stop());

  const threadIds = () => readdirSync(`/proc/${server.process.pid}/task`);
  const generate = (maxTokens: number) =>
    fetch(`${server.baseURL}/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "Once upon a time", max_tokens: maxTokens, temperature: 0 }),
    }).then((response) => response.json() as Promise<{ usage: { completion_tokens: number } }>);

  test(`a ${TOKENS}-token generation starts no decode threads (thread ids sampled in /proc)`, { skip: process.platform !== "linux" && "/proc is Linux's" }, async (t) => {
    const line = /^oserve: engine: (.*)$/m.exec(server.stderr())![1]!;
    const build = line.startsWith("oserve build") ? "persistent-threads" : line.startsWith("node-llama-cpp prebuilt (") ? "prebuilt" : "local-build";
    if (!needsEngineBuild(t, build)) return;
    const threads = Number(/, (\d+) threads?$/.exec(line)![1]);
    assert.ok(threads >= Math.min(2, (await import("node:os")).availableParallelism()), `the default is every core: ${line}`);
    await generate(8); // the pool, the HTTP side and libuv's workers start here
    const known = new Set(threadIds());
    const seen = new Set<string>();
    let done = false;
    const answer = generate(TOKENS).finally(() => (done = true));
    while (!done) {
      for (const id of threadIds()) if (!known.has(id)) seen.add(id);
      await turn();
    }
    assert.equal((await answer).usage.completion_tokens, TOKENS);
    // A thread that starts and ends every token on `threads - 1` workers would show here by the dozen.
    assert.ok(seen.size <= 2, `${seen.size} threads started during ${TOKENS} tokens on ${threads} threads (ids ${[...seen].slice(0, 8).join(", ")}…)`);
  });
});
