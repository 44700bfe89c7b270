// The pure parts of the chat layer: parsed diffs to events, a required call's grammar.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DiffEvents, type MessageDiff } from "../../src/engine/chat-layer/diff-events.ts";
import { callAtOnce } from "../../src/engine/chat-layer/grammar.ts";

const diff = (part: Partial<MessageDiff>): MessageDiff => ({ reasoning: "", content: "", index: -1, name: "", arguments: "", ...part });

describe("DiffEvents", () => {
  test("a call goes out once its name is whole: when its arguments begin", () => {
    const events = new DiffEvents(() => "call_1");
    assert.deepEqual(events.push([diff({ index: 0, name: "get_wea" })]), []);
    assert.deepEqual(events.push([diff({ index: 0, name: "get_weather" })]), []);
    assert.deepEqual(events.push([diff({ index: 0, arguments: '{"ci' })]), [
      { type: "tool_call", index: 0, id: "call_1", name: "get_weather" },
      { type: "tool_call_arguments", index: 0, arguments: '{"ci' },
    ]);
    assert.deepEqual(events.push([diff({ index: 0, arguments: 'ty":"Oslo"}' })]), [{ type: "tool_call_arguments", index: 0, arguments: 'ty":"Oslo"}' }]);
    assert.equal(events.count, 1);
  });

  test("a call without arguments goes out when the message ends", () => {
    const events = new DiffEvents(() => "call_1");
    assert.deepEqual(events.push([diff({ index: 0, name: "now" })]), []);
    assert.deepEqual(events.push([], true), [{ type: "tool_call", index: 0, id: "call_1", name: "now" }]);
  });

  test("the thought ends trimmed before the answer", () => {
    const events = new DiffEvents(() => "id");
    assert.deepEqual(events.push([diff({ reasoning: "\nI think.\n" })]), [{ type: "reasoning", text: "I think." }]);
    assert.deepEqual(events.push([diff({ reasoning: "\nMore." })]), [{ type: "reasoning", text: "\n\nMore." }]);
    assert.deepEqual(events.push([diff({ content: "Answer." })]), [{ type: "reasoning_end" }, { type: "text", text: "Answer." }]);
  });
});

describe("callAtOnce", () => {
  test("drops the generation prompt and the free text before the calls from the root rule", () => {
    const grammar = 'root ::= "<|im_start|>assistant\\n" space until-161? tool-calls\nspace ::= " "?';
    assert.equal(callAtOnce(grammar, "<|im_start|>assistant\n"), 'root ::= space tool-calls\nspace ::= " "?');
  });

  test("leaves another grammar as it was", () => {
    assert.equal(callAtOnce('root ::= "x"', "<|im_start|>assistant\n"), 'root ::= "x"');
  });
});
