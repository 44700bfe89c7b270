import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { toChatHistory } from "../../src/engine/chat-history.ts";

describe("toChatHistory", () => {
  test("a user turn is followed by an empty model response to generate", () => {
    assert.deepEqual(toChatHistory([{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }]), [
      { type: "system", text: "Be brief." },
      { type: "user", text: "Hi" },
      { type: "model", response: [] },
    ]);
  });

  test("tool results fill in the calls of the response that made them, which goes on", () => {
    const history = toChatHistory([
      { role: "user", content: "Weather in Oslo?" },
      { role: "assistant", content: null, toolCalls: [{ id: "c1", name: "get_weather", arguments: '{"city":"Oslo"}' }] },
      { role: "tool", toolCallId: "c1", content: '{"temperature":12}' },
    ]);
    assert.deepEqual(history, [
      { type: "user", text: "Weather in Oslo?" },
      { type: "model", response: [{ type: "functionCall", name: "get_weather", params: { city: "Oslo" }, result: { temperature: 12 } }] },
    ]);
  });

  test("a tool result that is not JSON is passed as the raw string", () => {
    const history = toChatHistory([
      { role: "user", content: "x" },
      { role: "assistant", content: "Let me look.", toolCalls: [{ id: "c1", name: "f", arguments: "{}" }] },
      { role: "tool", toolCallId: "c1", content: "sunny" },
    ]);
    assert.deepEqual(history.at(-1), { type: "model", response: ["Let me look.", { type: "functionCall", name: "f", params: {}, result: "sunny" }] });
  });

  test("a thought sent back opens its response as an ended thought segment, before the text and calls", () => {
    const history = toChatHistory([
      { role: "user", content: "Weather in Oslo?" },
      { role: "assistant", content: null, toolCalls: [{ id: "c1", name: "get_weather", arguments: '{"city":"Oslo"}' }], reasoning: "I call get_weather." },
      { role: "tool", toolCallId: "c1", content: '{"temperature":12}' },
    ]);
    assert.deepEqual(history[1], {
      type: "model",
      response: [
        { type: "segment", segmentType: "thought", text: "I call get_weather.", ended: true },
        { type: "functionCall", name: "get_weather", params: { city: "Oslo" }, result: { temperature: 12 } },
      ],
    });
  });
});
