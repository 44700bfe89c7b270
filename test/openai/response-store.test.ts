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

  test("is bounded by bytes; a response larger than the whole store is not kept", () => {
    const store = new ResponseStore(100, 2000);
    store.put(response("big", "x".repeat(5000)), []);
    assert.equal(store.size, 0);
    for (const id of ["a", "b", "c", "d", "e", "f"]) store.put(response(id, "y".repeat(300)), []);
    assert.ok(store.size < 6 && store.size > 0, `kept ${store.size}`);
    assert.ok(store.response("f"), "the newest stays");
    assert.equal(store.response("a"), undefined, "the oldest went");
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
});
