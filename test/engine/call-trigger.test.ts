// Where a tool call begins in what the model writes (engine/chat-layer/call-trigger.ts), as llama.cpp's lazy grammar finds it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Token } from "node-llama-cpp";
import { CallTrigger } from "../../src/engine/chat-layer/call-trigger.ts";
import { TriggerType } from "../../src/engine/chat-layer/native.ts";

/** Feeds pieces (token i has id i); returns the call's text where it began, and at which piece. */
function feed(trigger: CallTrigger, pieces: string[]): [number, string] | null {
  for (const [i, piece] of pieces.entries()) {
    const call = trigger.push(i as Token, piece);
    if (call !== null) return [i, call];
  }
  return null;
}

describe("CallTrigger", { timeout: 10_000 }, () => {
  test("a word: the call starts at the word, mid-token too", () => {
    const words = () => new CallTrigger([{ type: TriggerType.word, value: "<tool_call>", token: -1 }, { type: TriggerType.word, value: "<function=get_weather>", token: -1 }]);
    assert.deepEqual(feed(words(), ["Let me look.", "\n<tool", "_call>", "\n<fun"]), [2, "<tool_call>"]);
    assert.deepEqual(feed(words(), ["<function=get", "_weather>\n<par"]), [1, "<function=get_weather>\n<par"]);
    assert.equal(feed(words(), ["No call here: tool_call, function=x."]), null);
  });

  test("a pattern over the whole text: the call starts at its first group (Harmony's ` to=functions`)", () => {
    const harmony = () =>
      new CallTrigger([
        { type: TriggerType.pattern, value: "^\\s+to$", token: -1 },
        { type: TriggerType.pattern, value: "<\\|start\\|>assistant(\\s+to)", token: -1 },
      ]);
    assert.deepEqual(feed(harmony(), [" to"]), [0, " to"]);
    assert.deepEqual(feed(harmony(), ["<|channel|>analysis<|message|>Look.<|end|>", "<|start|>assistant", " to", "=functions"]), [2, " to"]);
    assert.equal(feed(harmony(), ["I want to", " go"]), null);
  });

  test("a trigger token: the call starts with it", () => {
    const trigger = new CallTrigger([{ type: TriggerType.token, value: "", token: 2 }]);
    assert.deepEqual(feed(trigger, ["a", "b", "<tool_call>"]), [2, "<tool_call>"]);
  });

  test("a long answer costs a bounded search per token, and still finds a late call", () => {
    const trigger = new CallTrigger([{ type: TriggerType.word, value: "<tool_call>", token: -1 }]);
    const pieces = Array.from({ length: 20_000 }, () => "word ");
    assert.deepEqual(feed(trigger, [...pieces, "<tool_call>"]), [20_000, "<tool_call>"]);
  });
});
