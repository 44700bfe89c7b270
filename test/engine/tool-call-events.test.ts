import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ToolCallEvents } from "../../src/engine/tool-call-events.ts";

describe("ToolCallEvents", () => {
  const ids = () => {
    let n = 0;
    return () => `call_${n++}`;
  };

  test("the first fragment opens a call; trailing whitespace after the JSON is dropped", () => {
    const calls = new ToolCallEvents(ids());
    const events = [
      ...calls.onParamsChunk({ callIndex: 0, functionName: "f", paramsChunk: '{"a"' }),
      ...calls.onParamsChunk({ callIndex: 0, functionName: "f", paramsChunk: ": 1}\n" }),
      ...calls.onParamsChunk({ callIndex: 0, functionName: "f", paramsChunk: "\n\n" }),
      ...calls.onParamsChunk({ callIndex: 1, functionName: "g", paramsChunk: "{ }" }),
    ];
    assert.deepEqual(events, [
      { type: "tool_call", index: 0, id: "call_0", name: "f" },
      { type: "tool_call_arguments", index: 0, arguments: '{"a"' },
      { type: "tool_call_arguments", index: 0, arguments: ": 1}" },
      { type: "tool_call", index: 1, id: "call_1", name: "g" },
      { type: "tool_call_arguments", index: 1, arguments: "{ }" },
    ]);
  });

  test("whitespace inside the JSON is kept once more follows it", () => {
    const calls = new ToolCallEvents(ids());
    calls.onParamsChunk({ callIndex: 0, functionName: "f", paramsChunk: '{"a":' });
    calls.onParamsChunk({ callIndex: 0, functionName: "f", paramsChunk: " " });
    assert.deepEqual(calls.onParamsChunk({ callIndex: 0, functionName: "f", paramsChunk: "1}" }), [
      { type: "tool_call_arguments", index: 0, arguments: " 1}" },
    ]);
  });

  test("calls that no fragment announced are reported from the final response", () => {
    const calls = new ToolCallEvents(ids());
    calls.onParamsChunk({ callIndex: 0, functionName: "f", paramsChunk: "{}" });
    const events = calls.onResponse([
      { functionName: "f", params: {}, raw: [] },
      { functionName: "now", params: undefined, raw: [] },
    ] as Parameters<ToolCallEvents["onResponse"]>[0]);
    assert.deepEqual(events, [
      { type: "tool_call", index: 1, id: "call_1", name: "now" },
      { type: "tool_call_arguments", index: 1, arguments: "{}" },
    ]);
    assert.equal(calls.count, 2);
  });
});
