// Several models in one server (--model NAME=PATH, given more than once): every route serves the
// model a request names, the first model serves any other name, /v1/models lists them all, and
// requests to different models run side by side, each in its own model's slots.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { health, metric, RANDOM, startServer, TINY_CHAT, TINY_THINK, until, type TestServer } from "./server.ts";
import { dataChunks, postChat, readFrames } from "./sse.ts";

const CAPITAL = "What is the capital of France?";
const CAPITAL_ANSWER = "The capital of France is Paris.";
const CAPITAL_THOUGHT = "The user asks for the capital of France. It is Paris.";
/** Anthropic's SDK no longer types sampling parameters; the API still takes them. */
const GREEDY = { temperature: 0 } as {};

let server: TestServer;
let openai: OpenAI;
let anthropic: Anthropic;
before(async () => {
  server = await startServer(["--model", `chat=${TINY_CHAT}`, "--model", `random=${RANDOM}`, "--model", `think=${TINY_THINK}`, "--ctx-size", "2048", "--parallel", "2"]);
  openai = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
});
after(async () => {
  assert.equal(await server?.stop(), 0);
  assert.doesNotMatch(server.stderr(), /failed/);
});

describe("three models in one server", { timeout: 90_000 }, () => {
  test("the ready line and /v1/models name them all, in order; /v1/models/{id} finds each, and 404s another", async () => {
    assert.match(server.stdout(), /\(model: chat, random, think\)\n$/);
    assert.deepEqual((await openai.models.list()).data.map((m) => m.id), ["chat", "random", "think"]);
    assert.deepEqual((await anthropic.models.list()).data.map((m) => m.id), ["chat", "random", "think"]);
    assert.equal((await openai.models.retrieve("random")).id, "random");
    await assert.rejects(openai.models.retrieve("gpt-9"), (error: unknown) => error instanceof OpenAI.NotFoundError);
    // The startup lines name each model's weights and window.
    for (const name of ["chat", "random", "think"]) assert.match(server.stderr(), new RegExp(`^oserve: ${name}: context: 2048 tokens per request`, "m"));
  });

  test("chat completions: each name its model; no name, or another one, the first model", async () => {
    const ask = async (model: string) => (await openai.chat.completions.create({ model, messages: [{ role: "user", content: CAPITAL }], temperature: 0, max_tokens: 40 }));
    const [chat, random, think, other] = await Promise.all(["chat", "random", "think", "gpt-4o"].map(ask));
    assert.deepEqual([chat!.model, chat!.choices[0]!.message.content], ["chat", CAPITAL_ANSWER]);
    assert.equal(random!.model, "random");
    assert.notEqual(random!.choices[0]!.message.content, CAPITAL_ANSWER);
    assert.equal(think!.model, "think");
    assert.equal((think!.choices[0]!.message as { reasoning_content?: string }).reasoning_content, CAPITAL_THOUGHT);
    assert.deepEqual([other!.model, other!.choices[0]!.message.content], ["chat", CAPITAL_ANSWER]);
    const unnamed = await (await postChat(server.baseURL, { messages: [{ role: "user", content: CAPITAL }], temperature: 0 })).json();
    assert.deepEqual([unnamed.model, unnamed.choices[0].message.content], ["chat", CAPITAL_ANSWER]);
  });

  test("completions, Responses, Messages and embeddings route by model too", async () => {
    const prompt = `<|im_start|>user\n${CAPITAL}<|im_end|>\n<|im_start|>assistant\n`;
    const completion = await openai.completions.create({ model: "random", prompt, temperature: 0, max_tokens: 8 });
    assert.equal(completion.model, "random");
    assert.notEqual(completion.choices[0]!.text, CAPITAL_ANSWER);
    assert.equal((await openai.completions.create({ model: "chat", prompt, temperature: 0, max_tokens: 20 })).choices[0]!.text, CAPITAL_ANSWER);
    const response = await openai.responses.create({ model: "think", input: CAPITAL, temperature: 0 });
    assert.deepEqual([response.model, response.output.map((item) => item.type), response.output_text], ["think", ["reasoning", "message"], CAPITAL_ANSWER]);
    const message = await anthropic.messages.create({ model: "think", max_tokens: 200, ...GREEDY, messages: [{ role: "user", content: CAPITAL }] });
    assert.deepEqual([message.model, message.content.map((block) => block.type)], ["think", ["thinking", "text"]]);
    const claude = await anthropic.messages.create({ model: "claude-sonnet-4-5", max_tokens: 40, ...GREEDY, messages: [{ role: "user", content: CAPITAL }] });
    assert.deepEqual([claude.model, claude.content], ["chat", [{ type: "text", text: CAPITAL_ANSWER }]]);
    const [chatVector, randomVector] = await Promise.all(
      ["chat", "random"].map(async (model) => {
        const result = await openai.embeddings.create({ model, input: "The weather in Oslo is rainy.", encoding_format: "float" });
        assert.equal(result.model, model);
        return result.data[0]!.embedding;
      }),
    );
    assert.notDeepEqual(chatVector, randomVector, "two models embed a text differently");
  });

  test("streams to the three models at once each come from its own model, in its own slots", async () => {
    const streamed = async (model: string) => {
      const frames = await readFrames(await postChat(server.baseURL, { model, messages: [{ role: "user", content: CAPITAL }], temperature: 0, stream: true, max_tokens: 40 }));
      const chunks = dataChunks(frames);
      assert.ok(chunks.every((chunk) => chunk.model === model), model);
      return chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? "").join("");
    };
    const [chat, , think] = await Promise.all(["chat", "random", "think", "chat", "random", "think"].map(streamed));
    assert.equal(chat, CAPITAL_ANSWER);
    assert.equal(think, CAPITAL_ANSWER);
    const status = (await health(server)) as unknown as { slots_total: number; models: Array<{ id: string; slots_total: number; slots_in_use: number }> };
    assert.equal(status.slots_total, 6);
    assert.deepEqual(status.models.map((model) => [model.id, model.slots_total, model.slots_in_use]), [["chat", 2, 0], ["random", 2, 0], ["think", 2, 0]]);
    // The access line and the counters name the model that served each request.
    await until(async () => /POST \/v1\/chat\/completions 200 request_id=\S+ model=random /.test(server.stderr()), 5000, "an access line naming the model");
    for (const model of ["chat", "random", "think"]) assert.ok((await metric(server, "oserve_completion_tokens_total", { route: "/v1/chat/completions", model })) > 0, model);
  });
});
