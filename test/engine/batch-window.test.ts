import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BatchWindow, decide } from "../../src/engine/batch-window.ts";

const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("decide", () => {
  test("decodes once every generating stream has queued", () => {
    assert.equal(decide(3, 3, 0), "dispatch");
    assert.equal(decide(1, 0, 0), "dispatch", "a decode no stream counts (an embedding, a LlamaChat turn) never waits");
  });

  test("waits for streams in the running decode without a deadline, for others with one", () => {
    assert.equal(decide(1, 4, 3), "wait-for-decode");
    assert.equal(decide(3, 4, 0), "wait-with-deadline");
  });
});

describe("BatchWindow", () => {
  test("one stream: decodes at once", () => {
    const window = new BatchWindow(() => 1);
    window.begin();
    let dispatched = 0;
    window.schedule(() => dispatched++);
    assert.equal(dispatched, 1);
  });

  test("waits for the straggler to ask, then decodes once", async () => {
    let queued = 1;
    const window = new BatchWindow(() => queued);
    const [a, b] = [window.begin(), window.begin()];
    let dispatched = 0;
    window.schedule(() => dispatched++);
    await turn();
    assert.equal(dispatched, 0, "nothing polls meanwhile");
    queued = 2;
    a.asked();
    b.asked();
    await turn();
    assert.equal(dispatched, 1);
  });

  test("a stream that ends no longer counts, however often it says so", async () => {
    const window = new BatchWindow(() => 1);
    window.begin();
    const ended = window.begin();
    let dispatched = 0;
    window.schedule(() => dispatched++);
    ended.end();
    ended.end();
    await turn();
    assert.equal(dispatched, 1);
  });

  test("streams that asked before the decode was scheduled are counted once their tokens are queued", async () => {
    let queued = 0;
    const window = new BatchWindow(() => queued, 1000, 1000);
    const streams = [window.begin(), window.begin(), window.begin()];
    // One decode sampled all three: each asks, then queues its token in the same turn.
    for (const stream of streams) stream.asked();
    queued = 1;
    let dispatched = 0;
    window.schedule(() => dispatched++);
    queued = 3;
    assert.equal(dispatched, 0);
    await turn();
    assert.equal(dispatched, 1, "on the next turn, not after maxWaitMs");
  });

  test("gives up after maxWaitMs on a stream that is neither queued nor decoding", async () => {
    const window = new BatchWindow(() => 1, 5);
    window.begin();
    window.begin();
    let dispatched = 0;
    window.schedule(() => dispatched++);
    await sleep(20);
    assert.equal(dispatched, 1);
  });

  test("a stream queued during a decode waits for the streams in it, not maxWaitMs", async () => {
    let queued = 3;
    const window = new BatchWindow(() => queued, 5, 1000);
    const streams = [window.begin(), window.begin(), window.begin(), window.begin()];
    for (const stream of streams.slice(0, 3)) stream.asked();
    let dispatched = 0;
    window.schedule(() => dispatched++);
    await turn();
    assert.equal(dispatched, 0, "the fourth is still working");
    await sleep(10);
    assert.equal(dispatched, 1, "gave up on the fourth after 5 ms: three go into a decode");
    // The decode of the three runs; the fourth queues meanwhile.
    queued = 1;
    streams[3]!.asked();
    window.schedule(() => dispatched++);
    await sleep(20);
    assert.equal(dispatched, 1, "the fourth waits for the three to come back");
    queued = 4;
    for (const stream of streams.slice(0, 3)) stream.asked();
    await turn();
    assert.equal(dispatched, 2, "all four in one decode");
  });

  test("even waiting for a decode, never longer than safetyMs", async () => {
    const window = new BatchWindow(() => 1, 5, 30);
    const [a, b] = [window.begin(), window.begin()];
    a.asked();
    let dispatched = 0;
    window.schedule(() => dispatched++);
    await sleep(15);
    assert.equal(dispatched, 1);
    b.asked();
    window.schedule(() => dispatched++);
    await sleep(15);
    assert.equal(dispatched, 1, "a is in the decode: b waits for it");
    await sleep(40);
    assert.equal(dispatched, 2, "but not past safetyMs");
  });

  test("without node-llama-cpp's queue size, decodes on the next turn as node-llama-cpp would", async () => {
    const window = new BatchWindow(() => null);
    window.begin();
    window.begin();
    let dispatched = 0;
    window.schedule(() => dispatched++);
    assert.equal(dispatched, 0);
    await turn();
    assert.equal(dispatched, 1);
  });
});
