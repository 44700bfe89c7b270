// The real server, the trained tiny model, real clients: in each keepalive mode.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { KEEPALIVE_MODES } from "../../src/stream/keepalive-policy.ts";
import { startServer, TINY_CHAT, type TestServer } from "../helpers/test-server.ts";
import { keepaliveHeaders, postChat, readFrames } from "../helpers/sse-frames.ts";
import { accumulateStrict } from "../helpers/strict-accumulator.ts";
import { GET_TIME, GET_WEATHER } from "../helpers/tiny-chat-tools.ts";

const QUESTION = [{ role: "user" as const, content: "What is the capital of France?" }];
const ANSWER = "The capital of France is Paris.";

// One server for every mode's tests: each mode's requests say theirs in a header (keepaliveHeaders).
let server: TestServer;
before(async () => {
  server = await startServer(["--model", TINY_CHAT, "--keepalive", "chunk"]);
});
after(async () => {
  assert.equal(await server?.stop(), 0, "SIGTERM stops the server with exit code 0");
});

for (const mode of KEEPALIVE_MODES) {
  describe(`keepalive ${mode}: chat completions with real clients`, () => {
    const headers = keepaliveHeaders(mode);
    let client: OpenAI;
    before(() => {
      client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0, defaultHeaders: headers });
    });

    test("the openai SDK's stream helper accumulates the full answer", async () => {
      const stream = client.chat.completions.stream({
        model: "oserve-tiny-chat",
        messages: QUESTION,
        temperature: 0,
        stream_options: { include_usage: true },
      });
      const completion = await stream.finalChatCompletion();
      assert.equal(completion.choices[0]!.message.content, ANSWER);
      assert.equal(completion.choices[0]!.finish_reason, "stop");
      assert.ok(completion.usage!.prompt_tokens > 0);
      assert.ok(completion.usage!.completion_tokens > 0);
    });

    test("every chunk the SDK iterates carries one id, created and model", async () => {
      const stream = await client.chat.completions.create({ model: "x", messages: QUESTION, temperature: 0, stream: true });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      assert.ok(chunks.length >= 3);
      assert.match(chunks[0]!.id, /^chatcmpl-/);
      for (const chunk of chunks) {
        assert.equal(chunk.id, chunks[0]!.id);
        assert.equal(chunk.created, chunks[0]!.created);
        assert.equal(chunk.model, "oserve-tiny-chat");
      }
      assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
    });

    test("a strict accumulator (first id latched, type from first role) gets text, finish_reason and usage", async () => {
      const response = await postChat(server.baseURL, { messages: QUESTION, temperature: 0, stream: true, stream_options: { include_usage: true } }, undefined, headers);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      assert.equal(response.headers.get("cache-control"), "no-cache");
      assert.equal(response.headers.get("x-accel-buffering"), "no");
      const frames = await readFrames(response);
      const result = accumulateStrict(frames.flatMap((f) => (f.data === null ? [] : [f.data])));
      assert.equal(result.role, "assistant");
      assert.equal(result.dropped, 0);
      assert.equal(result.text, ANSWER);
      assert.equal(result.finishReason, "stop");
      assert.ok(result.usage && result.usage.total_tokens === result.usage.prompt_tokens + result.usage.completion_tokens);
      assert.equal(frames.at(-1)!.data, "[DONE]");
      const comments = frames.filter((f) => f.comment !== null);
      if (mode === "comment") assert.equal(comments[0], frames[0], "the first frame is the keepalive comment");
      else assert.equal(comments.length, 0);
      if (mode === "chunk") assert.deepEqual(JSON.parse(frames[0]!.data!).choices[0].delta, { role: "assistant", content: "" });
    });

    test("a strict accumulator gets streamed tool calls with their arguments intact", async () => {
      const response = await postChat(server.baseURL, {
        messages: [{ role: "user", content: "What's the weather in Paris and Rome?" }],
        tools: [GET_WEATHER, GET_TIME],
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      }, undefined, headers);
      const frames = await readFrames(response);
      const result = accumulateStrict(frames.flatMap((f) => (f.data === null ? [] : [f.data])));
      assert.equal(result.role, "assistant");
      assert.equal(result.dropped, 0);
      assert.equal(result.finishReason, "tool_calls");
      assert.ok(result.usage && result.usage.completion_tokens > 0);
      assert.deepEqual(
        result.toolCalls.map((call) => [call.name, JSON.parse(call.arguments)]),
        [["get_weather", { city: "Paris" }], ["get_weather", { city: "Rome" }]],
      );
      for (const call of result.toolCalls) assert.match(call.id, /^call_/);
    });

    test("a non-streamed completion has the answer and real usage", async () => {
      const completion = await client.chat.completions.create({ model: "x", messages: QUESTION, temperature: 0 });
      assert.equal(completion.object, "chat.completion");
      assert.equal(completion.choices[0]!.message.role, "assistant");
      assert.equal(completion.choices[0]!.message.content, ANSWER);
      assert.equal(completion.choices[0]!.finish_reason, "stop");
      const usage = completion.usage!;
      assert.ok(usage.prompt_tokens > 5 && usage.completion_tokens >= 7);
      assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    });
  });
}

