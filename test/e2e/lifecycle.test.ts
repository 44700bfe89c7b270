// Keepalive timing, queueing and disconnects: the random-weight model, asserting on shapes only.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { expectAborted, health, holdSlot, RANDOM, startServers, until, untilFirstContent, waitForIdle, type TestServer } from "../helpers/test-server.ts";
import { dataChunks, keepaliveHeaders, postChat, postJson, type RawFrame, readFrames } from "../helpers/sse-frames.ts";

const PROMPT = [{ role: "user", content: "Tell me a long story." }];

/** Reads a stream until its first content delta, then drops the connection. */
async function streamThenDisconnect(server: TestServer): Promise<void> {
  const abort = new AbortController();
  await untilFirstContent(await postChat(server.baseURL, { messages: PROMPT, stream: true, temperature: 0 }, abort.signal));
  abort.abort();
}

const isContent = (f: RawFrame) => f.data !== null && f.data !== "[DONE]" && (JSON.parse(f.data).choices[0]?.delta?.content ?? "") !== "";

// The servers of this file, started together: one slot with a keepalive every 50 ms, a 128-token
// window in comment mode, and one to shut down mid-stream.
let server: TestServer;
let smallWindow: TestServer;
let stopping: TestServer;
before(async () => {
  [server, smallWindow, stopping] = (await startServers(
    ["--model", RANDOM, "--parallel", "1", "--keepalive-interval", "0.05"],
    ["--model", RANDOM, "--parallel", "1", "--ctx-size", "128", "--keepalive", "comment"],
    ["--model", RANDOM, "--parallel", "4"],
  )) as [TestServer, TestServer, TestServer];
});
after(() => Promise.all([server, smallWindow, stopping].map((s) => s?.stop())));

describe("one slot, keepalive every 50 ms", () => {
  test("a request waiting for its turn gets periodic keepalive chunks with its own id before its first token", async () => {
    // A stream holds the only slot; the second request waits, kept alive, until it has had 4 frames.
    const held = await holdSlot(server);
    const second = await readFrames(await postChat(server.baseURL, { messages: PROMPT, stream: true, temperature: 0, max_tokens: 4 }), 0, (frames) => {
      if (frames.length === 4) void held.release();
    }).finally(held.release);
    const firstContent = second.findIndex(isContent);
    const before = second.slice(0, firstContent);
    assert.ok(before.length >= 3, `several keepalives before the first token, got ${before.length}`);
    const id = JSON.parse(second[0]!.data!).id;
    for (const frame of before) {
      const chunk = JSON.parse(frame.data!);
      assert.equal(chunk.id, id);
      assert.deepEqual(chunk.choices[0].delta, { role: "assistant", content: "" });
    }
    assert.ok(second[0]!.at < (await held.ended), "the first keepalive goes out while the request waits");
    // One per interval, not a flood: a client reading late can only see fewer.
    const waited = before.at(-1)!.at - before[0]!.at;
    assert.ok(before.length <= waited / 50 + 2, `${before.length} keepalives in ${Math.round(waited)} ms at a 50 ms interval`);
  });

  test("a client that disconnects mid-stream frees its slot at once, and the next request runs", async () => {
    await waitForIdle(server, 20_000);
    // Unbounded max_tokens: without the abort this generation would run to the end of the window (thousands of tokens, many seconds).
    await streamThenDisconnect(server);
    await waitForIdle(server, 3000);
    const response = await postChat(server.baseURL, { messages: PROMPT, temperature: 0, max_tokens: 8 });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).usage.completion_tokens, 8);
  });

  test("a non-streamed request whose client leaves stops as well", async () => {
    await waitForIdle(server, 20_000);
    const abort = new AbortController();
    const pending = expectAborted(postChat(server.baseURL, { messages: PROMPT, temperature: 0 }, abort.signal));
    await until(async () => (await health(server)).slots_in_use === 1, 10_000, "the request generating");
    abort.abort();
    await pending;
    await waitForIdle(server, 3000);
    assert.doesNotMatch(server.stderr(), /failed/, "a client that leaves is not a server failure");
  });

  test("max_tokens on a model that never stops ends with finish_reason length and exact usage", async () => {
    const frames = await readFrames(await postChat(server.baseURL, { messages: PROMPT, stream: true, temperature: 0, max_tokens: 64, stream_options: { include_usage: true } }));
    const chunks = dataChunks(frames);
    assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0].finish_reason).join(), "length");
    assert.equal(chunks.at(-1).usage.completion_tokens, 64);
  });
});

