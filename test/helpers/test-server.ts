// Starts the real oserve CLI on a free loopback port and always stops it.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { createInterface } from "node:readline";

const ROOT = resolve(import.meta.dirname, "../..");

/** Folder of the test models; OSERVE_TEST_MODELS points tests at other copies. */
export const MODELS_DIR = resolve(ROOT, process.env.OSERVE_TEST_MODELS ?? "../shared/models");
export const TINY_CHAT = resolve(MODELS_DIR, "oserve-tiny-chat.gguf");
export const TINY_THINK = resolve(MODELS_DIR, "oserve-tiny-think.gguf");
export const TINY_CODER = resolve(MODELS_DIR, "oserve-tiny-coder.gguf");
export const TINY_HARMONY = resolve(MODELS_DIR, "oserve-tiny-harmony.gguf");
export const RANDOM = resolve(MODELS_DIR, "oserve-random-qwen2.gguf");

export interface TestServer {
  url: string;
  /** The OpenAI base URL: `${url}/v1`. */
  baseURL: string;
  process: ChildProcess;
  stderr: () => string;
  /** Everything it wrote to stdout so far: the ready line, and nothing else. */
  stdout: () => string;
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Runs `oserve --port 0 --host 127.0.0.1 …flags` as `npm start` does (scripts/start.mjs: the sources,
 * bundled when they change); resolves once the ready line names the URL. One
 * decode thread unless the flags name their own, or `threads: "default"` leaves oserve's default
 * (every core with the engine build): tests share this machine's cores.
 */
export async function startServer(
  flags: string[],
  {
    timeoutMs = 60_000,
    command = [process.execPath, resolve(ROOT, "scripts/start.mjs")],
    cwd = ROOT,
    threads: threadCount = 1 as number | "default",
    // A command that starts oserve as its child (npm start): signals go to the whole process group.
    group = false,
  } = {},
): Promise<TestServer> {
  const [bin, ...pre] = command as [string, ...string[]];
  const threads = flags.includes("--threads") || threadCount === "default" ? [] : ["--threads", String(threadCount)];
  const child = spawn(bin, [...pre, "--host", "127.0.0.1", "--port", "0", ...threads, ...flags], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    detached: group,
  });
  running.add(child);
  const signal = (name: NodeJS.Signals) => (group ? process.kill(-child.pid!, name) : child.kill(name));
  let stderr = "";
  child.stderr!.on("data", (data) => (stderr += data));
  const lines = createInterface({ input: child.stdout! });
  // Kept for the error: a ready line that never matched says more than a timeout alone.
  let stdout = "";
  lines.on("line", (line) => (stdout += `${line}\n`));
  const exited = once(child, "exit").then(([code]) => {
    running.delete(child);
    return code as number | null;
  });
  const ready = new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`oserve did not get ready in ${timeoutMs} ms:\n${stderr}\nstdout:\n${stdout}`)), timeoutMs);
    let first = true;
    lines.on("line", (line) => {
      const match = /^oserve listening on (http:\/\/\S+) \(model: .+\)$/.exec(line);
      // The ready line is stdout's first: a script that waits for it must never find it behind other output.
      if (first && !match) reject(new Error(`oserve wrote to stdout before its ready line: ${JSON.stringify(line)}\n${stderr}`));
      first = false;
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`oserve exited with ${code} before it was ready:\n${stderr}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) signal("SIGTERM");
    const timer = setTimeout(() => signal("SIGKILL"), 10_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  try {
    const url = await ready;
    return { url, baseURL: `${url}/v1`, process: child, stderr: () => stderr, stdout: () => stdout, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Starts a server for each list of flags, all at once; if any fails, stops the others and fails with its error. */
export async function startServers(...flagLists: string[][]): Promise<TestServer[]> {
  const started = await Promise.allSettled(flagLists.map((flags) => startServer(flags)));
  const failed = started.find((result) => result.status === "rejected");
  const servers = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  if (failed) {
    await Promise.all(servers.map((server) => server.stop()));
    throw failed.reason;
  }
  return servers;
}

/** A loopback port nothing listens on (for a process that must be given its port). */
export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export interface Health {
  status: string;
  model: string;
  slots_total: number;
  slots_in_use: number;
  queued: number;
}

export async function health(server: TestServer): Promise<Health> {
  return (await fetch(`${server.url}/health`)).json();
}

/** Polls `check` until it holds; fails naming `what` after `withinMs`. Resolves with the wait in ms. */
export async function until(check: () => Promise<boolean>, withinMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < withinMs) {
    if (await check()) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${what} did not happen within ${withinMs} ms`);
}

