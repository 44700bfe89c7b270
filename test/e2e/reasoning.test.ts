// A thinking model's thought apart from its answer on every route, with real clients, against the
// two trained thinking models: Qwen3's format (`<think>`) and gpt-oss's Harmony (channels).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { KEEPALIVE_HEADER } from "../../src/request/keepalive-header.ts";
import { KEEPALIVE_MODES, type KeepaliveMode } from "../../src/stream/keepalive-policy.ts";
import { metric, startServers, TINY_HARMONY, TINY_THINK, until, type TestServer } from "../helpers/test-server.ts";
import { GET_WEATHER, OSLO_ANSWER, OSLO_WEATHER_TEXT } from "../helpers/tiny-chat-tools.ts";

const CAPITAL = "What is the capital of France?";
const CAPITAL_THOUGHT = "The user asks for the capital of France. It is Paris.";
const CAPITAL_ANSWER = "The capital of France is Paris.";
const OSLO = "What's the weather in Oslo?";
const OSLO_CALL_THOUGHT = "I need the weather in Oslo, so I call get_weather.";
const OSLO_RESULT_THOUGHT = "The tool says 12 degrees and rainy in Oslo.";
/** What a model's format uses to frame a thought or a channel: none may reach a client's text. */
const MARKERS = ["<think>", "</think>", "<|channel|>", "<|message|>", "<|start|>", "<|end|>", "<|constrain|>", "<|call|>", "<|return|>"];
const SIGNED = /^oserve1\./;

const cityParams = { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] };
const RESPONSES_WEATHER = { type: "function" as const, name: "get_weather", description: "Get the current weather in a city", parameters: cityParams, strict: false };
const ANTHROPIC_WEATHER = { name: "get_weather", description: "Get the current weather in a city", input_schema: cityParams };
/** Anthropic's SDK no longer types sampling parameters; the API still takes them, and tests must be deterministic. */
const GREEDY = { temperature: 0 } as {};

/** Some 30 short requests (about 6 s) each, with room for a busy machine. */
const SUITE_TIMEOUT_MS = 90_000;

const MODELS = [
  // formatTokens: ids of the format's own tokens, for a model pushed to write them where they do not belong.
  // (A call's opener, `<tool_call>`, is not among them: with tools offered the call grammar takes over
  // from it; without, the parser reads it as text, as llama-server does.)
  // afterResult: the turn after the tool's result, as the model answers it through its own template (llama-server's answer too).
  {
    label: "Qwen3 format (oserve-tiny-think)",
    path: TINY_THINK,
    canTurnThinkingOff: true,
    formatTokens: { "</think>": "151668" },
    afterResult: { thought: OSLO_RESULT_THOUGHT, answer: OSLO_ANSWER },
  },
  {
    label: "Harmony format (oserve-tiny-harmony)",
    path: TINY_HARMONY,
    canTurnThinkingOff: false,
    formatTokens: { "<|start|>": "151646", "<|channel|>": "151649" },
    // gpt-oss's template writes a tool's output as a JSON string (`tojson`: quoted, escaped), as
    // llama-server renders it; this small model, trained on the bare object, answers at once with
    // what it would have thought.
    afterResult: { thought: undefined, answer: OSLO_RESULT_THOUGHT },
  },
];

function assertClean(text: string, what: string) {
  for (const marker of MARKERS) assert.ok(!text.includes(marker), `${what} contains ${marker}: ${JSON.stringify(text)}`);
}

/** Reasoning tokens are counted apart: some, and fewer than all the completion's tokens. */
function assertReasoningCounted(reasoning: number | undefined, completion: number, what: string) {
  assert.ok(reasoning !== undefined && reasoning > 0 && reasoning < completion, `${what}: ${reasoning} reasoning of ${completion} tokens`);
}

/** One server serves every keepalive mode: the header picks it per request, with an interval short enough to fire. */
const keepalive = (mode: KeepaliveMode) => ({ headers: { [KEEPALIVE_HEADER]: `${mode}; interval=0.1` } });