describe("keepalive during a long prefill", () => {
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
    for (const chunk of dataChunks(frames)) assert.equal(chunk.id, id);
  });
});

describe("comment keepalive while waiting", () => {
  test("comment lines flow before the first token, then the first chunk carries role assistant", async () => {
    const held = await holdSlot(server);
    const frames = await readFrames(await postChat(server.baseURL, { messages: PROMPT, stream: true, temperature: 0, max_tokens: 4 }, undefined, keepaliveHeaders("comment")), undefined, (frames) => {
      if (frames.length === 4) void held.release();
    }).finally(held.release);
    const firstData = frames.findIndex((f) => f.data !== null);
    assert.ok(firstData >= 3, `comments before the first chunk: ${firstData}`);
    assert.ok(frames.slice(0, firstData).every((f) => f.comment === "keep-alive"));
    assert.equal(JSON.parse(frames[firstData]!.data!).choices[0].delta.role, "assistant");
  });

  test("--keepalive comment (the flag, not the header): a stream opens with the comment line", async () => {
    const frames = await readFrames(await postChat(smallWindow.baseURL, { messages: PROMPT, stream: true, temperature: 0, max_tokens: 2 }));
    assert.equal(frames[0]!.comment, "keep-alive");
    assert.equal(frames.at(-1)!.data, "[DONE]");
  });

  test("without max_tokens, generation stops at the context's end with finish_reason length, never shifting it", async () => {
    const response = await postChat(smallWindow.baseURL, { messages: PROMPT, temperature: 0 });
    const body = await response.json();
    assert.equal(body.choices[0].finish_reason, "length");
    // The context holds 128 tokens a request (llama.cpp may round it up to a multiple of 256).
    assert.ok(body.usage.total_tokens >= 128 && body.usage.total_tokens <= 256, JSON.stringify(body.usage));
  });
});

describe("shutdown", () => {
  test("SIGTERM mid-stream ends each stream in its protocol's error form ([DONE], response.failed, Messages' error event), a waiting answer with 503, and exits 0", async () => {
    const server = stopping;
    const long = { temperature: 0, stream: true };
    const chat = postChat(server.baseURL, { messages: PROMPT, ...long }).then((r) => readFrames(r));
    const responses = postJson(`${server.baseURL}/responses`, { input: "Tell me a long story.", ...long }).then((r) => readFrames(r));
    const messages = postJson(`${server.baseURL}/messages`, { model: "x", max_tokens: 100_000, messages: PROMPT, ...long }).then((r) => readFrames(r));
    const whole = postChat(server.baseURL, { messages: PROMPT, temperature: 0 });
    await until(async () => (await health(server)).slots_in_use === 4, 10_000, "all four requests running");
    assert.equal(await server.stop(), 0);
    const chatFrames = await chat;
    assert.equal(chatFrames.at(-1)!.data, "[DONE]");
    assert.match(JSON.parse(chatFrames.at(-2)!.data!).error.message, /shutting down/);
    const responseFrames = await responses;
    assert.equal(responseFrames.at(-1)!.event, "response.failed");
    assert.match(JSON.parse(responseFrames.at(-1)!.data!).response.error.message, /shutting down/);
    const messageFrames = await messages;
    assert.equal(messageFrames.at(-1)!.event, "error");
    assert.deepEqual(Object.keys(JSON.parse(messageFrames.at(-1)!.data!).error), ["type", "message"]);
    assert.match(JSON.parse(messageFrames.at(-1)!.data!).error.message, /shutting down/);
    const response = await whole;
    assert.equal(response.status, 503);
    assert.equal((await response.json()).error.code, "shutting_down");
  });
});
