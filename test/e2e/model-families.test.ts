// A model that writes tool calls in its own family's syntax (Qwen3-Coder's XML-like calls, taught
// to oserve-tiny-coder.gguf): rendered by its own template and parsed by its own parser through
// llama.cpp's chat layer, it answers with real calls on chat completions, Responses and Messages,
// streamed and whole, and answers from a tool result in text.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startServer, TINY_CODER, type TestServer } from "../helpers/test-server.ts";
import { GET_WEATHER } from "../helpers/tiny-chat-tools.ts";

const CITIES = ["Paris", "Oslo", "Tokyo", "Berlin"];
const ANTHROPIC_TOOL = { name: "get_weather", description: "Get the current weather in a city", input_schema: GET_WEATHER.function.parameters as Anthropic.Tool.InputSchema };
const RESPONSES_TOOL = { type: "function" as const, name: "get_weather", description: "Get the current weather in a city", parameters: GET_WEATHER.function.parameters!, strict: false };

describe("a Qwen3-Coder-format model (oserve-tiny-coder)", { timeout: 120_000 }, () => {
  let server: TestServer;
  let openai: OpenAI;
  let anthropic: Anthropic;
  before(async () => {
    server = await startServer(["--model", TINY_CODER]);
    openai = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
  });
  after(() => server?.stop());

  test("chat completions: one clean call with the city copied, for each city", async () => {
    for (const city of CITIES) {
      const completion = await openai.chat.completions.create({ model: "x", temperature: 0, tools: [GET_WEATHER], messages: [{ role: "user", content: `What's the weather in ${city}?` }] });
      const choice = completion.choices[0]!;
      assert.equal(choice.finish_reason, "tool_calls");
      assert.equal(choice.message.content, null);
      assert.deepEqual(
        choice.message.tool_calls?.map((call) => call.type === "function" && [call.function.name, JSON.parse(call.function.arguments)]),
        [["get_weather", { city }]],
      );
    }
  });

  test("tool_choice auto: once a call begins the format's grammar holds it (llama-server's lazy grammar): asked for the weather with get_time alone offered, the call is get_time's", async () => {
    const getTime = { type: "function" as const, function: { ...GET_WEATHER.function, name: "get_time", description: "Get the current time in a city" } };
    for (const stream of [false, true]) {
      const message = await collect(openai, { model: "x", temperature: 0, tools: [getTime], messages: [{ role: "user", content: "What's the weather in Paris?" }] }, stream);
      assert.deepEqual(message.calls, [["get_time", { city: "Paris" }]], `streamed: ${stream}`);
    }
  });

  test("chat completions, streamed: the name comes once, the arguments in pieces that add up", async () => {
    const stream = await openai.chat.completions.create({ model: "x", temperature: 0, stream: true, tools: [GET_WEATHER], messages: [{ role: "user", content: "What's the weather in Oslo?" }] });
    const names: string[] = [];
    let args = "";
    let pieces = 0;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        if (call.function?.name) names.push(call.function.name);
        if (call.function?.arguments) (args += call.function.arguments), pieces++;
      }
    }
    assert.deepEqual(names, ["get_weather"]);
    assert.deepEqual(JSON.parse(args), { city: "Oslo" });
    assert.ok(pieces > 1, `${pieces} argument pieces`);
  });

  test("after the tool's result it answers in text", async () => {
    const completion = await openai.chat.completions.create({
      model: "x",
      temperature: 0,
      tools: [GET_WEATHER],
      messages: [
        { role: "user", content: "What's the weather in Oslo?" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] },
        // As the model was taught tool results (the tiny model misreads compact JSON).
        { role: "tool", tool_call_id: "call_1", content: '{"city": "Oslo", "temperature": 12, "condition": "rainy"}' },
      ],
    });
    const choice = completion.choices[0]!;
    assert.equal(choice.finish_reason, "stop");
    assert.equal(choice.message.tool_calls, undefined);
    assert.match(choice.message.content ?? "", /12°C and rainy in Oslo/);
    assert.doesNotMatch(choice.message.content ?? "", /<\/?(tool_call|function|parameter)/);
  });

  test("Responses, whole and streamed: a function_call item with the city", async () => {
    const whole = await openai.responses.create({ model: "x", temperature: 0, tools: [RESPONSES_TOOL], input: "What's the weather in Tokyo?" });
    const streamed = await openai.responses.stream({ model: "x", temperature: 0, tools: [RESPONSES_TOOL], input: "What's the weather in Tokyo?" }).finalResponse();
    for (const response of [whole, streamed]) {
      const calls = response.output.filter((item) => item.type === "function_call");
      assert.deepEqual(calls.map((call) => call.type === "function_call" && [call.name, JSON.parse(call.arguments)]), [["get_weather", { city: "Tokyo" }]]);
    }
  });

  test("Messages, whole and streamed: a tool_use block whose input is the city", async () => {
    const request = { model: "x", max_tokens: 200, temperature: 0, tools: [ANTHROPIC_TOOL], messages: [{ role: "user" as const, content: "What's the weather in Berlin?" }] };
    const whole = await anthropic.messages.create(request);
    const streamed = await anthropic.messages.stream(request).finalMessage();
    for (const message of [whole, streamed]) {
      assert.equal(message.stop_reason, "tool_use");
      assert.deepEqual(message.content.filter((block) => block.type === "tool_use").map((block) => block.type === "tool_use" && [block.name, block.input]), [["get_weather", { city: "Berlin" }]]);
    }
  });

  test("what the model sees: /apply-template renders the tools and /tokenize, /detokenize round-trip it", async () => {
    const post = async (path: string, body: object) => (await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json();
    const { prompt } = (await post("/apply-template", { messages: [{ role: "user", content: "Hi" }], tools: [GET_WEATHER] })) as { prompt: string };
    assert.match(prompt, /<function>\n<name>get_weather<\/name>/);
    assert.ok(prompt.endsWith("<|im_start|>assistant\n"), prompt.slice(-40));
    const { tokens } = (await post("/tokenize", { content: prompt })) as { tokens: number[] };
    const { content } = (await post("/detokenize", { tokens })) as { content: string };
    assert.equal(content, prompt);
    const pieces = (await post("/tokenize", { content: "<|im_start|>user", with_pieces: true })) as { tokens: Array<{ id: number; piece: string }> };
    assert.equal(pieces.tokens[0]!.piece, "<|im_start|>");
    const bad = await fetch(`${server.url}/detokenize`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ tokens: [10_000_000] }) });
    assert.equal(bad.status, 400);
  });
});

/** A chat answer's tool calls as [name, arguments], whole or streamed. */
async function collect(openai: OpenAI, body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming, stream: boolean): Promise<{ calls: Array<[string, unknown]> }> {
  if (!stream) {
    const completion = await openai.chat.completions.create(body);
    return { calls: (completion.choices[0]!.message.tool_calls ?? []).map((call) => (call.type === "function" ? [call.function.name, JSON.parse(call.function.arguments)] : ["", null])) };
  }
  const calls: Array<{ name: string; args: string }> = [];
  for await (const chunk of await openai.chat.completions.create({ ...body, stream: true })) {
    for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
      const entry = (calls[call.index] ??= { name: "", args: "" });
      entry.name += call.function?.name ?? "";
      entry.args += call.function?.arguments ?? "";
    }
  }
  return { calls: calls.map((call) => [call.name, JSON.parse(call.args)]) };
}
