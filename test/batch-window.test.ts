import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BatchWindow, shouldDispatch } from "../src/engine/batch-window.ts";

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("shouldDispatch", () => {
  test("decodes once every generating stream has queued", () => {
    assert.equal(shouldDispatch(3, 3), true);
    assert.equal(shouldDispatch(2, 3), false);
    assert.equal(shouldDispatch(1, 0), true, "a decode no stream counts (an embedding, a LlamaChat turn) never waits");
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
    window.begin();
    window.begin();
    let dispatched = 0;
    window.schedule(() => dispatched++);
    await turn();
    assert.equal(dispatched, 0, "nothing polls meanwhile");
    queued = 2;
    window.asked();
    window.asked();
    await turn();
    assert.equal(dispatched, 1);
  });

  test("a stream that ends no longer counts, however often it says so", async () => {
    const window = new BatchWindow(() => 1);
    window.begin();
    const ended = window.begin();
    let dispatched = 0;
    window.schedule(() => dispatched++);
    ended();
    ended();
    await turn();
    assert.equal(dispatched, 1);
  });

  test("gives up on a straggler after maxWaitMs", async () => {
    const window = new BatchWindow(() => 1, 5);
    window.begin();
    window.begin();
    let dispatched = 0;
    window.schedule(() => dispatched++);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(dispatched, 1);
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
