// Several models in one server (--model NAME=PATH, given more than once): every route serves the
// model a request names, the first model serves any other name, /v1/models lists them all, and
// requests to different models run side by side, each in its own model's slots.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { health, metric, RANDOM, startServer, TINY_CHAT, TINY_THINK, until, type TestServer } from "../helpers/test-server.ts";
import { dataChunks, postChat, readFrames } from "../helpers/sse-frames.ts";

const CAPITAL = "What is the capital of France?";
const CAPITAL_ANSWER = "The capital of France is Paris.";
const CAPITAL_THOUGHT = "The user asks for the capital of France. It is Paris.";
/** Anthropic's SDK no longer types sampling parameters; the API still takes them. */
const GREEDY = { temperature: 0 } as {};

let server: TestServer;
let openai: OpenAI;
let anthropic: Anthropic;
/** A file that starts like a GGUF and is cut short: it passes the startup check, and fails to load. */
let broken: string;
before(async () => {
  broken = join(mkdtempSync(join(tmpdir(), "oserve-broken-")), "broken.gguf");
  writeFileSync(broken, readFileSync(TINY_CHAT).subarray(0, 64 * 1024));
  server = await startServer(["--model", `chat=${TINY_CHAT}`, "--model", `random=${RANDOM}`, "--model", `think=${TINY_THINK}`, "--model", `broken=${broken}`, "--ctx-size", "2048", "--parallel", "2"]);
  openai = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
});
after(async () => {
  assert.equal(await server?.stop(), 0);
  assert.doesNotMatch(server.stderr().replaceAll(/^oserve: broken: .*$/gm, ""), /failed/);
});

describe("three models in one server", { timeout: 90_000 }, () => {
  test("the ready line and /v1/models name them all, in order, with their states; /v1/models/{id} finds each, and 404s another", async () => {
    assert.match(server.stdout(), /\(model: chat, random, think, broken\)\n$/);
    const states = (models: Array<{ id: string }>) => models.map((m) => [m.id, (m as { status?: { value: string } }).status?.value]);
    const expected = [["chat", "loaded"], ["random", "unloaded"], ["think", "unloaded"], ["broken", "unloaded"]];
    assert.deepEqual(states((await openai.models.list()).data), expected);
    assert.deepEqual(states((await anthropic.models.list()).data), expected);
    assert.equal((await openai.models.retrieve("random")).id, "random");
    await assert.rejects(openai.models.retrieve("gpt-9"), (error: unknown) => error instanceof OpenAI.NotFoundError);
    // The default model loaded at startup, its weights and window said; the others load on first use.
    assert.match(server.stderr(), /^oserve: chat: context: 2048 tokens per request/m);
    assert.match(server.stderr(), /^oserve: random, think, broken: loaded on first use$/m);
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
    const status = (await health(server)) as unknown as { slots_total: number; models: Array<{ id: string; state: string; slots_total: number; slots_in_use: number }> };
    assert.equal(status.slots_total, 6);
    assert.deepEqual(status.models.map((model) => [model.id, model.state, model.slots_total, model.slots_in_use]), [
      ["chat", "loaded", 2, 0],
      ["random", "loaded", 2, 0],
      ["think", "loaded", 2, 0],
      ["broken", "unloaded", 0, 0],
    ]);
    // Each loaded on first use, once, and said so.
    for (const model of ["random", "think"]) {
      assert.equal(await metric(server, "oserve_model_loads_total", { model, result: "ok" }), 1, model);
      assert.match(server.stderr(), new RegExp(`^oserve: ${model}: loaded in [\\d.]+ s .*; context: 2048 tokens per request`, "m"));
    }
    // The access line and the counters name the model that served each request.
    await until(async () => /POST \/v1\/chat\/completions 200 request_id=\S+ model=random /.test(server.stderr()), 5000, "an access line naming the model");
    for (const model of ["chat", "random", "think"]) assert.ok((await metric(server, "oserve_completion_tokens_total", { route: "/v1/chat/completions", model })) > 0, model);
  });

  test("a model that fails to load answers every request waiting for it with the error, streams included; the others go on serving", async () => {
    const asks = [
      openai.chat.completions.create({ model: "broken", messages: [{ role: "user", content: CAPITAL }] }),
      openai.embeddings.create({ model: "broken", input: "x" }),
    ];
    // Handled at once: a rejection left unawaited while the first is checked would fail the test as unhandled.
    for (const ask of asks) ask.catch(() => {});
    const streamed = postChat(server.baseURL, { model: "broken", messages: [{ role: "user", content: CAPITAL }], stream: true }).then(readFrames);
    const beside = openai.chat.completions.create({ model: "chat", messages: [{ role: "user", content: CAPITAL }], temperature: 0 });
    for (const ask of asks) {
      await assert.rejects(ask, (error: unknown) => {
        assert.ok(error instanceof OpenAI.InternalServerError, String(error));
        assert.match(error.message, /The model 'broken' could not be loaded: .*llama\.cpp: .*failed to read key-value pairs/);
        // Where the server keeps its models is its own business: the log has the path, the client does not.
        assert.ok(!error.message.includes(dirname(broken)), error.message);
        assert.equal((error.error as { code?: string }).code, "model_load_failed");
        return true;
      });
    }
    const frames = await streamed;
    assert.equal(frames.at(-1)!.data, "[DONE]");
    const failure = JSON.parse(frames.at(-2)!.data!);
    assert.deepEqual([failure.error.code, /could not be loaded/.test(failure.error.message)], ["model_load_failed", true]);
    assert.equal((await beside).choices[0]!.message.content, CAPITAL_ANSWER);
    // Anthropic's shape for the same failure.
    await assert.rejects(anthropic.messages.create({ model: "broken", max_tokens: 10, messages: [{ role: "user", content: CAPITAL }] }), (error: unknown) => {
      assert.ok(error instanceof Anthropic.InternalServerError, String(error));
      assert.match(error.message, /api_error.*could not be loaded/);
      return true;
    });
    // Some ten requests (the SDKs retry a 500 twice) within seconds; the file is tried again only
    // after a backoff of 1 s, then 2, then 4: a few loads, not one a request.
    const loads = await metric(server, "oserve_model_loads_total", { model: "broken", result: "failed" });
    assert.ok(loads >= 1 && loads <= 3, `${loads} failed loads`);
    const listed = (await (await fetch(`${server.baseURL}/models/broken`)).json()) as { status: { value: string; failed?: boolean; error?: string } };
    assert.deepEqual([listed.status.value, listed.status.failed], ["unloaded", true]);
    assert.ok(!listed.status.error?.includes(dirname(broken)), listed.status.error);
    assert.match(server.stderr(), /^oserve: broken: The model 'broken' could not be loaded: /m);
    assert.equal((await health(server)).status, "ok", "the server goes on");
  });
});
