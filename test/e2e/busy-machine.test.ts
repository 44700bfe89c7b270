// Decoding beside other CPU-bound processes (a build, a test run beside the agent). Decode threads
// wait for each other at every step, so a step goes as slow as whichever of them a busy process
// preempts: there, fewer threads decode faster, and oserve's decodes take the count that did best
// lately (engine/decode-threads.ts), shown per model in /metrics. Between decodes the engine build's
// threads sleep at once (--poll 0) unless --poll asks them to spin first, as llama-server's do.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, setPriority } from "node:os";
import { resolve } from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";
import { needsEngineBuild } from "../helpers/needs-engine-build.ts";
import { metric, RANDOM, startServer, until, waitForIdle, type TestServer } from "../helpers/test-server.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const CORES = availableParallelism();
const skip = (process.platform !== "linux" && "/proc is Linux's") || (CORES < 2 && "one core has no thread count to choose");

/** The engine that loaded, from its startup line. */
function engineBuild(server: TestServer): "persistent-threads" | "prebuilt" | "local-build" {
  const line = /^oserve: engine: (.*)$/m.exec(server.stderr())![1]!;
  return line.startsWith("oserve build") ? "persistent-threads" : line.startsWith("node-llama-cpp prebuilt (") ? "prebuilt" : "local-build";
}

const generate = (server: TestServer, maxTokens: number) =>
  fetch(`${server.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: "Once upon a time", max_tokens: maxTokens, temperature: 0 }),
  }).then((response) => response.json() as Promise<{ usage: { completion_tokens: number } }>);

/**
 * A CPU-bound process at nice 10 in a session of its own, as a build or a test run in another
 * terminal would be: Linux's autogroups share the cores between sessions first, so its nice weighs
 * only within its own session, and the decode threads lose whole time slices to it.
 */
function busyLoop(): ChildProcess {
  const child = spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore", detached: true });
  setPriority(child.pid!, 10);
  return child;
}

/** CPU seconds the process has used (utime + stime in /proc, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe("decode threads on a busy machine", { timeout: 120_000, skip }, () => {
  let server: TestServer;
  const busy: ChildProcess[] = [];
  before(async () => {
    server = await startServer(["--model", RANDOM, "--parallel", "1"], { threads: "default" });
  });
  after(async () => {
    for (const child of busy) child.kill("SIGKILL");
    await server?.stop();
  });

  const decodeThreads = () => metric(server, "oserve_decode_threads");
  /** Decodes until the model's decodes take `threads`: the count follows steps it timed, so it changes only while something decodes. */
  const decodeUntil = (threads: number, what: string) =>
    until(async () => {
      await generate(server, 64);
      return (await decodeThreads()) === threads;
    }, 60_000, what);

  test("beside two busy processes the decodes go to one thread, and back to every core once they stop", async (t) => {
    const threads = Number(/, (\d+) threads?$/m.exec(server.stderr())![1]);
    if (threads < 2) return t.skip(`the engine decodes with ${threads} thread here`);
    assert.equal(await decodeThreads(), threads, "every thread while the machine is free");
    busy.push(busyLoop(), busyLoop());
    await decodeUntil(1, "one decode thread beside two busy loops");
    for (const child of busy.splice(0)) child.kill("SIGKILL");
    await decodeUntil(threads, `${threads} decode threads once the busy loops stopped`);
  });
});

describe("--poll: how long idle decode threads spin before they sleep", { timeout: 60_000, skip }, () => {
  /** CPU seconds the server uses in the 400 ms after a generation ends, and the engine that loaded. */
  async function idleCpuAfterDecode(t: TestContext, flags: string[], command?: string[]): Promise<number | null> {
    // Two threads given: decodes wake the pool's worker whatever else the machine runs (the default would take one thread on a busy machine).
    const server = await startServer(["--model", RANDOM, "--parallel", "1", "--threads", "2", ...flags], { ...(command ? { command } : {}) });
    try {
      if (!needsEngineBuild(t, engineBuild(server))) return null;
      assert.equal((await generate(server, 32)).usage.completion_tokens, 32);
      await waitForIdle(server, 5_000);
      const before = cpuSeconds(server.process.pid!);
      const started = performance.now();
      await until(async () => performance.now() - started >= 400, 5_000, "400 ms");
      return cpuSeconds(server.process.pid!) - before;
    } finally {
      await server.stop();
    }
  }

  test("by default they sleep at once; with --poll 100 a worker spins for a while after each decode", async (t) => {
    const asleep = await idleCpuAfterDecode(t, []);
    if (asleep === null) return;
    const spinning = await idleCpuAfterDecode(t, ["--poll", "100"]);
    assert.ok(spinning !== null && spinning >= 0.15, `--poll 100: ${spinning} s of CPU in the 400 ms after a decode`);
    assert.ok(asleep < spinning / 3, `default: ${asleep} s of CPU in those 400 ms, against ${spinning} s with --poll 100`);
  });

  test("on Bun too, whose process.env never reaches the engine (the addon sets the level)", async (t) => {
    const spinning = await idleCpuAfterDecode(t, ["--poll", "100"], [resolve(ROOT, "node_modules/.bin/bun"), "src/cli.ts"]);
    assert.ok(spinning === null || spinning >= 0.15, `--poll 100 on Bun: ${spinning} s of CPU in the 400 ms after a decode`);
  });
});
