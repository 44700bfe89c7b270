// Tool calling and structured output through real agent SDKs, against the real server.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { ChatOpenAI } from "@langchain/openai";
import { concat } from "@langchain/core/utils/stream";
import type { AIMessageChunk } from "@langchain/core/messages";
import { generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import OpenAI from "openai";
import { z } from "zod";
import { startServer, TINY_CHAT, type TestServer } from "../helpers/test-server.ts";
import { dataChunks, postChat, readFrames } from "../helpers/sse-frames.ts";
import { ADD, GET_TIME, GET_WEATHER, OSLO_ANSWER, OSLO_WEATHER, SEARCH_DOCS } from "../helpers/tiny-chat-tools.ts";

describe("tool calling with the trained chat model", () => {
  let server: TestServer;
  let client: OpenAI;
  before(async () => {
    server = await startServer(["--model", TINY_CHAT]);
    client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
  });
  after(() => server?.stop());

  test("openai SDK, non-streamed: the model decides to call get_weather with the city", async () => {
    const completion = await client.chat.completions.create({
      model: "oserve-tiny-chat",
      messages: [{ role: "user", content: "What's the weather in Paris?" }],
      tools: [GET_WEATHER, GET_TIME, SEARCH_DOCS],
      temperature: 0,
    });
    const choice = completion.choices[0]!;
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(choice.message.content, null);
    const [call, ...rest] = choice.message.tool_calls ?? [];
    assert.equal(rest.length, 0);
    assert.equal(call!.type, "function");
    assert.match(call!.id, /^call_/);
    assert.equal(call!.type === "function" && call!.function.name, "get_weather");
    assert.deepEqual(call!.type === "function" && JSON.parse(call!.function.arguments), { city: "Paris" });
  });

  test("openai SDK, streamed: the stream helper accumulates the tool call", async () => {
    const stream = client.chat.completions.stream({
      model: "oserve-tiny-chat",
      messages: [{ role: "user", content: "What time is it in Tokyo?" }],
      tools: [GET_WEATHER, GET_TIME],
      temperature: 0,
    });
    const completion = await stream.finalChatCompletion();
    const call = completion.choices[0]!.message.tool_calls![0]!;
    assert.equal(completion.choices[0]!.finish_reason, "tool_calls");
    assert.equal(call.type === "function" && call.function.name, "get_time");
    assert.deepEqual(call.type === "function" && JSON.parse(call.function.arguments), { city: "Tokyo" });
  });

  test("openai SDK runTools: a full agent loop (call, tool result, final answer)", async () => {
    const calls: unknown[] = [];
    const runner = client.chat.completions.runTools({
      model: "oserve-tiny-chat",
      temperature: 0,
      messages: [{ role: "user", content: "Weather in Oslo?" }],
      tools: [
        {
          type: "function",
          function: {
            name: GET_WEATHER.function.name,
            description: GET_WEATHER.function.description!,
            parameters: GET_WEATHER.function.parameters!,
            parse: JSON.parse,
            function: (args: { city: string }) => {
              calls.push(args);
              return OSLO_WEATHER;
            },
          },
        },
      ],
    });
    assert.equal(await runner.finalContent(), OSLO_ANSWER);
    assert.deepEqual(calls, [{ city: "Oslo" }]);
  });

  test("two cities: two parallel calls with indexes 0 and 1, in one stream id", async () => {
    const frames = await readFrames(
      await postChat(server.baseURL, {
        messages: [{ role: "user", content: "What's the weather in Paris and Rome?" }],
        tools: [GET_WEATHER],
        temperature: 0,
        stream: true,
      }),
    );
    const chunks = dataChunks(frames);
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    const opened = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).filter((d: any) => d.id);
    assert.deepEqual(opened.map((d: any) => [d.index, d.function.name]), [[0, "get_weather"], [1, "get_weather"]]);
    const args = ["", ""];
    for (const delta of chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])) args[delta.index] += delta.function.arguments;
    assert.deepEqual(args.map((a) => JSON.parse(a).city), ["Paris", "Rome"]);
    assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason, "tool_calls");
  });

  test("parallel_tool_calls: false allows one call only", async () => {
    const completion = await client.chat.completions.create({
      model: "x",
      messages: [{ role: "user", content: "What's the weather in Paris and Rome?" }],
      tools: [GET_WEATHER],
      parallel_tool_calls: false,
      temperature: 0,
    });
    assert.equal(completion.choices[0]!.message.tool_calls?.length, 1);
  });

  test("a question that needs no tool gets text, not a call", async () => {
    const completion = await client.chat.completions.create({
      model: "x",
      messages: [{ role: "user", content: "What is the capital of France?" }],
      tools: [GET_WEATHER, ADD],
      temperature: 0,
    });
    assert.equal(completion.choices[0]!.finish_reason, "stop");
    assert.equal(completion.choices[0]!.message.content, "The capital of France is Paris.");
    assert.equal(completion.choices[0]!.message.tool_calls, undefined);
  });

  test("Vercel AI SDK generateText: tools over several steps", async () => {
    const provider = createOpenAICompatible({ name: "oserve", baseURL: server.baseURL });
    const seen: string[] = [];
    const result = await generateText({
      model: provider.chatModel("oserve-tiny-chat"),
      temperature: 0,
      prompt: "Weather in Oslo?",
      tools: {
        get_weather: tool({
          description: "Get the current weather in a city",
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            seen.push(city);
            return OSLO_WEATHER;
          },
        }),
      },
      stopWhen: stepCountIs(4),
    });
    assert.deepEqual(seen, ["Oslo"]);
    assert.equal(result.steps.length, 2);
    assert.equal(result.steps[0]!.finishReason, "tool-calls");
    assert.equal(result.text, OSLO_ANSWER);
  });

  test("Vercel AI SDK streamText: tools over several steps, streamed", async () => {
    const provider = createOpenAICompatible({ name: "oserve", baseURL: server.baseURL, includeUsage: true });
    const result = streamText({
      model: provider.chatModel("oserve-tiny-chat"),
      temperature: 0,
      prompt: "What time is it in Tokyo?",
      tools: {
        get_time: tool({
          description: "Get the current time in a city",
          inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }),
          execute: async ({ city }) => ({ city, time: "14:05" }),
        }),
      },
      stopWhen: stepCountIs(3),
    });
    let streamed = "";
    for await (const delta of result.textStream) streamed += delta;
    const steps = await result.steps;
    assert.equal(steps.length, 2);
    const [call] = steps[0]!.toolCalls;
    assert.equal(call!.toolName, "get_time");
    assert.deepEqual(call!.input, { city: "Tokyo" });
    assert.equal(streamed, await result.text);
    assert.ok((await result.totalUsage).inputTokens! > 0);
  });

  test("LangChain ChatOpenAI.bindTools, streamed: the accumulated message has the tool call", async () => {
    const model = new ChatOpenAI({ model: "oserve-tiny-chat", apiKey: "unused", temperature: 0, configuration: { baseURL: server.baseURL } });
    const stream = await model.bindTools([GET_WEATHER, GET_TIME]).stream("Weather in Oslo?");
    let message: AIMessageChunk | undefined;
    for await (const chunk of stream) message = message ? concat(message, chunk) : chunk;
    assert.equal(message!.tool_calls?.length, 1);
    assert.equal(message!.tool_calls![0]!.name, "get_weather");
    assert.deepEqual(message!.tool_calls![0]!.args, { city: "Oslo" });
    assert.match(message!.tool_calls![0]!.id!, /^call_/);
  });
});
