import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { QueueFullError } from "../../src/engine/errors.ts";
import { reuseScore, sharedPrefix } from "../../src/engine/prompt-reuse.ts";
import { SlotPool } from "../../src/engine/slots.ts";

import type { Token } from "node-llama-cpp";

const never = new AbortController().signal;
const tokens = (...ids: number[]) => ids as unknown as Token[];

describe("SlotPool", () => {
  test("takes the best-scoring free slot, the least recently used among equals", async () => {
    const pool = new SlotPool(["a", "b", "c"], 0);
    assert.equal(await pool.acquire(never, (slot) => (slot === "b" ? 5 : 0)), "b");
    assert.equal(await pool.acquire(never), "a");
    pool.release("a");
    assert.equal(await pool.acquire(never), "c", "c was used less recently than a");
  });

  test("among equals, a slot next to the ones in use, so that their tokens decode in one pass", async () => {
    const pool = new SlotPool(["s0", "s1", "s2", "s3"], 0);
    assert.equal(await pool.acquire(never), "s0");
    assert.equal(await pool.acquire(never), "s1");
    assert.equal(await pool.acquire(never), "s2");
    pool.release("s0");
    pool.release("s1");
    // Free, least recently used first: s3, s0, s1. s3 and s1 both join s2; s3 was used less recently.
    assert.equal(await pool.acquire(never), "s3");
    pool.release("s2");
    // In use: s3. Free: s0, s1, s2; only s2 keeps one run.
    assert.equal(await pool.acquire(never), "s2");
    // A held prefix still comes first.
    assert.equal(await pool.acquire(never, (slot) => (slot === "s0" ? 1 : 0)), "s0");
  });

  test("waiters are served in order; one that aborts leaves the queue", async () => {
    const pool = new SlotPool(["only"], 2);
    await pool.acquire(never);
    const leaving = new AbortController();
    const first = pool.acquire(leaving.signal);
    const second = pool.acquire(never);
    assert.equal(pool.waiting, 2);
    assert.throws(() => pool.checkCapacity(), QueueFullError);
    leaving.abort();
    assert.equal(await first, null);
    assert.equal(pool.waiting, 1);
    pool.release("only");
    assert.equal(await second, "only");
    assert.equal(pool.inUse, 1);
  });
});

describe("prompt reuse", () => {
  test("shared prefix counts equal leading tokens", () => {
    assert.equal(sharedPrefix(tokens(1, 2, 3, 9), tokens(1, 2, 3, 4, 5)), 3);
    assert.equal(sharedPrefix(tokens(), tokens(1)), 0);
  });

  test("a sequence scores only when it holds at least half of the prompt", () => {
    assert.equal(reuseScore(tokens(1, 2, 3, 4), tokens(1, 2, 3, 4, 5, 6)), 4);
    assert.equal(reuseScore(tokens(1, 9), tokens(1, 2, 3, 4, 5, 6)), 0);
  });
});
