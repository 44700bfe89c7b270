import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { assertRejects } from "../helpers/assert-rejects.ts";
import type { Message } from "../../src/engine/types.ts";
import { parseResponsesRequest, type StoredResponses } from "../../src/openai/responses-request.ts";
import { ThoughtSeal } from "../../src/thought-seal.ts";

const nothingStored = () => undefined;
const seal = new ThoughtSeal();
const parse = (body: unknown, earlier: (id: string) => Message[] | undefined = nothingStored, item: StoredResponses["item"] = nothingStored) =>
  parseResponsesRequest(body, { conversation: earlier, item }, (sealed) => seal.open(sealed));

const rejects = (body: unknown, param: string | null, message?: RegExp) => assertRejects((body) => parse(body), body, param, message);

const weather = { type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } };

describe("parseResponsesRequest", () => {
  test("a string input is one user message; instructions come first as a system message", () => {
    const request = parse({ input: "Hello", instructions: "Be brief." });
    assert.deepEqual(request.generation.messages, [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello" }]);
    assert.deepEqual(request.conversation, [{ role: "user", content: "Hello" }], "what a follow-up chains on leaves the instructions out");
    assert.equal(request.store, true);
    assert.equal(request.stream, false);
  });

  test("function_call items join the assistant turn before them; outputs answer them", () => {
    const request = parse({
      input: [
        { role: "user", content: [{ type: "input_text", text: "Weather in Oslo?" }] },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Let me look." }] },
        { type: "function_call", call_id: "c1", name: "get_weather", arguments: '{"city":"Oslo"}' },
        { type: "reasoning", summary: [] },
        { type: "function_call_output", call_id: "c1", output: '{"temperature":12}' },
      ],
      tools: [weather],
    });
    assert.deepEqual(request.generation.messages, [
      { role: "user", content: "Weather in Oslo?" },
      { role: "assistant", content: "Let me look.", toolCalls: [{ id: "c1", name: "get_weather", arguments: '{"city":"Oslo"}' }] },
      { role: "tool", content: '{"temperature":12}', toolCallId: "c1" },
    ]);
    assert.deepEqual(request.generation.toolChoice, { type: "auto" });
  });

  test("previous_response_id continues the stored conversation; an unknown one is a 400 naming it", () => {
    const stored: Message[] = [
      { role: "user", content: "Weather in Oslo?" },
      { role: "assistant", content: null, toolCalls: [{ id: "c1", name: "get_weather", arguments: "{}" }] },
    ];
    const request = parse({ previous_response_id: "resp_1", input: [{ type: "function_call_output", call_id: "c1", output: "12" }] }, (id) =>
      id === "resp_1" ? stored : undefined,
    );
    assert.deepEqual(request.conversation, [...stored, { role: "tool", content: "12", toolCallId: "c1" }]);
    rejects({ previous_response_id: "resp_gone", input: "hi" }, "previous_response_id", /resp_gone/);
  });

  test("Codex CLI's first request is accepted: namespace functions offered by qualified name, hosted tools left out", () => {
    const body = JSON.parse(readFileSync(new URL("../fixtures/codex-0.171.0-request.json", import.meta.url), "utf8"));
    const request = parse(body);
    const names = request.generation.tools.map((t) => t.name);
    assert.ok(names.includes("exec_command"));
    const namespaced = names.filter((name) => name.startsWith("multi_agent_v1."));
    assert.ok(namespaced.length > 0, names.join());
    assert.deepEqual(request.functionNames.get(namespaced[0]!), { name: namespaced[0]!.split(".")[1], namespace: "multi_agent_v1" });
    assert.deepEqual(request.ignoredTools, ["web_search"]);
    assert.equal(request.store, false);
    assert.deepEqual(request.generation.messages.map((m) => m.role), ["system", "system", "user", "user"]);
  });

  test("tool_choice: a named function, allowed_tools, and hosted choices refused", () => {
    assert.deepEqual(parse({ input: "x", tools: [weather], tool_choice: { type: "function", name: "get_weather" } }).generation.toolChoice, {
      type: "function",
      name: "get_weather",
    });
    const allowed = parse({
      input: "x",
      tools: [weather, { ...weather, name: "get_time" }],
      tool_choice: { type: "allowed_tools", mode: "required", tools: [{ type: "function", name: "get_time" }] },
    }).generation;
    assert.deepEqual([allowed.toolChoice, allowed.tools.map((t) => t.name)], [{ type: "required" }, ["get_time"]]);
    rejects({ input: "x", tools: [weather], tool_choice: { type: "web_search" } }, "tool_choice");
  });

  test("text.format becomes the output format; with tools the model may call it is refused", () => {
    const schema = { type: "object", properties: { a: { type: "string" } }, required: ["a"] };
    assert.equal(parse({ input: "x", text: { format: { type: "json_schema", name: "a", schema } } }).generation.format.type, "json_schema");
    assert.deepEqual(parse({ input: "x", text: { format: { type: "json_object" } } }).generation.format, { type: "json" });
    rejects({ input: "x", tools: [weather], text: { format: { type: "json_object" } } }, "text.format");
    rejects({ input: "x", text: { format: { type: "json_schema", name: "a", schema: { not: {} } } } }, "text.format.schema");
  });

  test("images and files, in messages and in tool outputs, become placeholders the model reads, counted for the header", () => {
    const request = parse({
      input: [
        { role: "user", content: [{ type: "input_text", text: "What is this?" }, { type: "input_image", image_url: "data:image/png;base64,AAAA" }] },
        { type: "function_call", call_id: "c1", name: "view_image", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: [{ type: "input_image", image_url: "x" }, { type: "input_file", file_data: "x" }] },
      ],
    });
    assert.equal(request.conversation[0]!.content, "What is this?\n[image omitted: this model reads text only]");
    assert.equal(request.conversation.at(-1)!.content, "[image omitted: this model reads text only]\n[document omitted: this model reads text only]");
    assert.equal(request.omitted.toString(), "image=2, document=1");
  });

  test("an item_reference stands for the stored item it names: a message, a call, a thought", () => {
    const items: Record<string, Record<string, unknown>> = {
      msg_1: { type: "message", id: "msg_1", role: "assistant", content: [{ type: "output_text", text: "Let me look." }] },
      fc_1: { type: "function_call", id: "fc_1", call_id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' },
      rs_1: { type: "reasoning", id: "rs_1", summary: [], content: [{ type: "reasoning_text", text: "I need the weather." }] },
    };
    const request = parse(
      {
        input: [
          { role: "user", content: "Weather in Oslo?" },
          { type: "item_reference", id: "rs_1" },
          { type: "item_reference", id: "msg_1" },
          { type: "item_reference", id: "fc_1" },
          { type: "function_call_output", call_id: "call_1", output: "12 and rainy" },
        ],
      },
      nothingStored,
      (id) => items[id],
    );
    assert.deepEqual(request.conversation.slice(1), [
      { role: "assistant", content: "Let me look.", toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' }], reasoning: "I need the weather." },
      { role: "tool", content: "12 and rainy", toolCallId: "call_1" },
    ]);
  });

  test("input items with ids are handed to the store with the response; references are not", () => {
    const request = parse({ input: [{ role: "user", content: "Hi", id: "msg_in" }, { type: "item_reference", id: "msg_1" }] }, nothingStored, () => ({
      type: "message",
      role: "assistant",
      content: "Hello",
    }));
    assert.deepEqual(request.identifiedItems, [{ role: "user", content: "Hi", id: "msg_in" }]);
  });

  test("an output with no call_id but a tool's name (Codex 0.171.0's goal objective) is the harness's note, read as the user's; with neither, a 400", () => {
    const request = parse({
      input: [
        { role: "user", content: "Plan it." },
        { type: "function_call", call_id: "c1", name: "create_goal", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: "ok" },
        { type: "function_call_output", name: "goal_objective", namespace: "agent", output: "Ship the parser" },
      ],
    });
    assert.deepEqual(request.generation.messages.at(-1), { role: "user", content: "agent.goal_objective: Ship the parser" });
    rejects({ input: [{ role: "user", content: "x" }, { type: "function_call_output", output: "x" }] }, "input[1].call_id", /needs the call_id/);
  });

  test("bad requests name the param", () => {
    rejects({}, "input");
    rejects({ input: 3 }, "input");
    rejects({ input: [{ role: "wizard", content: "x" }] }, "input[0].role");
    rejects({ input: [{ role: "user", content: [{ type: "input_video", url: "x" }] }] }, "input[0].content[0].type", /text only/);
    rejects({ input: [{ type: "function_call", name: "f", arguments: "{}" }] }, "input[0].call_id");
    rejects({ input: [{ type: "function_call_output", call_id: "nope", output: "x" }] }, "input[0].call_id");
    rejects({ input: [{ type: "function_call", call_id: "c", name: "f", arguments: "{}" }, { role: "user", content: "x" }] }, "input[1]", /c/);
    rejects({ input: [{ type: "item_reference", id: "msg_gone" }] }, "input[0].id", /msg_gone/);
    rejects({ input: [{ type: "computer_call", id: "x" }] }, "input[0].type");
    rejects({ input: "x", max_output_tokens: 0 }, "max_output_tokens");
    rejects({ input: "x", tools: [{ type: "function", name: "bad name" }] }, "tools[0].name");
  });

  test("reasoning: the effort is read, and a thought sent back joins the assistant turn it opened", () => {
    const sealed = seal.seal("I call get_weather.");
    const request = parse({
      reasoning: { effort: "low", summary: "auto" },
      include: ["reasoning.encrypted_content"],
      input: [
        { role: "user", content: "Weather in Oslo?" },
        { type: "reasoning", id: "rs_1", summary: [], encrypted_content: sealed },
        { type: "function_call", call_id: "c1", name: "get_weather", arguments: '{"city":"Oslo"}' },
        { type: "function_call_output", call_id: "c1", output: "12C" },
        { type: "reasoning", id: "rs_2", summary: [], content: [{ type: "reasoning_text", text: "It is 12C." }] },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "12C in Oslo." }] },
        { role: "user", content: "Thanks" },
      ],
    });
    assert.deepEqual(request.generation.reasoning, { effort: "low", budget: null });
    assert.equal(request.includeEncryptedReasoning, true);
    assert.deepEqual(request.conversation.slice(1, 4), [
      { role: "assistant", content: null, toolCalls: [{ id: "c1", name: "get_weather", arguments: '{"city":"Oslo"}' }], reasoning: "I call get_weather." },
      { role: "tool", content: "12C", toolCallId: "c1" },
      { role: "assistant", content: "12C in Oslo.", toolCalls: [], reasoning: "It is 12C." },
    ]);
  });

  test("a sealed thought this server cannot open (another run's, altered) restores nothing; the rest of the request stands", () => {
    const request = parse({
      input: [
        { role: "user", content: "Hi" },
        { type: "reasoning", summary: [{ type: "summary_text", text: "a summary" }], encrypted_content: new ThoughtSeal().seal("elsewhere") },
        { role: "assistant", content: "Hello!" },
        { role: "user", content: "Bye" },
      ],
    });
    assert.deepEqual(request.conversation[1], { role: "assistant", content: "Hello!", toolCalls: [] });
    assert.equal(request.includeEncryptedReasoning, false);
    assert.deepEqual(parse({ input: "x", reasoning: { effort: "xhigh" } }).generation.reasoning, { effort: "high", budget: null });
  });
});
