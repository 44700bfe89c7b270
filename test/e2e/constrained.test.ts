// Where the grammar decides (tool_choice required or named, json_schema), every model must comply:
// the trained one and the random-weight one alike. Where the model decides, only the trained one.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ajv } from "ajv";
import OpenAI from "openai";
import { RANDOM, startServers, TINY_CHAT, type TestServer } from "../helpers/test-server.ts";
import { postChat } from "../helpers/sse-frames.ts";
import { ADD, bounded, GET_TIME, GET_WEATHER, SEARCH_DOCS } from "../helpers/tiny-chat-tools.ts";

const PROMPTS = [
  "Hello",
  "What is the capital of France?",
  "What is 3 plus 4?",
  "What's the weather in Paris?",
  "What time is it in Tokyo?",
  "Reply in JSON: what is the capital of Japan?",
  "Hi there",
  "Use the add tool to add 3 and 4.",
  "Weather in Oslo?",
  "What is the capital of Peru?",
  "What is 12 plus 7?",
  "Good morning",
  "Describe the sea.",
  "What's the weather in Paris and Rome?",
  "Tell me about your tools.",
  "What is the capital of Kenya?",
  "Reply in JSON: what is the capital of Italy?",
  "What time is it in Lima?",
  "Say something.",
  "What is 0 plus 20?",
];

const PROFILE_SCHEMA = {
  type: "object",
  properties: {
    name: { type: "string", maxLength: 24 },
    age: { type: "integer" },
    tags: { type: "array", items: { type: "string", maxLength: 10 }, maxItems: 3 },
    kind: { enum: ["person", "robot"] },
    active: { type: "boolean" },
    home: { anyOf: [{ type: "null" }, { type: "object", properties: { city: { type: "string", maxLength: 16 } }, required: ["city"] }] },
  },
  required: ["name", "age", "tags", "kind", "active", "home"],
};

const ajv = new Ajv({ strict: false });

// One server a model, both started at once, for the whole file; the prompts of a test go in
// together (4 decode at once, the rest queue), as an app's concurrent users would send them.
const servers = new Map<string, TestServer>();
before(async () => {
  const started = await startServers(["--model", TINY_CHAT], ["--model", RANDOM]);
  for (const [i, path] of [TINY_CHAT, RANDOM].entries()) servers.set(path, started[i]!);
});
after(() => Promise.all([...servers.values()].map((server) => server.stop())));

for (const [label, modelPath] of [["trained chat model", TINY_CHAT], ["random-weight model", RANDOM]] as const) {
  describe(`grammar-enforced output on the ${label}`, () => {
    let client: OpenAI;
    const tools = [GET_WEATHER, GET_TIME, ADD, SEARCH_DOCS].map(bounded);
    before(() => {
      client = new OpenAI({ baseURL: servers.get(modelPath)!.baseURL, apiKey: "unused", maxRetries: 0 });
    });

    const argumentsFit = (call: OpenAI.Chat.Completions.ChatCompletionMessageToolCall, context: string) => {
      assert.ok(call.type === "function");
      const schema = tools.find((t) => t.function.name === call.function.name)!.function.parameters!;
      assert.ok(ajv.validate(schema, JSON.parse(call.function.arguments)), `${context}: ${call.function.arguments}`);
    };

    test("tool_choice required always produces one call whose arguments fit its schema", async () => {
      await Promise.all(PROMPTS.slice(0, 4).map(async (prompt) => {
        const completion = await client.chat.completions.create({
          model: "x", messages: [{ role: "user", content: prompt }], tools, tool_choice: "required", parallel_tool_calls: false, temperature: 0, max_tokens: 200,
        });
        const choice = completion.choices[0]!;
        assert.equal(choice.finish_reason, "tool_calls", prompt);
        assert.equal(choice.message.tool_calls!.length, 1, prompt);
        argumentsFit(choice.message.tool_calls![0]!, prompt);
      }));
    });

    test("tool_choice required with parallel calls: the first call is complete and fits its schema", async () => {
      // How many calls follow is the model's choice; a random model may go on until max_tokens.
      const completion = await client.chat.completions.create({
        model: "x", messages: [{ role: "user", content: "Hello" }], tools, tool_choice: "required", temperature: 0, max_tokens: 200,
      });
      argumentsFit(completion.choices[0]!.message.tool_calls![0]!, "Hello");
    });

    test("a named tool_choice always calls that function", async () => {
      await Promise.all(PROMPTS.slice(6, 10).map(async (prompt) => {
        const completion = await client.chat.completions.create({
          model: "x", messages: [{ role: "user", content: prompt }], tools, temperature: 0, max_tokens: 200, parallel_tool_calls: false,
          tool_choice: { type: "function", function: { name: "get_time" } },
        });
        const calls = completion.choices[0]!.message.tool_calls!;
        assert.equal(completion.choices[0]!.finish_reason, "tool_calls", prompt);
        assert.deepEqual(calls.map((c) => c.type === "function" && c.function.name), ["get_time"]);
        argumentsFit(calls[0]!, prompt);
      }));
    });

    test("tool_choice none never produces a call", async () => {
      await Promise.all(["What's the weather in Paris?", "What time is it in Tokyo?", "Use the add tool to add 3 and 4."].map(async (prompt) => {
        const completion = await client.chat.completions.create({
          model: "x", messages: [{ role: "user", content: prompt }], tools, tool_choice: "none", temperature: 0, max_tokens: 24,
        });
        assert.equal(completion.choices[0]!.message.tool_calls, undefined, prompt);
        assert.notEqual(completion.choices[0]!.finish_reason, "tool_calls");
      }));
    });

    // Every third prompt (a sum, a JSON request, weather, a greeting, tools, time): a profile is some 60-100 constrained tokens each.
    test("json_schema output parses and validates over 6 varied prompts", async () => {
      const validate = ajv.compile(PROFILE_SCHEMA);
      await Promise.all(PROMPTS.filter((_, i) => i % 3 === 2).map(async (prompt) => {
        const completion = await client.chat.completions.create({
          model: "x", messages: [{ role: "user", content: prompt }], temperature: 0, max_tokens: 300,
          response_format: { type: "json_schema", json_schema: { name: "profile", schema: PROFILE_SCHEMA, strict: true } },
        });
        const content = completion.choices[0]!.message.content!;
        assert.equal(completion.choices[0]!.finish_reason, "stop", `${prompt}: ${content}`);
        assert.ok(validate(JSON.parse(content)), `${prompt}: ${content} ${ajv.errorsText(validate.errors)}`);
      }));
    });
  });
}

