// /v1/responses and /v1/messages with real clients, the trained tiny model, in each keepalive mode.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import Anthropic from "@anthropic-ai/sdk";
import { Agent, OpenAIProvider, Runner, tool } from "@openai/agents";
import { generateText, stepCountIs, streamText, tool as aiTool } from "ai";
import OpenAI from "openai";
import { z } from "zod";
import { KEEPALIVE_MODES } from "../../src/stream/keepalive-policy.ts";
import { startServer, TINY_CHAT, type TestServer } from "../helpers/test-server.ts";
import { keepaliveHeaders } from "../helpers/sse-frames.ts";
import { OSLO_ANSWER, OSLO_WEATHER } from "../helpers/tiny-chat-tools.ts";

const CAPITAL = "What is the capital of France?";
const CAPITAL_ANSWER = "The capital of France is Paris.";
const cityParams = { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] };
const RESPONSES_WEATHER = { type: "function" as const, name: "get_weather", description: "Get the current weather in a city", parameters: cityParams, strict: false };
/** Anthropic's SDK no longer types sampling parameters; the API still takes them, and tests must be deterministic. */
const GREEDY = { temperature: 0 } as {};
const ANTHROPIC_WEATHER = { name: "get_weather", description: "Get the current weather in a city", input_schema: cityParams };

// One server for the file: each keepalive mode's requests say theirs in a header (keepaliveHeaders).
let server: TestServer;
before(async () => {
  server = await startServer(["--model", TINY_CHAT]);
});
after(async () => {
  assert.equal(await server?.stop(), 0);
  assert.doesNotMatch(server.stderr(), /failed/, "no request was logged as a server failure");
});

for (const mode of KEEPALIVE_MODES) {
  describe(`keepalive ${mode}: Responses and Messages APIs with real clients`, () => {
    let openai: OpenAI;
    let anthropic: Anthropic;
    before(() => {
      openai = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0, defaultHeaders: keepaliveHeaders(mode) });
      anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0, defaultHeaders: keepaliveHeaders(mode) });
    });

    test("openai responses.create answers, with real usage", async () => {
      const response = await openai.responses.create({ model: "x", input: CAPITAL, temperature: 0 });
      assert.match(response.id, /^resp_/);
      assert.equal(response.status, "completed");
      assert.equal(response.output_text, CAPITAL_ANSWER);
      assert.ok(response.usage!.input_tokens > 5 && response.usage!.output_tokens >= 7);
      assert.equal(response.usage!.total_tokens, response.usage!.input_tokens + response.usage!.output_tokens);
    });

    test("openai responses.stream: text, then a tool call, then a previous_response_id follow-up that reuses the sequence", async () => {
      const text = await openai.responses.stream({ model: "x", input: CAPITAL, temperature: 0 }).finalResponse();
      assert.equal(text.output_text, CAPITAL_ANSWER);
      const events: string[] = [];
      const stream = openai.responses.stream({ model: "x", input: "Weather in Oslo?", temperature: 0, tools: [RESPONSES_WEATHER] });
      stream.on("event", (event) => events.push(event.type));
      const called = await stream.finalResponse();
      const call = called.output.find((item) => item.type === "function_call");
      assert.ok(call && call.type === "function_call", JSON.stringify(called.output));
      assert.deepEqual([call.name, JSON.parse(call.arguments)], ["get_weather", { city: "Oslo" }]);
      assert.match(call.call_id, /^call_/);
      assert.equal(events[0], "response.created");
      assert.equal(events.at(-1), "response.completed");
      const answer = await openai.responses.create({
        model: "x",
        temperature: 0,
        tools: [RESPONSES_WEATHER],
        previous_response_id: called.id,
        input: [{ type: "function_call_output", call_id: call.call_id, output: JSON.stringify(OSLO_WEATHER) }],
      });
      assert.equal(answer.output_text, OSLO_ANSWER);
      assert.ok(answer.usage!.input_tokens_details.cached_tokens > 0.8 * called.usage!.input_tokens, JSON.stringify(answer.usage));
    });

    test("@anthropic-ai/sdk messages.create and messages.stream → finalMessage()", async () => {
      const message = await anthropic.messages.create({ model: "x", max_tokens: 64, ...GREEDY, messages: [{ role: "user", content: CAPITAL }] });
      assert.match(message.id, /^msg_/);
      assert.deepEqual(message.content, [{ type: "text", text: CAPITAL_ANSWER }]);
      assert.equal(message.stop_reason, "end_turn");
      const streamed = await anthropic.messages.stream({ model: "x", max_tokens: 64, ...GREEDY, messages: [{ role: "user", content: CAPITAL }] }).finalMessage();
      assert.equal(streamed.content[0]?.type === "text" && streamed.content[0].text, CAPITAL_ANSWER);
      assert.ok(streamed.usage.output_tokens >= 7);
      const cut = await anthropic.messages.create({ model: "x", max_tokens: 64, ...GREEDY, stop_sequences: [" Paris"], messages: [{ role: "user", content: CAPITAL }] });
      assert.deepEqual([cut.stop_reason, cut.stop_sequence], ["stop_sequence", " Paris"]);
    });

    test("@anthropic-ai/sdk: tool_use → tool_result → answer, streamed", async () => {
      const question = { role: "user" as const, content: "Weather in Oslo?" };
      const called = await anthropic.messages.stream({ model: "x", max_tokens: 64, ...GREEDY, tools: [ANTHROPIC_WEATHER], messages: [question] }).finalMessage();
      assert.equal(called.stop_reason, "tool_use");
      const use = called.content.find((block) => block.type === "tool_use");
      assert.ok(use && use.type === "tool_use");
      assert.deepEqual([use.name, use.input], ["get_weather", { city: "Oslo" }]);
      const answer = await anthropic.messages.stream({
        model: "x",
        max_tokens: 64,
        ...GREEDY,
        tools: [ANTHROPIC_WEATHER],
        messages: [question, { role: "assistant", content: called.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: JSON.stringify(OSLO_WEATHER) }] }],
      }).finalMessage();
      assert.deepEqual(answer.content, [{ type: "text", text: OSLO_ANSWER }]);
      assert.ok(answer.usage.cache_read_input_tokens! > 0, JSON.stringify(answer.usage));
    });
  });
}