type ChatDelta = OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };
type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessage & { reasoning_content?: string };

// The file's three servers, started together: one a thinking model, and one more with --reasoning-format inline.
const servers = new Map<string, TestServer>();
before(async () => {
  const started = await startServers(...MODELS.map((model) => ["--model", model.path, "--ctx-size", "2048"]), ["--model", TINY_THINK, "--ctx-size", "2048", "--reasoning-format", "inline"]);
  [...MODELS.map((model) => model.path), "inline"].forEach((key, i) => servers.set(key, started[i]!));
});
after(async () => {
  for (const [key, server] of servers) {
    assert.equal(await server.stop(), 0, key);
    assert.doesNotMatch(server.stderr(), /failed/, `${key}: no request was logged as a server failure`);
  }
});

for (const model of MODELS) {
  describe(`reasoning, ${model.label}: the thought apart from the answer on every route`, { timeout: SUITE_TIMEOUT_MS }, () => {
    let server: TestServer;
    let openai: OpenAI;
    let anthropic: Anthropic;
    before(() => {
      server = servers.get(model.path)!;
      openai = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
      anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
    });

    test("chat, non-streamed: reasoning_content holds the thought, content the answer, reasoning tokens counted apart (in /metrics too)", async () => {
      const reasoningMetric = () => metric(server, "oserve_reasoning_tokens_total", { route: "/v1/chat/completions" });
      const before = await reasoningMetric();
      const completion = await openai.chat.completions.create({ model: "x", messages: [{ role: "user", content: CAPITAL }], temperature: 0 });
      const choice = completion.choices[0]!;
      const message = choice.message as ChatMessage;
      assert.equal(choice.finish_reason, "stop");
      assert.equal(message.reasoning_content, CAPITAL_THOUGHT);
      assert.equal(message.content, CAPITAL_ANSWER);
      assertReasoningCounted(completion.usage!.completion_tokens_details?.reasoning_tokens, completion.usage!.completion_tokens, "chat usage");
      // The request's line is counted once its response is over: poll for it.
      const expected = before + completion.usage!.completion_tokens_details!.reasoning_tokens!;
      await until(async () => (await reasoningMetric()) === expected, 5000, `oserve_reasoning_tokens_total at ${expected}`);
    });

    for (const mode of KEEPALIVE_MODES) {
      test(`chat, streamed (keepalive ${mode}): reasoning_content deltas first, then content deltas`, async () => {
        const stream = await openai.chat.completions.create(
          { model: "x", messages: [{ role: "user", content: CAPITAL }], temperature: 0, stream: true, stream_options: { include_usage: true } },
          keepalive(mode),
        );
        let reasoning = "";
        let content = "";
        let usage: OpenAI.CompletionUsage | undefined;
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta as ChatDelta | undefined;
          if (delta?.reasoning_content) {
            assert.equal(content, "", "no thought after the answer began");
            reasoning += delta.reasoning_content;
          }
          if (delta?.content) content += delta.content;
          usage = chunk.usage ?? usage;
        }
        assert.equal(reasoning, CAPITAL_THOUGHT);
        assert.equal(content, CAPITAL_ANSWER);
        assertReasoningCounted(usage?.completion_tokens_details?.reasoning_tokens, usage!.completion_tokens, "streamed chat usage");
      });
    }

    test("Responses, non-streamed: a reasoning item before the message, no encrypted_content unless asked", async () => {
      const response = await openai.responses.create({ model: "x", input: CAPITAL, temperature: 0 });
      assert.equal(response.status, "completed");
      assert.deepEqual(response.output.map((item) => item.type), ["reasoning", "message"]);
      const reasoning = response.output[0] as OpenAI.Responses.ResponseReasoningItem;
      assert.match(reasoning.id, /^rs_/);
      assert.equal(reasoning.status, "completed");
      assert.deepEqual(reasoning.summary, []);
      assert.deepEqual(reasoning.content, [{ type: "reasoning_text", text: CAPITAL_THOUGHT }]);
      assert.equal(reasoning.encrypted_content, undefined);
      assert.equal(response.output_text, CAPITAL_ANSWER);
      assertReasoningCounted(response.usage!.output_tokens_details.reasoning_tokens, response.usage!.output_tokens, "Responses usage");
    });

    for (const mode of KEEPALIVE_MODES) {
      test(`Responses, responses.stream (keepalive ${mode}): the reasoning item's events in order, then the message`, async () => {
        const events: OpenAI.Responses.ResponseStreamEvent[] = [];
        const stream = openai.responses.stream({ model: "x", input: CAPITAL, temperature: 0, include: ["reasoning.encrypted_content"] }, keepalive(mode));
        stream.on("event", (event) => events.push(event));
        const response = await stream.finalResponse();
        assert.equal(response.output_text, CAPITAL_ANSWER);
        const reasoning = response.output[0];
        assert.ok(reasoning?.type === "reasoning", JSON.stringify(response.output));
        assert.deepEqual(reasoning.content, [{ type: "reasoning_text", text: CAPITAL_THOUGHT }]);
        assert.match(reasoning.encrypted_content ?? "", SIGNED);
        assertReasoningCounted(response.usage!.output_tokens_details.reasoning_tokens, response.usage!.output_tokens, "streamed Responses usage");

        const ofThought = events.filter((event) => "output_index" in event && event.output_index === 0).map((event) => event.type);
        assert.deepEqual(
          ofThought.filter((type, i) => type !== ofThought[i - 1]),
          ["response.output_item.added", "response.content_part.added", "response.reasoning_text.delta", "response.reasoning_text.done", "response.content_part.done", "response.output_item.done"],
        );
        const deltas = events.flatMap((event) => (event.type === "response.reasoning_text.delta" ? [event.delta] : []));
        assert.equal(deltas.join(""), CAPITAL_THOUGHT);
        const done = events.find((event) => event.type === "response.reasoning_text.done");
        assert.equal(done?.type === "response.reasoning_text.done" && done.text, CAPITAL_THOUGHT);
        const added = events.find((event) => event.type === "response.output_item.added");
        assert.equal(added?.type === "response.output_item.added" && added.item.type, "reasoning");
        const firstText = events.findIndex((event) => event.type === "response.output_text.delta");
        const thoughtDone = events.findIndex((event) => event.type === "response.output_item.done");
        assert.ok(thoughtDone >= 0 && thoughtDone < firstText, "the reasoning item closes before the answer starts");
      });
    }

    test("Messages, non-streamed: a signed thinking block, then the text", async () => {
      const message = await anthropic.messages.create({ model: "x", max_tokens: 64, ...GREEDY, messages: [{ role: "user", content: CAPITAL }] });
      assert.equal(message.stop_reason, "end_turn");
      assert.equal(message.content.length, 2);
      const [thinking, text] = message.content;
      assert.ok(thinking?.type === "thinking", JSON.stringify(message.content));
      assert.equal(thinking.thinking, CAPITAL_THOUGHT);
      assert.match(thinking.signature, SIGNED);
      assert.deepEqual(text, { type: "text", text: CAPITAL_ANSWER });
    });

    for (const mode of KEEPALIVE_MODES) {
      test(`Messages, messages.stream (keepalive ${mode}): thinking deltas, one signature_delta, then the text block`, async () => {
        const events: Anthropic.MessageStreamEvent[] = [];
        const stream = anthropic.messages.stream({ model: "x", max_tokens: 64, ...GREEDY, messages: [{ role: "user", content: CAPITAL }] }, keepalive(mode));
        stream.on("streamEvent", (event) => events.push(event));
        const message = await stream.finalMessage();
        const [thinking, text] = message.content;
        assert.ok(thinking?.type === "thinking", JSON.stringify(message.content));
        assert.equal(thinking.thinking, CAPITAL_THOUGHT);
        assert.match(thinking.signature, SIGNED);
        assert.deepEqual(text, { type: "text", text: CAPITAL_ANSWER });

        const block0 = events.filter((event) => "index" in event && event.index === 0);
        assert.deepEqual(block0[0], { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } });
        const deltas = block0.slice(1, -1).map((event) => (event.type === "content_block_delta" ? event.delta.type : event.type));
        assert.deepEqual(deltas.filter((type, i) => type !== deltas[i - 1]), ["thinking_delta", "signature_delta"]);
        assert.equal(deltas.filter((type) => type === "signature_delta").length, 1);
        assert.equal(block0.at(-1)!.type, "content_block_stop");
      });
    }

    test("chat tool loop: the call's thought sent back as reasoning_content, then the tool result, then the answer", async () => {
      const question = { role: "user" as const, content: OSLO };
      const called = await openai.chat.completions.create({ model: "x", messages: [question], tools: [GET_WEATHER], temperature: 0 });
      const message = called.choices[0]!.message as ChatMessage;
      assert.equal(called.choices[0]!.finish_reason, "tool_calls");
      assert.equal(message.reasoning_content, OSLO_CALL_THOUGHT);
      const call = message.tool_calls?.[0];
      assert.ok(call?.type === "function", JSON.stringify(message));
      assert.deepEqual([call.function.name, JSON.parse(call.function.arguments)], ["get_weather", { city: "Oslo" }]);
      assertReasoningCounted(called.usage!.completion_tokens_details?.reasoning_tokens, called.usage!.completion_tokens, "tool call usage");

      const turn = (assistant: object) =>
        [question, assistant, { role: "tool", tool_call_id: call.id, content: OSLO_WEATHER_TEXT }] as OpenAI.Chat.Completions.ChatCompletionMessageParam[];
      const assistant = { role: "assistant", content: null, reasoning_content: message.reasoning_content, tool_calls: message.tool_calls };
      const answer = await openai.chat.completions.create({ model: "x", messages: turn(assistant), tools: [GET_WEATHER], temperature: 0 });
      const final = answer.choices[0]!.message as ChatMessage;
      assert.equal(answer.choices[0]!.finish_reason, "stop");
      assert.equal(final.content, model.afterResult.answer);
      assert.equal(final.reasoning_content, model.afterResult.thought);
      // The thought sent back is in the model's history: the same turn without it is shorter.
      const withoutThought = await openai.chat.completions.create({ model: "x", messages: turn({ ...assistant, reasoning_content: undefined }), tools: [GET_WEATHER], temperature: 0, max_tokens: 1 });
      assert.ok(answer.usage!.prompt_tokens >= withoutThought.usage!.prompt_tokens + 10, `${answer.usage!.prompt_tokens} vs ${withoutThought.usage!.prompt_tokens} without the thought`);
    });

    test("Responses tool loop: the reasoning item's encrypted_content, the function_call and its output, then the answer; previous_response_id keeps the thought too", async () => {
      const called = await openai.responses.create({ model: "x", input: OSLO, tools: [RESPONSES_WEATHER], temperature: 0, include: ["reasoning.encrypted_content"] });
      assert.deepEqual(called.output.map((item) => item.type), ["reasoning", "function_call"]);
      const [reasoning, call] = called.output;
      assert.ok(reasoning?.type === "reasoning" && call?.type === "function_call");
      assert.deepEqual(reasoning.content, [{ type: "reasoning_text", text: OSLO_CALL_THOUGHT }]);
      assert.match(reasoning.encrypted_content ?? "", SIGNED);
      assert.deepEqual([call.name, JSON.parse(call.arguments)], ["get_weather", { city: "Oslo" }]);

      // As Codex sends it back: the encrypted thought alone, no readable content.
      const sealed = { type: "reasoning" as const, id: reasoning.id, summary: [], encrypted_content: reasoning.encrypted_content! };
      const output = { type: "function_call_output" as const, call_id: call.call_id, output: OSLO_WEATHER_TEXT };
      const input = (...thought: OpenAI.Responses.ResponseInputItem[]): OpenAI.Responses.ResponseInputItem[] => [{ role: "user", content: OSLO }, ...thought, call, output];
      const answer = await openai.responses.create({ model: "x", input: input(sealed), tools: [RESPONSES_WEATHER], temperature: 0, store: false });
      assert.equal(answer.status, "completed");
      assert.equal(answer.output_text, model.afterResult.answer);
      const thought = answer.output.find((item) => item.type === "reasoning");
      const expected = model.afterResult.thought;
      assert.deepEqual(thought?.type === "reasoning" ? thought.content : undefined, expected === undefined ? undefined : [{ type: "reasoning_text", text: expected }]);
      assertClean(answer.output_text, "Responses answer");

      const withoutThought = await openai.responses.create({ model: "x", input: input(), tools: [RESPONSES_WEATHER], temperature: 0, store: false, max_output_tokens: 1 });
      assert.ok(answer.usage!.input_tokens >= withoutThought.usage!.input_tokens + 10, `${answer.usage!.input_tokens} vs ${withoutThought.usage!.input_tokens} without the thought`);
      const chained = await openai.responses.create({ model: "x", previous_response_id: called.id, input: [output], tools: [RESPONSES_WEATHER], temperature: 0 });
      assert.equal(chained.output_text, model.afterResult.answer);
      assert.equal(chained.usage!.input_tokens, answer.usage!.input_tokens, "the chain restores the same history as the encrypted thought");
    });

    test("Messages tool loop: the signed thinking block and tool_use sent back, then tool_result, then the answer", async () => {
      const question = { role: "user" as const, content: OSLO };
      const called = await anthropic.messages.stream({ model: "x", max_tokens: 64, ...GREEDY, tools: [ANTHROPIC_WEATHER], messages: [question] }).finalMessage();
      assert.equal(called.stop_reason, "tool_use");
      assert.deepEqual(called.content.map((block) => block.type), ["thinking", "tool_use"]);
      const [thinking, use] = called.content;
      assert.ok(thinking?.type === "thinking" && use?.type === "tool_use");
      assert.equal(thinking.thinking, OSLO_CALL_THOUGHT);
      assert.match(thinking.signature, SIGNED);
      assert.deepEqual([use.name, use.input], ["get_weather", { city: "Oslo" }]);

      const result = { role: "user" as const, content: [{ type: "tool_result" as const, tool_use_id: use.id, content: OSLO_WEATHER_TEXT }] };
      const turn = (content: Anthropic.ContentBlockParam[]) => ({ model: "x", max_tokens: 64, ...GREEDY, tools: [ANTHROPIC_WEATHER], messages: [question, { role: "assistant" as const, content }, result] });
      const answer = await anthropic.messages.create(turn(called.content));
      assert.equal(answer.stop_reason, "end_turn");
      const thoughts = answer.content.filter((block) => block.type === "thinking").map((block) => block.type === "thinking" && block.thinking);
      assert.deepEqual(thoughts, model.afterResult.thought === undefined ? [] : [model.afterResult.thought]);
      assert.deepEqual(answer.content.at(-1), { type: "text", text: model.afterResult.answer });
      const seen = (usage: Anthropic.Usage) => usage.input_tokens + (usage.cache_read_input_tokens ?? 0);
      const withoutThought = await anthropic.messages.create({ ...turn([use]), max_tokens: 1 });
      assert.ok(seen(answer.usage) >= seen(withoutThought.usage) + 10, `${seen(answer.usage)} vs ${seen(withoutThought.usage)} without the thought`);
      // display "omitted" sends no thinking text, but its signature alone restores the thought.
      const omitted = await anthropic.messages.create({ ...turn([{ type: "thinking", thinking: "", signature: thinking.signature }, use]), max_tokens: 1 });
      assert.equal(seen(omitted.usage), seen(answer.usage));
    });

    test('Messages thinking {type: "adaptive", display: "omitted"}: thinking blocks with no text but a signature', async () => {
      const message = await anthropic.messages.create({
        model: "x",
        max_tokens: 64,
        ...GREEDY,
        thinking: { type: "adaptive", display: "omitted" },
        messages: [{ role: "user", content: CAPITAL }],
      });
      const [thinking, text] = message.content;
      assert.ok(thinking?.type === "thinking", JSON.stringify(message.content));
      assert.equal(thinking.thinking, "");
      assert.match(thinking.signature, SIGNED);
      assert.deepEqual(text, { type: "text", text: CAPITAL_ANSWER });
    });

    test("a length cut inside the thought: chat 'length' with content '', Responses 'incomplete' with a reasoning item, Messages 'max_tokens' with a thinking block", async () => {
      const chat = await openai.chat.completions.create({ model: "x", messages: [{ role: "user", content: CAPITAL }], temperature: 0, max_tokens: 5 });
      const message = chat.choices[0]!.message as ChatMessage;
      assert.equal(chat.choices[0]!.finish_reason, "length");
      assert.ok(message.reasoning_content && CAPITAL_THOUGHT.startsWith(message.reasoning_content), JSON.stringify(message));
      assert.equal(message.content, "");

      const response = await openai.responses.create({ model: "x", input: CAPITAL, temperature: 0, max_output_tokens: 5 });
      assert.equal(response.status, "incomplete");
      assert.equal(response.incomplete_details?.reason, "max_output_tokens");
      assert.deepEqual(response.output.map((item) => item.type), ["reasoning"]);
      const reasoning = response.output[0]!;
      const text = reasoning.type === "reasoning" ? reasoning.content?.[0]?.text : undefined;
      assert.ok(text && CAPITAL_THOUGHT.startsWith(text), JSON.stringify(reasoning));
      assert.equal(response.output_text, "");

      const cut = await anthropic.messages.create({ model: "x", max_tokens: 5, ...GREEDY, messages: [{ role: "user", content: CAPITAL }] });
      assert.equal(cut.stop_reason, "max_tokens");
      assert.deepEqual(cut.content.map((block) => block.type), ["thinking"]);
      const thinking = cut.content[0]!;
      assert.ok(thinking.type === "thinking" && thinking.thinking && CAPITAL_THOUGHT.startsWith(thinking.thinking), JSON.stringify(cut.content));
    });

    if (model.canTurnThinkingOff) {
      test('thinking off: chat reasoning_effort "none" and enable_thinking false, Responses effort "none", Messages disabled: the answer alone', async () => {
        const question = [{ role: "user" as const, content: CAPITAL }];
        for (const off of [{ reasoning_effort: "none" as const }, { chat_template_kwargs: { enable_thinking: false } }]) {
          const chat = await openai.chat.completions.create({ model: "x", messages: question, temperature: 0, ...off });
          const message = chat.choices[0]!.message as ChatMessage;
          assert.equal(message.content, CAPITAL_ANSWER, JSON.stringify(off));
          assert.equal(message.reasoning_content, undefined, JSON.stringify(off));
          assert.equal(chat.usage!.completion_tokens_details?.reasoning_tokens ?? 0, 0);
        }

        const response = await openai.responses.create({ model: "x", input: CAPITAL, temperature: 0, reasoning: { effort: "none" } });
        assert.deepEqual(response.output.map((item) => item.type), ["message"]);
        assert.equal(response.output_text, CAPITAL_ANSWER);
        assert.equal(response.usage!.output_tokens_details.reasoning_tokens, 0);

        const message = await anthropic.messages.create({ model: "x", max_tokens: 64, ...GREEDY, thinking: { type: "disabled" }, messages: question });
        assert.deepEqual(message.content, [{ type: "text", text: CAPITAL_ANSWER }]);
      });

      test("a thinking budget cuts the thought short; the answer follows, free of markers", async () => {
        const message = await anthropic.messages.create({
          model: "x",
          max_tokens: 64,
          ...GREEDY,
          thinking: { type: "enabled", budget_tokens: 3 },
          messages: [{ role: "user", content: CAPITAL }],
        });
        const [thinking, text] = message.content;
        assert.ok(thinking?.type === "thinking", JSON.stringify(message.content));
        assert.ok(thinking.thinking.length > 0 && CAPITAL_THOUGHT.startsWith(thinking.thinking), JSON.stringify(thinking));
        assert.ok(thinking.thinking.split(" ").length <= 3, `three tokens of thought at most: ${JSON.stringify(thinking.thinking)}`);
        assert.match(thinking.signature, SIGNED);
        assert.ok(text?.type === "text" && text.text.length > 0, JSON.stringify(message.content));
        assertClean(text.text, "the answer after a budget cut");
      });
    }

    test("a format token the model is pushed to write (logit_bias) never reaches the answer, on the direct path and through LlamaChat", async () => {
      // A model that writes one of its format's tokens where its format has no place for it.
      for (const [marker, token] of Object.entries(model.formatTokens)) {
        for (const tools of [undefined, [GET_WEATHER]]) {
          const completion = await openai.chat.completions.create({
            model: "x",
            messages: [{ role: "user", content: CAPITAL }],
            temperature: 0,
            max_tokens: 6,
            logit_bias: { [token]: 100 },
            tools,
          });
          const message = completion.choices[0]!.message as ChatMessage;
          assertClean(`${message.content ?? ""}${message.reasoning_content ?? ""}`, `${marker} forced${tools ? " with tools" : ""}`);
          assert.ok(!(message.content ?? "").includes(marker) && !(message.reasoning_content ?? "").includes(marker), `${marker} forced: ${JSON.stringify(message)}`);
        }
      }
    });

    test("no answer text carries a format's markers, whatever the route", async () => {
      const chat = await openai.chat.completions.create({ model: "x", messages: [{ role: "user", content: "Hello" }], temperature: 0 });
      const message = chat.choices[0]!.message as ChatMessage;
      assertClean(message.content ?? "", "chat content");
      assertClean(message.reasoning_content ?? "", "chat reasoning_content");
      assert.ok(message.content && message.reasoning_content, JSON.stringify(message));
      const response = await openai.responses.create({ model: "x", input: "Hello", temperature: 0 });
      for (const item of response.output) assertClean(JSON.stringify(item), `Responses ${item.type} item`);
      const reply = await anthropic.messages.create({ model: "x", max_tokens: 64, ...GREEDY, messages: [{ role: "user", content: "Hello" }] });
      for (const block of reply.content) assertClean(JSON.stringify(block), `Messages ${block.type} block`);
    });
  });
}

