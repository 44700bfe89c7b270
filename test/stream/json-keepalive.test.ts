import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, test } from "node:test";
import { jsonKeptAlive } from "../../src/stream/json-keepalive.ts";

const options = { errorBody: (error: unknown) => ({ error: { message: String((error as Error).message) } }), onCancel: () => {} };

/** The body's chunks with the time each came, in ms from the start. */
async function chunks(response: Response, started: number): Promise<Array<{ text: string; at: number }>> {
  const seen: Array<{ text: string; at: number }> = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return seen;
    seen.push({ text: value, at: performance.now() - started });
  }
}

describe("jsonKeptAlive", () => {
  test("an answer ready within the interval is plain JSON; a failure then keeps its own status (it is thrown)", async () => {
    const response = await jsonKeptAlive(Promise.resolve({ a: 1 }), 100, options);
    assert.equal(await response.text(), '{"a":1}');
    await assert.rejects(jsonKeptAlive(Promise.reject(new Error("bad request")), 100, options), /bad request/);
  });

  test("a slow answer gets its headers after one interval, a space every interval, then the JSON, which parses whole", async () => {
    const started = performance.now();
    const response = await jsonKeptAlive(sleep(260).then(() => ({ answer: 42 })), 50, options);
    const headersAt = performance.now() - started;
    assert.ok(headersAt >= 45 && headersAt < 200, `headers after one interval: ${headersAt}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json");
    const seen = await chunks(response, started);
    const text = seen.map((c) => c.text).join("");
    assert.match(text, /^ {3,} *\{"answer":42\}$/);
    assert.deepEqual(JSON.parse(text), { answer: 42 });
  });

  test("a failure after the first byte ends the body with the error object", async () => {
    const response = await jsonKeptAlive(sleep(120).then(() => Promise.reject(new Error("decode failed"))), 30, options);
    assert.deepEqual(JSON.parse(await response.text()), { error: { message: "decode failed" } });
  });

  test("a client that leaves is told to the generation", async () => {
    let cancelled = false;
    const response = await jsonKeptAlive(sleep(500).then(() => ({})), 30, { ...options, onCancel: () => (cancelled = true) });
    await response.body!.cancel();
    assert.ok(cancelled);
  });
});
