import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { countJsonKeys } from "../../src/request/json-keys.ts";

/** The keys of every object JSON.parse makes of `text`. */
function parsedKeys(text: string): number {
  const count = (value: unknown): number =>
    Array.isArray(value) ? value.reduce((sum: number, item) => sum + count(item), 0)
    : typeof value === "object" && value !== null ? Object.values(value).reduce((sum: number, item) => sum + count(item), Object.keys(value).length)
    : 0;
  return count(JSON.parse(text));
}

describe("countJsonKeys", () => {
  test("counts what JSON.parse finds: quotes, colons and backslashes inside strings are no keys", () => {
    const bodies = [
      { a: 1, b: { c: [1, { d: "e" }] } },
      { text: 'he said "x": y', path: "C:\\dir\\", quote: '\\"', tricky: '\\\\":' },
      { messages: [{ role: "user", content: 'code {"a": 1, "b" : 2}\n\t"c":3' }], "": 0, "k\"ey": { "x:": ":" } },
      [{ a: 1 }, "b:", { c: 2 }],
      "just a string: \"quoted\"",
    ];
    for (const body of bodies) {
      for (const text of [JSON.stringify(body), JSON.stringify(body, null, 2)]) assert.equal(countJsonKeys(text, 1e9), parsedKeys(text), text);
    }
  });

  test("stops counting past the limit", () => {
    const text = JSON.stringify(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i])));
    assert.equal(countJsonKeys(text, 10), 11);
  });

  test("an unterminated string ends the count", () => {
    assert.equal(countJsonKeys('{"a": 1, "b', 100), 1);
  });
});
