import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DecodeThreads, ThreadTrial } from "../../src/engine/decode-threads.ts";

/** Runs `steps` steps whose time each thread count gives, and returns the threads each step ran with. */
function run(trial: ThreadTrial, steps: number, msFor: (threads: number) => number): number[] {
  const used: number[] = [];
  let threads = 2;
  for (let i = 0; i < steps; i++) {
    used.push(threads);
    threads = trial.step(msFor(threads));
  }
  return used;
}

describe("decode threads chosen by measuring them", () => {
  test("alone, where more threads are faster, the most stay: a trial of one now and then changes nothing", () => {
    const used = run(new ThreadTrial(2), 2000, (threads) => (threads === 2 ? 1.2 : 2.2));
    assert.ok(used.filter((threads) => threads === 2).length > 0.85 * used.length, "most steps with every core");
  });

  test("beside busy processes, where one thread is faster, one takes over after a trial, and the most get theirs back once the cores are free", () => {
    const trial = new ThreadTrial(2);
    const share = (used: number[], threads: number) => used.filter((count) => count === threads).length / used.length;
    const busy = run(trial, 1000, (threads) => (threads === 2 ? 12 : 2.5));
    assert.ok(share(busy.slice(-500), 1) > 0.85, "most of the later steps with one thread");
    // Trials lost in a row space the next out (up to 8 s of decoding): the way back takes a few seconds.
    const free = run(trial, 5000, (threads) => (threads === 2 ? 1.2 : 2.2));
    assert.ok(share(free.slice(-1000), 2) > 0.85, "every core again once they are free");
  });

  test("a trial clearly slower ends after a few steps, and each lost trial spaces the next further out", () => {
    const used = run(new ThreadTrial(2), 4000, (threads) => (threads === 2 ? 1 : 10));
    const trials = used.filter((threads, i) => threads === 1 && used[i - 1] === 2).length;
    assert.ok(trials <= 5, `${trials} trials in 4000 steps`);
    assert.ok(used.filter((threads) => threads === 1).length <= trials * 8, "each ended within its first steps");
  });

  test("gaps longer than a step (idleness, a new request) are not counted", () => {
    const trial = new ThreadTrial(2);
    const used = run(trial, 1000, (threads) => (threads === 2 ? 1000 : 900));
    assert.ok(used.filter((threads) => threads === 2).length > 0.85 * used.length, "no timed step: the most threads stay");
  });

  test("a context's threads: each decode timed by the clock, and the context told only where the count changes", () => {
    let clock = 0;
    const told: number[] = [];
    const threads = new DecodeThreads(2, (count) => told.push(count), { now: () => clock });
    // Beside busy processes: a step with two threads takes 12 ms, with one 2.5 ms.
    for (let i = 0; i < 400; i++) {
      threads.beforeDecode();
      clock += threads.current === 2 ? 12 : 2.5;
    }
    assert.equal(threads.current, 1);
    assert.deepEqual(told.slice(0, 2), [1, 2], "one thread from its first trial on, then a trial of two now and then");
    assert.ok(told.every((count, i) => i === 0 || count !== told[i - 1]), `told only of changes: ${told.join(", ")}`);
  });

  test("one thread at most: nothing to choose, and the context is never told", () => {
    const told: number[] = [];
    const threads = new DecodeThreads(1, (count) => told.push(count), { now: () => 0 });
    for (let i = 0; i < 100; i++) threads.beforeDecode();
    assert.equal(threads.current, 1);
    assert.deepEqual(told, []);
  });

  test("a count the user gave (--threads) stays, however the steps go", () => {
    let clock = 0;
    const told: number[] = [];
    const threads = new DecodeThreads(2, (count) => told.push(count), { measured: false, now: () => clock });
    for (let i = 0; i < 400; i++) {
      threads.beforeDecode();
      clock += 12;
    }
    assert.equal(threads.current, 2);
    assert.deepEqual(told, []);
  });
});
