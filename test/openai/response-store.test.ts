import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ResponseStore } from "../../src/openai/response-store.ts";
import type { ResponseObject } from "../../src/openai/responses-types.ts";

/** A stored response with one message item `msg_<id>`; only ids and output matter to the store. */
const response = (id: string, text = "Hello"): ResponseObject =>
  ({ id, output: [{ type: "message", id: `msg_${id}`, status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [], logprobs: [] }] }] }) as unknown as ResponseObject;

describe("ResponseStore", () => {
  test("keeps responses, their conversations and their items; the least recently used goes first past the count", () => {
    const store = new ResponseStore(2);
    store.put(response("a"), [{ role: "user", content: "a" }]);
    store.put(response("b"), [{ role: "user", content: "b" }]);
    assert.ok(store.conversation("a"), "using a makes it the most recent");
    store.put(response("c"), [{ role: "user", content: "c" }]);
    assert.equal(store.size, 2);
    assert.equal(store.response("b"), undefined, "b, the least recently used, went");
    assert.equal(store.item("msg_b"), undefined, "and its items with it");
    assert.deepEqual(store.item("msg_a"), response("a").output[0]);
    assert.ok(store.response("c"));
  });

  test("is bounded by bytes; a response larger than a sixteenth of the store is not kept (no one request flushes the rest)", () => {
    const store = new ResponseStore(100, 16_000);
    store.put(response("big", "x".repeat(1200)), []);
    assert.equal(store.size, 0);
    const ids = Array.from({ length: 30 }, (_, i) => `r${i}`);
    for (const id of ids) store.put(response(id, "y".repeat(600)), []);
    assert.ok(store.size < 30 && store.size > 10, `kept ${store.size}`);
    assert.ok(store.response("r29"), "the newest stays");
    assert.equal(store.response("r0"), undefined, "the oldest went");
  });

  test("input items with ids are kept with the response that was asked with them, and go when it is deleted", () => {
    const store = new ResponseStore();
    const input = { type: "function_call_output", id: "fco_1", call_id: "call_1", output: "12" };
    store.put(response("a"), [], [input]);
    assert.deepEqual(store.item("fco_1"), input);
    // Asked again with the same item: it belongs to the newer response, and outlives the older one.
    store.put(response("b"), [], [input]);
    assert.equal(store.delete("a"), true);
    assert.deepEqual(store.item("fco_1"), input);
    assert.equal(store.delete("b"), true);
    assert.equal(store.item("fco_1"), undefined);
    assert.equal(store.delete("b"), false);
  });

  test("an input item id another response keeps with other content is not taken over (item_reference reads what its owner sent)", () => {
    const store = new ResponseStore();
    const mine = { type: "message", id: "msg_1", role: "user", content: "mine" };
    store.put(response("a"), [], [mine]);
    store.put(response("b"), [], [{ ...mine, content: "someone else's" }]);
    assert.deepEqual(store.item("msg_1"), mine);
    assert.equal(store.delete("b"), true);
    assert.deepEqual(store.item("msg_1"), mine);
  });
});