describe("--reasoning-format inline and hidden: where chat completions put the thought", { timeout: SUITE_TIMEOUT_MS }, () => {
  let server: TestServer;
  let openai: OpenAI;
  before(() => {
    server = servers.get("inline")!;
    openai = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
  });

  test("inline: the thought in content between <think> tags as the model wrote it, streamed and not; Responses and Messages keep their own items", async () => {
    const question = [{ role: "user" as const, content: CAPITAL }];
    const expected = `<think>\n${CAPITAL_THOUGHT}\n</think>\n\n${CAPITAL_ANSWER}`;
    const message = (await openai.chat.completions.create({ model: "x", messages: question, temperature: 0 })).choices[0]!.message as ChatMessage;
    assert.equal(message.content, expected);
    assert.equal(message.reasoning_content, undefined);
    let streamed = "";
    for await (const chunk of await openai.chat.completions.create({ model: "x", messages: question, temperature: 0, stream: true })) {
      const delta = chunk.choices[0]?.delta as ChatDelta | undefined;
      assert.equal(delta?.reasoning_content, undefined);
      streamed += delta?.content ?? "";
    }
    assert.equal(streamed, expected);
    const response = await openai.responses.create({ model: "x", input: CAPITAL, temperature: 0 });
    assert.deepEqual(response.output.map((item) => item.type), ["reasoning", "message"]);
    assert.equal(response.output_text, CAPITAL_ANSWER);
  });
});