describe("json_object and bad definitions, on the trained chat model", () => {
  let server: TestServer;
  before(() => {
    server = servers.get(TINY_CHAT)!;
  });

  test("json_object output parses over 10 varied prompts", async () => {
    await Promise.all(PROMPTS.filter((_, i) => i % 2 === 1).map(async (prompt) => {
      const response = await postChat(server.baseURL, {
        messages: [{ role: "user", content: prompt }], temperature: 0, max_tokens: 200, response_format: { type: "json_object" },
      });
      const content: unknown = (await response.json()).choices[0].message.content;
      assert.equal(typeof content, "string", `${prompt}: the answer is text`);
      assert.doesNotThrow(() => JSON.parse(content as string), `${prompt}: ${content}`);
    }));
  });

  const W = GET_WEATHER.function;
  const badCases: Array<[string, object, string]> = [
    ["a tool name with spaces", { tools: [{ type: "function", function: { ...W, name: "get weather" } }] }, "tools[0].function.name"],
    ["a tool of another type", { tools: [{ type: "retrieval", function: W }] }, "tools[0].type"],
    ["parameters that are not an object", { tools: [{ type: "function", function: { ...W, parameters: "city" } }] }, "tools[0].function.parameters"],
    ["parameters with an unsupported keyword", { tools: [{ type: "function", function: { ...W, parameters: { not: { type: "string" } } } }] }, "tools[0].function.parameters"],
    ["a remote $ref", { tools: [{ type: "function", function: { ...W, parameters: { $ref: "https://example.com/s.json" } } }] }, "tools[0].function.parameters"],
    ["two tools with one name", { tools: [GET_WEATHER, GET_WEATHER] }, "tools"],
    ["a named tool_choice that is not offered", { tools: [GET_WEATHER], tool_choice: { type: "function", function: { name: "get_time" } } }, "tool_choice"],
    ["tool_choice required without tools", { tool_choice: "required" }, "tool_choice"],
    ["an unknown tool_choice", { tools: [GET_WEATHER], tool_choice: "always" }, "tool_choice"],
    ["a response_format of unknown type", { response_format: { type: "yaml" } }, "response_format.type"],
    ["a json_schema with an unsupported keyword", { response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { a: { allOf: [{ type: "string" }, { minLength: 2 }] } } } } } }, "response_format.json_schema.schema"],
    ["response_format while tools may be called", { tools: [GET_WEATHER], response_format: { type: "json_object" } }, "response_format"],
  ];
  for (const [what, extra, param] of badCases) {
    test(`${what}: 400 naming ${param}`, async () => {
      const response = await postChat(server.baseURL, { messages: [{ role: "user", content: "Hello" }], ...extra });
      assert.equal(response.status, 400);
      const { error } = await response.json();
      assert.equal(error.param, param, error.message);
      assert.equal(error.type, "invalid_request_error");
    });
  }
});
