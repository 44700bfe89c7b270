// A conversation made to fit a template's own rules (engine/chat-layer/template-rules.ts).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ChatInputs } from "../../src/engine/chat-layer/inputs.ts";
import { adaptToTemplate, nineCharacters } from "../../src/engine/chat-layer/template-rules.ts";

const MISTRAL_REFUSAL = "While executing CallExpression at line 91: Tool call IDs should be alphanumeric strings with length 9!";

function inputs(...ids: string[]): ChatInputs {
  return {
    messages: [
      { role: "user", content: "Show the date." },
      { role: "assistant", content: null, tool_calls: ids.map((id) => ({ id, type: "function", function: { name: "bash", arguments: "{}" } })) },
      ...ids.map((id) => ({ role: "tool", content: "ok", tool_call_id: id })),
    ],
    tools: [],
    tool_choice: "auto",
    parallel_tool_calls: true,
    add_generation_prompt: true,
    continue_final_message: false,
    enable_thinking: true,
    reasoning_format: "auto",
    chat_template_kwargs: {},
  };
}

describe("adaptToTemplate", { timeout: 10_000 }, () => {
  test("Mistral's 9-character rule: each call id and its result's id become the same 9 letters and digits, the same every time", () => {
    const adapted = adaptToTemplate(inputs("call_8f28442113740c0d847321c6", "toolu_01A09q90qw90lq917835lq9"), MISTRAL_REFUSAL)!;
    const calls = adapted.messages[1]!.tool_calls!.map((call) => call.id);
    assert.ok(calls.every((id) => /^[A-Za-z0-9]{9}$/.test(id)), JSON.stringify(calls));
    assert.notEqual(calls[0], calls[1]);
    assert.deepEqual(adapted.messages.slice(2).map((message) => message.tool_call_id), calls);
    assert.deepEqual(adaptToTemplate(inputs("call_8f28442113740c0d847321c6", "toolu_01A09q90qw90lq917835lq9"), MISTRAL_REFUSAL), adapted);
  });

  test("ids that already fit are kept; another refusal, or one the ids already meet, is left to stand", () => {
    assert.equal(nineCharacters("abcDEF123"), "abcDEF123");
    assert.equal(adaptToTemplate(inputs("abcDEF123"), MISTRAL_REFUSAL), null);
    assert.equal(adaptToTemplate(inputs("call_1"), "After the optional system message, conversation roles must alternate"), null);
  });
});
