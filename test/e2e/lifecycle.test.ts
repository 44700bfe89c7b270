// Keepalive timing, queueing and disconnects: the random-weight model, asserting on shapes only.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { expectAborted, health, RANDOM, startServer, until, waitForIdle, type TestServer } from "./server.ts";
import { postChat, readFrames, type RawFrame } from "./sse.ts";

const PROMPT = [{ role: "user", content: "Tell me a long story." }];

/** Reads a stream until its first content delta, then drops the connection. */
async function streamThenDisconnect(server: TestServer): Promise<void> {
  const abort = new AbortController();
  const response = await postChat(server.baseURL, { messages: PROMPT, stream: true, temperature: 0 }, abort.signal);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes('"content":"') || !/"content":"[^"]/.test(seen)) seen += (await reader.read()).value ?? "";
  abort.abort();
}

const isContent = (f: RawFrame) => f.data !== null && f.data !== "[DONE]" && (JSON.parse(f.data).choices[0]?.delta?.content ?? "") !== "";

describe("one slot, keepalive every 50 ms", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(["--model", RANDOM, "--parallel", "1", "--keepalive-interval", "0.05"]);
  });
  after(() => server?.stop());

  test("a request waiting for its turn gets periodic keepalive chunks with its own id before its first token", async () => {
    // The first request holds the only slot for a while; the second waits, kept alive.
    const first = postChat(server.baseURL, { messages: PROMPT, stream: true, temperature: 0, max_tokens: 600 }).then((r) => readFrames(r));
    await sleep(50);
    const second = await readFrames(await postChat(server.baseURL, { messages: PROMPT, stream: true, temperature: 0, max_tokens: 4 }));
    const firstContent = second.findIndex(isContent);
    const before = second.slice(0, firstContent);
    assert.ok(before.length >= 3, `several keepalives before the first token, got ${before.length}`);
    const id = JSON.parse(second[0]!.data!).id;
    for (const frame of before) {
      const chunk = JSON.parse(frame.data!);
      assert.equal(chunk.id, id);
      assert.deepEqual(chunk.choices[0].delta, { role: "assistant", content: "" });
    }
    assert.ok(second[0]!.at < 500, "the first keepalive goes out at once");
    const gaps = before.slice(1).map((f, i) => f.at - before[i]!.at);
    assert.ok(gaps.every((gap) => gap >= 30), `keepalives are spaced by the interval: ${gaps.map(Math.round)}`);
    const firstId = JSON.parse((await first)[0]!.data!).id;
    assert.notEqual(firstId, id, "each stream has its own id");
  });

  test("a client that disconnects mid-stream frees its slot at once, and the next request runs promptly", async () => {
    await waitForIdle(server, 10_000);
    // Unbounded max_tokens: without the abort this generation would fill the 4096-token context.
    await streamThenDisconnect(server);
    const freedAfter = await waitForIdle(server, 1000);
    const started = performance.now();
    const response = await postChat(server.baseURL, { messages: PROMPT, temperature: 0, max_tokens: 8 });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).usage.completion_tokens, 8);
    const tookMs = performance.now() - started;
    assert.ok(tookMs < 1500, `the next request completed in ${Math.round(tookMs)} ms (slot freed in ${Math.round(freedAfter)} ms)`);
  });

  test("a non-streamed request whose client leaves stops as well", async () => {
    const abort = new AbortController();
    const pending = expectAborted(postChat(server.baseURL, { messages: PROMPT, temperature: 0 }, abort.signal));
    await sleep(200);
    assert.equal((await health(server)).slots_in_use, 1);
    abort.abort();
    await pending;
    await waitForIdle(server, 1000);
    assert.doesNotMatch(server.stderr(), /failed/, "a client that leaves is not a server failure");
  });

  test("max_tokens on a model that never stops ends with finish_reason length and exact usage", async () => {
    const frames = await readFrames(await postChat(server.baseURL, { messages: PROMPT, stream: true, temperature: 0, max_tokens: 64, stream_options: { include_usage: true } }));
    const chunks = frames.filter((f) => f.data && f.data !== "[DONE]").map((f) => JSON.parse(f.data!));
    assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0].finish_reason).join(), "length");
    assert.equal(chunks.at(-1).usage.completion_tokens, 64);
  });
});

describe("keepalive during a long prefill", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(["--model", RANDOM, "--keepalive-interval", "0.01"]);
  });
  after(() => server?.stop());

  test("a prompt of thousands of tokens gets keepalive chunks with the stream's id before its first token", async () => {
    const started = performance.now();
    const frames = await readFrames(
      await postChat(server.baseURL, { messages: [{ role: "user", content: "word ".repeat(3500) }], stream: true, temperature: 0, max_tokens: 2 }),
      started,
    );
    const firstContent = frames.findIndex(isContent);
    const before = frames.slice(0, firstContent);
    assert.ok(before.length >= 3, `keepalives before the first token: ${before.length} in ${Math.round(frames[firstContent]!.at)} ms`);
    const id = JSON.parse(frames[0]!.data!).id;
    for (const frame of frames.filter((f) => f.data && f.data !== "[DONE]")) assert.equal(JSON.parse(frame.data!).id, id);
  });
});

describe("comment keepalive while waiting", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(["--model", RANDOM, "--parallel", "1", "--keepalive", "comment", "--keepalive-interval", "0.05", "--ctx-size", "128"]);
  });
  after(() => server?.stop());

  test("comment lines flow before the first token, then the first chunk carries role assistant", async () => {
    const first = postChat(server.baseURL, { messages: PROMPT, stream: true, temperature: 0, max_tokens: 600 }).then((r) => readFrames(r));
    await sleep(50);
    const frames = await readFrames(await postChat(server.baseURL, { messages: PROMPT, stream: true, temperature: 0, max_tokens: 4 }));
    await first;
    const firstData = frames.findIndex((f) => f.data !== null);
    assert.ok(firstData >= 3, `comments before the first chunk: ${firstData}`);
    assert.ok(frames.slice(0, firstData).every((f) => f.comment === "keep-alive"));
    assert.equal(JSON.parse(frames[firstData]!.data!).choices[0].delta.role, "assistant");
  });

  test("without max_tokens, generation stops at the context's end with finish_reason length, never shifting it", async () => {
    const response = await postChat(server.baseURL, { messages: PROMPT, temperature: 0 });
    const body = await response.json();
    assert.equal(body.choices[0].finish_reason, "length");
    // The context holds 128 tokens a request (llama.cpp may round it up to a multiple of 256).
    assert.ok(body.usage.total_tokens >= 128 && body.usage.total_tokens <= 256, JSON.stringify(body.usage));
  });
});

describe("shutdown", () => {
  test("SIGTERM mid-stream ends each stream with an error frame and [DONE], a waiting answer with 503, and exits 0", async () => {
    const server = await startServer(["--model", RANDOM, "--parallel", "2"]);
    const stream = postChat(server.baseURL, { messages: PROMPT, stream: true, temperature: 0 }).then((r) => readFrames(r));
    const whole = postChat(server.baseURL, { messages: PROMPT, temperature: 0 });
    await until(async () => (await health(server)).slots_in_use === 2, 5000, "both requests running");
    assert.equal(await server.stop(), 0);
    const frames = await stream;
    assert.equal(frames.at(-1)!.data, "[DONE]");
    assert.match(JSON.parse(frames.at(-2)!.data!).error.message, /shutting down/);
    const response = await whole;
    assert.equal(response.status, 503);
    assert.equal((await response.json()).error.code, "shutting_down");
  });
});