describe("agent frameworks on the Responses and Messages APIs", () => {
  test("errors keep each API family's shape: Anthropic's on /v1/messages, OpenAI's on /v1/responses", async () => {
    const post = (path: string, body: unknown) => fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const anthropicError = await post("/v1/messages", { model: "x", max_tokens: 10, messages: [{ role: "user", content: [{ type: "container_upload", file_id: "f" }] }] });
    assert.equal(anthropicError.status, 400);
    const body = await anthropicError.json();
    assert.equal(body.type, "error");
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /messages\[0\]\.content\[0\]\.type/);
    const unknown = await post("/v1/responses", { input: "hi", previous_response_id: "resp_gone" });
    assert.equal(unknown.status, 400);
    assert.equal((await unknown.json()).error.param, "previous_response_id");
    const missing = await fetch(`${server.baseURL}/responses/resp_gone`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.type, "not_found_error");
    const wrongMethod = await fetch(`${server.url}/v1/messages`);
    assert.equal(wrongMethod.status, 405);
    assert.equal((await wrongMethod.json()).error.type, "invalid_request_error");
    const tooLong = await post("/v1/messages", { model: "x", max_tokens: 10, messages: [{ role: "user", content: "Paris ".repeat(3000) }] });
    assert.equal(tooLong.status, 400);
    assert.match((await tooLong.json()).error.message, /^prompt is too long: \d+ tokens > 2047 maximum$/);
  });

  test("count_tokens counts the prompt as the model sees it, tools included", async () => {
    const anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
    const plain = await anthropic.messages.countTokens({ model: "x", messages: [{ role: "user", content: "Weather in Oslo?" }] });
    const withTools = await anthropic.messages.countTokens({ model: "x", tools: [ANTHROPIC_WEATHER], messages: [{ role: "user", content: "Weather in Oslo?" }] });
    assert.ok(plain.input_tokens > 3 && withTools.input_tokens > plain.input_tokens + 20, `${plain.input_tokens} < ${withTools.input_tokens}`);
  });

  test("a stored response can be read back and deleted", async () => {
    const openai = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
    const response = await openai.responses.create({ model: "x", input: CAPITAL, temperature: 0 });
    assert.equal((await openai.responses.retrieve(response.id)).output_text, CAPITAL_ANSWER);
    await openai.responses.delete(response.id);
    await assert.rejects(openai.responses.retrieve(response.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
  });

  test("the OpenAI Agents SDK runs an agent with a function tool over two steps", async () => {
    const calls: string[] = [];
    const getWeather = tool({
      name: "get_weather",
      description: "Get the current weather in a city",
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => (calls.push(city), OSLO_WEATHER),
    });
    const runner = new Runner({ modelProvider: new OpenAIProvider({ baseURL: server.baseURL, apiKey: "unused", useResponses: true }), tracingDisabled: true });
    const agent = new Agent({ name: "weather", model: "oserve-tiny-chat", tools: [getWeather], modelSettings: { temperature: 0 } });
    const result = await runner.run(agent, "Weather in Oslo?");
    assert.deepEqual(calls, ["Oslo"]);
    assert.equal(result.finalOutput, OSLO_ANSWER);
  });

  test("the Vercel AI SDK's default OpenAI provider (Responses, store on) runs a tool over two steps", async () => {
    const provider = createOpenAI({ baseURL: server.baseURL, apiKey: "unused" });
    const result = await generateText({
      model: provider("oserve-tiny-chat"),
      temperature: 0,
      prompt: "Weather in Oslo?",
      tools: { get_weather: aiTool({ description: "Get the current weather in a city", inputSchema: z.object({ city: z.string() }), execute: async () => OSLO_WEATHER }) },
      stopWhen: stepCountIs(3),
    });
    assert.equal(result.steps[0]!.toolCalls[0]!.toolName, "get_weather");
    assert.equal(result.text, OSLO_ANSWER);
  });

  test("the Vercel AI SDK's default OpenAI provider holds a two-turn chat, whole and streamed: turn one comes back as item_reference", async () => {
    const sent: unknown[] = [];
    // Records what the SDK sends; the request itself goes out unchanged.
    const recording = async (input: string | URL | Request, init?: RequestInit) => {
      if (typeof init?.body === "string") sent.push(JSON.parse(init.body));
      return fetch(input, init);
    };
    const model = createOpenAI({ baseURL: server.baseURL, apiKey: "unused", fetch: recording as typeof fetch })("oserve-tiny-chat");
    const first = await generateText({ model, temperature: 0, prompt: "Hello" });
    const history = [{ role: "user" as const, content: "Hello" }, ...first.response.messages];
    const second = await generateText({ model, temperature: 0, messages: [...history, { role: "user", content: CAPITAL }] });
    assert.equal(second.text, CAPITAL_ANSWER);
    const streamed = streamText({ model, temperature: 0, messages: [...history, { role: "user", content: CAPITAL }] });
    assert.equal(await streamed.text, CAPITAL_ANSWER);
    const inputs = sent.slice(1).map((body) => (body as { input: Array<{ type?: string }> }).input);
    for (const input of inputs) assert.ok(input.some((item) => item.type === "item_reference"), JSON.stringify(input));
  });

  test("the Vercel AI SDK's Anthropic provider streams a tool over two steps", async () => {
    const provider = createAnthropic({ baseURL: server.baseURL, apiKey: "unused" });
    const result = streamText({
      model: provider("oserve-tiny-chat"),
      temperature: 0,
      prompt: "Weather in Oslo?",
      tools: { get_weather: aiTool({ description: "Get the current weather in a city", inputSchema: z.object({ city: z.string() }), execute: async () => OSLO_WEATHER }) },
      stopWhen: stepCountIs(3),
    });
    assert.equal(await result.text, OSLO_ANSWER);
    assert.equal((await result.steps)[0]!.toolCalls[0]!.toolName, "get_weather");
  });
});
