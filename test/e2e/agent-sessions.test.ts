// What long agent sessions lean on, with real clients: the output cap (--max-tokens), the window the
// models list reports, request ids, images in a text-only history, and the overflow errors agents
// compact on. The random model: shapes and counts only, never what it says.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { RANDOM, startServer, type TestServer } from "../helpers/test-server.ts";

const CAP = 5;
const WINDOW = 256;
const IMAGE_PLACEHOLDER = "[image omitted: this model reads text only]";
/** A prompt longer than the window. */
const TOO_LONG = "Paris ".repeat(400);

describe(`--max-tokens ${CAP} --ctx-size ${WINDOW}: agent sessions`, () => {
  let server: TestServer;
  let openai: OpenAI;
  let anthropic: Anthropic;
  before(async () => {
    server = await startServer(["--model", RANDOM, "--max-tokens", String(CAP), "--ctx-size", String(WINDOW)]);
    openai = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
  });
  after(async () => {
    assert.equal(await server?.stop(), 0);
    assert.doesNotMatch(server.stderr(), /failed/);
  });

  test("the startup line says the window and the cap", () => {
    assert.match(server.stderr(), new RegExp(`context: ${WINDOW} tokens per request \\(--ctx-size\\) × 4 sequences, answers of at most ${CAP} tokens \\(--max-tokens\\)`));
  });

  test("every route takes the cap as its default and its ceiling: more is served, capped, as a length cut", async () => {
    const messages = [{ role: "user" as const, content: "Hello" }];
    for (const max_tokens of [undefined, 32000]) {
      const chat = await openai.chat.completions.create({ model: "x", temperature: 0, messages, ...(max_tokens ? { max_tokens } : {}) });
      assert.deepEqual([chat.usage!.completion_tokens, chat.choices[0]!.finish_reason], [CAP, "length"], `chat, max_tokens ${max_tokens}`);
    }
    const fewer = await openai.chat.completions.create({ model: "x", temperature: 0, messages, max_tokens: 3 });
    assert.equal(fewer.usage!.completion_tokens, 3, "a request may ask for less");
    const completion = await openai.completions.create({ model: "x", temperature: 0, prompt: "Once upon a time" });
    assert.deepEqual([completion.usage!.completion_tokens, completion.choices[0]!.finish_reason], [CAP, "length"], "completions: the cap, not 16");
    const response = await openai.responses.create({ model: "x", temperature: 0, input: "Hello", max_output_tokens: 32000 });
    assert.deepEqual([response.status, response.incomplete_details?.reason, response.usage!.output_tokens], ["incomplete", "max_output_tokens", CAP]);
    // Claude Code asks for 32000 on every request (streamed; the SDK refuses so much unstreamed).
    const message = await anthropic.messages.create({ model: "x", max_tokens: 20000, temperature: 0, messages } as Anthropic.MessageCreateParamsNonStreaming);
    assert.deepEqual([message.stop_reason, message.usage.output_tokens], ["max_tokens", CAP]);
    const streamed = await anthropic.messages.stream({ model: "x", max_tokens: 32000, temperature: 0, messages } as Anthropic.MessageStreamParams).finalMessage();
    assert.deepEqual([streamed.stop_reason, streamed.usage.output_tokens], ["max_tokens", CAP]);
  });

  test("/v1/models says the window: vLLM's max_model_len to OpenAI's clients, max_input_tokens and max_tokens to Anthropic's, typed as each SDK reads it", async () => {
    const listed = await openai.models.list();
    assert.deepEqual(
      listed.data.map((model) => [model.id, model.object, (model as unknown as { max_model_len: number }).max_model_len]),
      [["oserve-random-qwen2", "model", WINDOW]],
    );
    const page = await anthropic.models.list();
    assert.equal(page.has_more, false);
    assert.deepEqual(
      page.data.map((model) => [model.type, model.id, model.display_name, model.max_input_tokens, model.max_tokens]),
      [["model", "oserve-random-qwen2", "oserve-random-qwen2", WINDOW, CAP]],
    );
    assert.ok(!Number.isNaN(Date.parse(page.data[0]!.created_at)));
    const one = await anthropic.models.retrieve("oserve-random-qwen2");
    assert.equal(one.max_input_tokens, WINDOW);
    await assert.rejects(anthropic.models.retrieve("claude-sonnet-4-5"), (error: unknown) => {
      assert.ok(error instanceof Anthropic.NotFoundError, String(error));
      assert.equal((error.error as { type: string; error: { type: string } }).error.type, "not_found_error");
      return true;
    });
  });

  test("the Anthropic SDK's _request_id is the response's request-id, and x-request-id names the same request", async () => {
    const message = await anthropic.messages.create({ model: "x", max_tokens: 2, messages: [{ role: "user", content: "Hi" }] });
    const requestId = (message as { _request_id?: string | null })._request_id;
    assert.ok(requestId, "request-id was sent");
    const { request_id, response } = await anthropic.messages.create({ model: "x", max_tokens: 2, messages: [{ role: "user", content: "Hi" }] }).withResponse();
    assert.equal(request_id, response.headers.get("x-request-id"));
    assert.notEqual(request_id, requestId, "each request its own");
  });

  test("a prompt over the window gets the error each agent compacts on: Anthropic's 'prompt is too long', OpenAI's context_length_exceeded, on a Responses stream as response.failed", async () => {
    const messages = [{ role: "user" as const, content: TOO_LONG }];
    await assert.rejects(anthropic.messages.create({ model: "x", max_tokens: 10, messages }), (error: unknown) => {
      assert.ok(error instanceof Anthropic.BadRequestError, String(error));
      const body = error.error as { type: string; error: { type: string; message: string } };
      assert.equal(body.error.type, "invalid_request_error");
      assert.match(body.error.message, new RegExp(`^prompt is too long: \\d+ tokens > ${WINDOW - 1} maximum$`));
      return true;
    });
    await assert.rejects(openai.chat.completions.create({ model: "x", messages }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.equal(error.code, "context_length_exceeded");
      assert.match(error.message, new RegExp(`maximum context length is ${WINDOW} tokens`));
      return true;
    });
    await assert.rejects(openai.responses.create({ model: "x", input: TOO_LONG }), (error: unknown) => error instanceof OpenAI.BadRequestError && error.code === "context_length_exceeded");
    // Codex streams every turn, and compacts on this event, not on an HTTP 400.
    const events: Array<{ type: string; response?: { status: string; error: { code: string } | null } }> = [];
    for await (const event of await openai.responses.create({ model: "x", input: TOO_LONG, stream: true })) events.push(event as (typeof events)[number]);
    assert.deepEqual(
      events.map((event) => [event.type, event.response?.status, event.response?.error?.code]),
      [
        ["response.created", "in_progress", undefined],
        ["response.in_progress", "in_progress", undefined],
        ["response.failed", "failed", "context_length_exceeded"],
      ],
    );
  });

  test("an image in a user turn, a tool result or an input item is a placeholder: every later request of the session succeeds, and the header says what was left out", async () => {
    const image = { type: "image_url" as const, image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } };
    const chat = await openai.chat.completions
      .create({ model: "x", max_tokens: 1, messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }, image] }] })
      .withResponse();
    assert.equal(chat.response.headers.get("x-oserve-omitted-content"), "image=1");

    const screenshot = { type: "image" as const, source: { type: "base64" as const, media_type: "image/png" as const, data: "iVBORw0KGgo=" } };
    const history: Anthropic.MessageParam[] = [
      { role: "user", content: [screenshot, { type: "text", text: "Fix the layout." }] },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "screenshot", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [screenshot] }] },
    ];
    for (const stream of [false, true]) {
      const { response } = await anthropic.messages.create({ model: "x", max_tokens: 1, messages: history, stream } as Anthropic.MessageCreateParamsNonStreaming).withResponse();
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-oserve-omitted-content"), "image=2");
    }
    const counted = await anthropic.messages.countTokens({ model: "x", messages: history });
    const spelled = await anthropic.messages.countTokens({ model: "x", messages: [{ role: "user", content: `${IMAGE_PLACEHOLDER}\nFix the layout.` }] });
    assert.ok(counted.input_tokens > spelled.input_tokens, "the placeholder is what the model reads, and counts");

    const input: OpenAI.Responses.ResponseInput = [
      { role: "user", content: [{ type: "input_text", text: "Look" }, { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=", detail: "auto" }] },
      { type: "function_call", call_id: "call_1", name: "view_image", arguments: "{}" },
      { type: "function_call_output", call_id: "call_1", output: [{ type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=", detail: "auto" }] },
    ];
    const responses = await openai.responses.create({ model: "x", max_output_tokens: 1, input }).withResponse();
    assert.equal(responses.response.headers.get("x-oserve-omitted-content"), "image=2");
  });
});
