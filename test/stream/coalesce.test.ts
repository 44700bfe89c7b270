import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, test } from "node:test";
import { coalesce } from "../../src/stream/coalesce.ts";

/** Yields each [delay before it, text]; marks whether it was closed. */
function source(units: [number, string][]) {
  const state = { closed: false };
  async function* run(): AsyncGenerator<string> {
    try {
      for (const [delay, text] of units) {
        if (delay > 0) await sleep(delay);
        yield text;
      }
    } finally {
      state.closed = true;
    }
  }
  return { units: run(), state };
}

/** Every write and when it went out (ms since the start). */
async function writes(units: AsyncIterator<string>, intervalMs: number): Promise<{ text: string; at: number }[]> {
  const start = performance.now();
  const seen: { text: string; at: number }[] = [];
  for await (const text of coalesce(units, intervalMs)) seen.push({ text, at: performance.now() - start });
  return seen;
}

describe("coalesce", () => {
  test("interval 0 writes every unit as it comes", async () => {
    const { units } = source([[0, "open"], [0, "a"], [0, "b"], [5, "c"]]);
    assert.deepEqual((await writes(units, 0)).map((w) => w.text), ["open", "a", "b", "c"]);
  });

  test("the opening and the first unit after it go out at once; the rest of a burst joins one write", async () => {
    const { units } = source([[0, "open"], [0, "a"], [0, "b"], [0, "c"], [0, "d"]]);
    const seen = await writes(units, 200);
    assert.deepEqual(seen.map((w) => w.text), ["open", "a", "bcd"]);
    // The source ended: the held units did not wait for the interval.
    assert.ok(seen.at(-1)!.at < 100, `the last write waited ${seen.at(-1)!.at} ms`);
  });

  test("a fast stream writes at most once an interval, and loses nothing", async () => {
    const input: [number, string][] = [[0, "open"], ...Array.from({ length: 30 }, (_, i): [number, string] => [4, `t${i} `])];
    const { units } = source(input);
    const seen = await writes(units, 40);
    assert.equal(seen.map((w) => w.text).join(""), input.map(([, text]) => text).join(""));
    assert.ok(seen.length < 15, `${seen.length} writes for 31 units`);
    for (let i = 3; i < seen.length - 1; i++) assert.ok(seen[i]!.at - seen[i - 1]!.at >= 35, `writes ${i - 1} and ${i} ${seen[i]!.at - seen[i - 1]!.at} ms apart`);
  });

  test("a held unit goes out when the interval is up, though nothing follows it yet", async () => {
    const { units } = source([[0, "open"], [0, "a"], [5, "b"], [400, "c"]]);
    const seen = await writes(units, 50);
    assert.deepEqual(seen.map((w) => w.text), ["open", "a", "b", "c"]);
    assert.ok(seen[2]!.at < 200, `"b" waited ${seen[2]!.at} ms for "c"`);
  });

  test("a stream slower than the interval is written unit by unit", async () => {
    const { units } = source([[0, "open"], [30, "a"], [30, "b"], [30, "c"]]);
    assert.deepEqual((await writes(units, 10)).map((w) => w.text), ["open", "a", "b", "c"]);
  });

  test("a consumer that leaves early closes the source, also with a unit held", async () => {
    for (const leaveAfter of [1, 3]) {
      const { units, state } = source([[0, "open"], [0, "a"], [0, "b"], [0, "c"], [100, "d"], [100, "e"]]);
      let taken = 0;
      for await (const _ of coalesce(units, 20)) if (++taken === leaveAfter) break;
      assert.ok(state.closed, `closed after ${leaveAfter} writes`);
    }
  });
});