describe("chat completions: parameters and errors", () => {
  let server: TestServer; // a small window and body limit of its own
  let client: OpenAI;
  before(async () => {
    server = await startServer(["--model", TINY_CHAT, "--max-body", "64kb", "--ctx-size", "256"]);
    client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
  });
  after(() => server?.stop());

  test("greeting and multi-turn follow the model's own chat template", async () => {
    const greeting = await client.chat.completions.create({ model: "x", messages: [{ role: "user", content: "Hello" }], temperature: 0 });
    assert.equal(greeting.choices[0]!.message.content, "Hello! How can I help you today?");
    const followUp = await client.chat.completions.create({
      model: "x",
      temperature: 0,
      messages: [
        { role: "system", content: "You are a helpful assistant." },
        { role: "user", content: "Hello" },
        { role: "assistant", content: "Hello! How can I help you today?" },
        { role: "user", content: [{ type: "text", text: "What is 3 plus 4?" }] },
      ],
    });
    assert.equal(followUp.choices[0]!.message.content, "3 plus 4 is 7.");
  });

  test("a stop string ends the answer before it, with finish_reason stop", async () => {
    const completion = await client.chat.completions.create({ model: "x", messages: QUESTION, temperature: 0, stop: [" Paris"] });
    assert.equal(completion.choices[0]!.message.content, "The capital of France is");
    assert.equal(completion.choices[0]!.finish_reason, "stop");
  });

  test("max_tokens cuts the answer with finish_reason length and counts exactly", async () => {
    const completion = await client.chat.completions.create({ model: "x", messages: QUESTION, temperature: 0, max_tokens: 3 });
    assert.equal(completion.choices[0]!.finish_reason, "length");
    assert.equal(completion.usage!.completion_tokens, 3);
    assert.equal(completion.choices[0]!.message.content, "The capital of");
  });

  test("logit_bias pushes a token up (+100) or bans it (-100)", async () => {
    // Token 0 is "!" in the Qwen2 vocabulary.
    const forced = await client.chat.completions.create({ model: "x", messages: QUESTION, temperature: 0, max_tokens: 4, logit_bias: { "0": 100 } });
    assert.equal(forced.choices[0]!.message.content, "!!!!");
    const greeting = await client.chat.completions.create({ model: "x", messages: [{ role: "user", content: "Hello" }], temperature: 0, logit_bias: { "0": -100 } });
    assert.ok(!greeting.choices[0]!.message.content!.includes("!"), greeting.choices[0]!.message.content!);
  });

  test("GET /v1/models lists the loaded model; /health says ok", async () => {
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => [m.id, m.object]), [["oserve-tiny-chat", "model"]]);
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, "ok");
  });

  const errorCases: Array<[string, () => Promise<Response>, number, string | null]> = [
    ["an unknown role", () => postChat(server.baseURL, { messages: [{ role: "wizard", content: "x" }] }), 400, "messages[0].role"],
    ["a wrong type", () => postChat(server.baseURL, { messages: QUESTION, temperature: "warm" }), 400, "temperature"],
    ["n other than 1", () => postChat(server.baseURL, { messages: QUESTION, n: 3 }), 400, "n"],
    ["malformed JSON", () => fetch(`${server.baseURL}/chat/completions`, { method: "POST", body: "{nope" }), 400, null],
    ["an empty body", () => fetch(`${server.baseURL}/chat/completions`, { method: "POST" }), 400, null],
    ["a body over --max-body", () => postChat(server.baseURL, { messages: [{ role: "user", content: "x".repeat(70_000) }] }), 413, null],
    ["a prompt longer than the context", () => postChat(server.baseURL, { messages: [{ role: "user", content: "Paris ".repeat(400) }] }), 400, "messages"],
    ["a logit_bias token beyond the vocabulary", () => postChat(server.baseURL, { messages: QUESTION, logit_bias: { "99999999": 5 } }), 400, "logit_bias"],
    ["logprobs, which are not supported", () => postChat(server.baseURL, { messages: QUESTION, logprobs: true }), 400, "logprobs"],
    ["an unknown route", () => fetch(`${server.url}/v1/nothing`), 404, null],
    ["a known route with the wrong method", () => fetch(`${server.baseURL}/chat/completions`), 405, null],
    ["an unknown model id", () => fetch(`${server.baseURL}/models/gpt-9`), 404, "model"],
  ];
  for (const [what, send, status, param] of errorCases) {
    test(`${what} gets ${status} with an OpenAI-shaped error`, async () => {
      const response = await send();
      assert.equal(response.status, status);
      const body = await response.json();
      assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
      assert.equal(body.error.param, param);
      assert.ok(body.error.message.length > 10);
    });
  }

  test("a body over --max-body on /v1/messages is Anthropic's 413 request_too_large, which its SDK surfaces as such", async () => {
    const anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
    const request = { model: "x", max_tokens: 2, messages: [{ role: "user" as const, content: "x".repeat(70_000) }] };
    await assert.rejects(anthropic.messages.create(request), (error: unknown) => error instanceof Anthropic.APIError && error.status === 413 && (error.error as { error: { type: string } }).error.type === "request_too_large");
  });

  test("the openai SDK surfaces the 400 as a BadRequestError naming the param", async () => {
    await assert.rejects(
      client.chat.completions.create({ model: "x", messages: [{ role: "user", content: "hi" }], n: 2 }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === "n",
    );
  });

  test("the server still answers after all of that", async () => {
    const completion = await client.chat.completions.create({ model: "x", messages: QUESTION, temperature: 0 });
    assert.equal(completion.choices[0]!.message.content, ANSWER);
  });
});
