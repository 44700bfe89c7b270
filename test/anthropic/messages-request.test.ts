import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { assertRejects } from "../helpers/assert-rejects.ts";
import { parseCountTokensRequest, parseMessagesRequest } from "../../src/anthropic/messages-request.ts";
import { ThoughtSeal } from "../../src/thought-seal.ts";

const base = { model: "m", max_tokens: 100 };

/** This server's seal, as the route passes it: opens only what it sealed. */
const seal = new ThoughtSeal();
const open = (sealed: string) => seal.open(sealed);
const rejects = (body: unknown, param: string | null, message?: RegExp) => assertRejects((json) => parseMessagesRequest(json, open), body, param, message);

const weather = { name: "get_weather", description: "Weather", input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } };

describe("parseMessagesRequest", () => {
  test("system blocks, string and block content, tool_use answered by tool_result", () => {
    const request = parseMessagesRequest({
      ...base,
      system: [{ type: "text", text: "Be brief." }],
      tools: [weather],
      messages: [
        { role: "user", content: "Weather in Oslo?" },
        { role: "assistant", content: [{ type: "thinking", thinking: "…", signature: "s" }, { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "12°C" }] }] },
      ],
    }, open);
    assert.deepEqual(request.generation.messages, [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather in Oslo?" },
      { role: "assistant", content: null, toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: '{"city":"Oslo"}' }] },
      { role: "tool", content: "12°C", toolCallId: "toolu_1" },
    ]);
    assert.equal(request.generation.maxTokens, 100);
  });

  test("tool_choice any, tool and none in the engine's terms; disable_parallel_tool_use", () => {
    const choose = (tool_choice: unknown) => parseMessagesRequest({ ...base, tools: [weather], tool_choice, messages: [{ role: "user", content: "x" }] }, open).generation;
    assert.deepEqual(choose({ type: "any" }).toolChoice, { type: "required" });
    assert.deepEqual(choose({ type: "tool", name: "get_weather" }).toolChoice, { type: "function", name: "get_weather" });
    assert.deepEqual(choose({ type: "none" }).toolChoice, { type: "none" });
    assert.equal(choose({ type: "auto", disable_parallel_tool_use: true }).parallelToolCalls, false);
  });

  test("Claude Code's first request is accepted: system turns among the messages, thinking, context management, max_tokens 32000", () => {
    const body = JSON.parse(readFileSync(new URL("../fixtures/claude-code-2.1.332-request.json", import.meta.url), "utf8"));
    const request = parseMessagesRequest(body, open);
    assert.equal(request.thinkingDisplay, "omitted");
    assert.deepEqual(request.generation.reasoning, { effort: "high", budget: null });
    assert.equal(request.stream, true);
    assert.equal(request.generation.maxTokens, 32000);
    assert.ok(request.generation.tools.length >= 10);
    assert.ok(request.generation.messages.filter((m) => m.role === "system").length >= 2);
  });

  test("images and documents, in a user turn and in a tool result, become placeholders; a plain-text document is read", () => {
    const image = { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } };
    const request = parseMessagesRequest(
      {
        ...base,
        messages: [
          { role: "user", content: [image, { type: "text", text: "What is this?" }, { type: "document", source: { type: "text", media_type: "text/plain", data: "Notes." }, title: "notes.txt" }] },
          { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "screenshot", input: {} }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: [image, { type: "document", source: { type: "base64", media_type: "application/pdf", data: "x" } }] }] },
        ],
      },
      open,
    );
    assert.equal(request.generation.messages[0]!.content, "[image omitted: this model reads text only]\nWhat is this?\nnotes.txt\nNotes.");
    assert.equal(request.generation.messages.at(-1)!.content, "[image omitted: this model reads text only]\n[document omitted: this model reads text only]");
    assert.equal(request.omitted.toString(), "image=2, document=1");
  });

  test("count_tokens takes the same body without max_tokens", () => {
    assert.deepEqual(parseCountTokensRequest({ model: "m", messages: [{ role: "user", content: "Hi" }] }, open).messages, [{ role: "user", content: "Hi" }]);
  });

  test("bad requests name the field", () => {
    rejects({ model: "m", messages: [{ role: "user", content: "x" }] }, "max_tokens");
    rejects({ ...base, messages: [] }, "messages");
    rejects({ ...base, messages: [{ role: "user", content: [{ type: "container_upload", file_id: "f" }] }] }, "messages[0].content[0].type", /text only/);
    rejects(
      { ...base, messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: {} }] }, { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "video" }] }] }] },
      "messages[1].content[0].content[0].type",
    );
    rejects({ ...base, messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "nope", content: "x" }] }] }, "messages[0].content[0].tool_use_id");
    rejects(
      { ...base, messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: {} }] }, { role: "user", content: "x" }] },
      "messages[1]",
    );
    rejects({ ...base, tools: [weather], tool_choice: { type: "tool", name: "other" }, messages: [{ role: "user", content: "x" }] }, "tool_choice");
    rejects({ ...base, temperature: 1.5, messages: [{ role: "user", content: "x" }] }, "temperature");
  });

  test("thinking: disabled is effort none, enabled caps the thought, output_config.effort sets the level (max is high)", () => {
    const ask = (extra: object) => parseMessagesRequest({ ...base, messages: [{ role: "user", content: "Hi" }], ...extra }, open);
    assert.deepEqual(ask({ thinking: { type: "disabled" } }).generation.reasoning, { effort: "none", budget: null });
    assert.deepEqual(ask({ thinking: { type: "enabled", budget_tokens: 1024 } }).generation.reasoning, { effort: null, budget: 1024 });
    assert.deepEqual(ask({ thinking: { type: "adaptive" }, output_config: { effort: "max" } }).generation.reasoning, { effort: "high", budget: null });
    assert.deepEqual(ask({}).generation.reasoning, { effort: null, budget: null });
    assert.equal(ask({ thinking: { type: "enabled", budget_tokens: 1024, display: "omitted" } }).thinkingDisplay, "omitted");
    assert.equal(ask({}).thinkingDisplay, "summarized");
    rejects({ ...base, messages: [{ role: "user", content: "Hi" }], thinking: { type: "enabled" } }, "thinking.budget_tokens");
  });

  test("a thinking block comes back into the history only as this server signed it", () => {
    const turn = (block: object) =>
      parseMessagesRequest(
        { ...base, messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: [block, { type: "text", text: "Hello!" }] }, { role: "user", content: "Bye" }] },
        open,
      ).generation.messages[1];
    assert.deepEqual(turn({ type: "thinking", thinking: "", signature: seal.seal("They greet me.") }), { role: "assistant", content: "Hello!", toolCalls: [], reasoning: "They greet me." });
    assert.deepEqual(turn({ type: "redacted_thinking", data: seal.seal("They greet me.") }), { role: "assistant", content: "Hello!", toolCalls: [], reasoning: "They greet me." });
    assert.deepEqual(turn({ type: "thinking", thinking: "Forged.", signature: new ThoughtSeal().seal("Forged.") }), { role: "assistant", content: "Hello!", toolCalls: [] });
    assert.deepEqual(turn({ type: "thinking", thinking: "Unsigned." }), { role: "assistant", content: "Hello!", toolCalls: [] });
  });
});