/** Waits until no slot is in use and nothing is queued. */
export function waitForIdle(server: TestServer, withinMs: number): Promise<number> {
  return until(async () => {
    const { slots_in_use, queued } = await health(server);
    return slots_in_use === 0 && queued === 0;
  }, withinMs, "all slots free and the queue empty");
}

/** Resolves once `pending` (a fetch, or the reading of its body) has failed with the AbortError of its own signal, and fails on anything else. */
export async function expectAborted(pending: Promise<unknown>): Promise<void> {
  await assert.rejects(pending, (error: Error) => error.name === "AbortError");
}

/** The sum of a counter's or gauge's series that carry these labels, read from /metrics. */
export async function metric(server: TestServer, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let total = 0;
  for (const [, series, value] of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, "gm"))) {
    if (Object.entries(labels).every(([key, want]) => (series ?? "").includes(`${key}="${want}"`))) total += Number(value);
  }
  return total;
}

export interface HeldSlot {
  /** Drops the holding stream; resolves once its slot is free again. */
  release(): Promise<void>;
  /** When the holding stream ended (performance.now()), by its release. */
  ended: Promise<number>;
}

/**
 * Takes a slot with a stream far longer than any test waits for; resolves once the server counts
 * `inUse` slots taken. Release it when the test has seen what it waits for: never waited out.
 */
export async function holdSlot(server: TestServer, { inUse = 1, model }: { inUse?: number; model?: string } = {}): Promise<HeldSlot> {
  const abort = new AbortController();
  const response = fetch(`${server.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...(model ? { model } : {}), messages: [{ role: "user", content: "Tell me a long story." }], stream: true, temperature: 0, max_tokens: 100_000 }),
    signal: abort.signal,
  });
  const dropped = expectAborted(drain(response));
  const ended = dropped.then(() => performance.now());
  await until(async () => (await health(server)).slots_in_use >= inUse, 10_000, `${inUse} slot(s) taken`);
  let released: Promise<void> | undefined;
  const release = () =>
    (released ??= (async () => {
      abort.abort();
      await dropped;
      await until(async () => (await health(server)).slots_in_use < inUse, 10_000, "the held slot free");
    })());
  return { release, ended };
}

/** Reads a chat stream until its first content delta; fails if the stream ends first. The rest is left unread. */
export async function untilFirstContent(response: Response): Promise<void> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/"content":"[^"]/.test(seen)) {
    const { done, value } = await reader.read();
    if (done) assert.fail(`the stream ended before any content: ${seen}`);
    seen += value;
  }
}

/** Reads a response's body to its end; rejects as the body does (an abort, say). */
export async function drain(response: Promise<Response>): Promise<void> {
  const reader = (await response).body!.getReader();
  while (!(await reader.read()).done);
}

export interface CliRun {
  /** The exit code; a CLI killed by a signal fails the run instead (see runCli). */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the oserve CLI to its end (`node scripts/start.mjs ARGS`, as npm start does). A CLI
 * still running after `timeoutMs` is killed and the run rejects: a hang must never pass for the
 * non-zero exit a test may expect.
 */
export async function runCli(args: string[], { env = {}, timeoutMs = 60_000, cwd = ROOT }: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [resolve(ROOT, "scripts/start.mjs"), ...args], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (data) => (stdout += data));
  child.stderr!.on("data", (data) => (stderr += data));
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  running.delete(child);
  if (hung) throw new Error(`oserve ${args.join(" ")} still ran after ${timeoutMs} ms:\n${stderr}`);
  if (code === null) throw new Error(`oserve ${args.join(" ")} was killed by ${signal}:\n${stderr}`);
  return { code, stdout, stderr };
}
