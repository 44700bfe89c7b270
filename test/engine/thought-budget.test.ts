// The thought's token budget (engine/thought-budget.ts), as llama.cpp's reasoning-budget sampler keeps it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Token } from "node-llama-cpp";
import { ThoughtBudget } from "../../src/engine/thought-budget.ts";

const t = (...ids: number[]) => ids as Token[];
const START = 100;
const END = 101;
const tags = { start: t(START), ends: [t(END), t(7, 8)], forced: t(END) };
const whole = () => true;

/** Feeds tokens; returns where (by index) the end tag was written for the model. */
function feed(budget: ThoughtBudget, tokens: number[]): Array<[number, readonly Token[]]> {
  const forced: Array<[number, readonly Token[]]> = [];
  tokens.forEach((token, i) => {
    const written = budget.accept(token as Token);
    if (written) forced.push([i, written]);
  });
  return forced;
}

describe("ThoughtBudget", { timeout: 10_000 }, () => {
  test("the start tag opens the count; the budget's last token is followed by the end tag", () => {
    assert.deepEqual(feed(new ThoughtBudget(tags, 3, whole), [1, START, 2, 3, 4, 5]), [[4, t(END)]]);
  });

  test("a thought that ends by itself (any end tag, several tokens too) is not cut", () => {
    assert.deepEqual(feed(new ThoughtBudget(tags, 3, whole), [START, 2, END, 4, 5, 6]), []);
    assert.deepEqual(feed(new ThoughtBudget(tags, 4, whole), [START, 2, 7, 8, 5, 6, 7]), []);
  });

  test("nothing is counted before the start tag; a prompt that opened it starts the count", () => {
    assert.deepEqual(feed(new ThoughtBudget(tags, 2, whole), [1, 2, 3, 4]), []);
    const opened = new ThoughtBudget(tags, 2, whole);
    opened.accept(START as Token);
    assert.deepEqual(feed(opened, [1, 2, 3]), [[1, t(END)]]);
  });

  test("a budget spent inside a character waits for the character to end", () => {
    const split = new Set([3]);
    assert.deepEqual(feed(new ThoughtBudget(tags, 2, (token) => !split.has(token)), [START, 2, 3, 4, 5]), [[3, t(END)]]);
  });

  test("a new start tag after the thought opens a new count", () => {
    assert.deepEqual(feed(new ThoughtBudget(tags, 1, whole), [START, 2, 3, START, 4, 5]), [[1, t(END)], [4, t(END)]]);
  });
});
