// The hono app in-process with a scripted engine: the failure paths a real model will not produce on cue.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { servedEngines } from "../helpers/served-engines.ts";
import { DISK } from "../../src/config/disk.ts";
import { resolveConfig } from "../../src/config/resolve.ts";
import { FormatGrammarError } from "../../src/engine/errors.ts";
import type { Engine, PreparedGeneration } from "../../src/engine/types.ts";
import { createApp } from "../../src/server.ts";
import { ServerState } from "../../src/server-state.ts";
import type { EngineEvent } from "../../src/engine/events.ts";

function scriptedEngine(script: EngineEvent[]): Engine {
  const prepared = async (): Promise<PreparedGeneration> => ({
    promptTokens: 3,
    async *run() {
      yield* script;
    },
  });
  return {
    modelId: "scripted",
    contextSize: 1024,
    maxTokens: null,
    countPromptTokens: async () => 3,
    renderPrompt: async () => "prompt",
    tokenize: async () => [1, 2],
    tokenPiece: () => "a",
    detokenize: () => "ab",
    embeddings: { dimensions: 2, contextSize: 8, hold: async () => () => {}, tokenize: async () => [1], measure: async () => 1, embed: async () => [0.6, 0.8] },
    load: () => ({ slots: 1, slotsInUse: 0, queued: 0 }),
    checkCapacity: () => {},
    close: async () => {},
    prepare: prepared,
    prepareCompletion: prepared,
  };
}

function named(engine: Engine, modelId: string): Engine {
  return { ...engine, modelId };
}

async function app(engine: Engine | null) {
  const state = new ServerState(resolveConfig({ model: "scripted.gguf", "keepalive-interval": "60" }, {}, DISK));
  if (engine) state.serve(await servedEngines([engine]));
  return createApp(state);
}

const chat = (body: object) => ({ method: "POST", body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }) });

describe("app with a scripted engine", () => {
  test("/health is 503 and chat is 503 in OpenAI shape while the model loads", async () => {
    const loading = await app(null);
    assert.equal((await loading.request("/health")).status, 503);
    const response = await loading.request("/v1/chat/completions", chat({}));
    assert.equal(response.status, 503);
    assert.equal((await response.json()).error.code, "model_loading");
  });

  test("an engine failure mid-stream ends the stream with an error frame and [DONE]", async () => {
    const response = await (await app(scriptedEngine([{ type: "text", text: "Hel" }, { type: "error", message: "decode failed" }]))).request(
      "/v1/chat/completions",
      chat({ stream: true }),
    );
    assert.equal(response.status, 200);
    const frames = (await response.text()).split("\n\n").filter(Boolean);
    assert.equal(frames.at(-1), "data: [DONE]");
    assert.deepEqual(JSON.parse(frames.at(-2)!.slice(6)), { error: { message: "decode failed", type: "server_error", param: null, code: null } });
    assert.equal(JSON.parse(frames[1]!.slice(6)).choices[0].delta.content, "Hel");
  });

  test("an engine that throws mid-stream is reported the same way", async () => {
    const engine = scriptedEngine([]);
    engine.prepare = async () => ({
      promptTokens: 1,
      async *run() {
        yield { type: "text", text: "x" };
        throw new Error("native crash");
      },
    });
    const text = await (await (await app(engine)).request("/v1/chat/completions", chat({ stream: true }))).text();
    assert.match(text, /data: \{"error":\{"message":"native crash","type":"server_error"/);
    assert.ok(text.endsWith("data: [DONE]\n\n"));
  });

  test("a schema whose grammar cannot be built is the client's 400 naming the format, on chat and Responses alike", async () => {
    const engine = scriptedEngine([]);
    engine.prepare = async () => {
      throw new FormatGrammarError("unsupported");
    };
    const chatResponse = await (await app(engine)).request("/v1/chat/completions", chat({}));
    assert.equal(chatResponse.status, 400);
    assert.equal((await chatResponse.json()).error.param, "response_format.json_schema.schema");
    const responses = await (await app(engine)).request("/v1/responses", { method: "POST", body: JSON.stringify({ input: "hi" }) });
    assert.equal(responses.status, 400);
    assert.equal((await responses.json()).error.param, "text.format.schema");
  });

  test("an engine failure mid-stream ends a Responses stream with response.failed and an Anthropic stream with event: error", async () => {
    const failing = () => scriptedEngine([{ type: "text", text: "Hel" }, { type: "error", message: "decode failed" }]);
    const responses = await (await (await app(failing())).request("/v1/responses", { method: "POST", body: JSON.stringify({ input: "hi", stream: true }) })).text();
    assert.match(responses, /event: response\.failed\ndata: \{"type":"response\.failed".*"error":\{"code":"server_error","message":"decode failed"\}/);
    assert.ok(!responses.includes("[DONE]"));
    const messages = await (
      await (await app(failing())).request("/v1/messages", { method: "POST", body: JSON.stringify({ model: "x", max_tokens: 5, stream: true, messages: [{ role: "user", content: "hi" }] }) })
    ).text();
    assert.ok(messages.endsWith('event: error\ndata: {"type":"error","error":{"type":"api_error","message":"decode failed"}}\n\n'), messages);
  });

  test("an engine failure before a non-streamed answer is a 500 in OpenAI shape", async () => {
    const response = await (await app(scriptedEngine([{ type: "error", message: "decode failed" }]))).request("/v1/chat/completions", chat({}));
    assert.equal(response.status, 500);
    assert.equal((await response.json()).error.type, "server_error");
  });
});

describe("several models, in-process", () => {
  const twoModels = async (flags: Record<string, string> = {}) => {
    const state = new ServerState(resolveConfig({ models: ["a=a.gguf", "b=b.gguf"], ...flags }, {}, DISK));
    const engine = scriptedEngine([{ type: "text", text: "hi" }, { type: "finish", reason: { type: "end" } }, { type: "usage", usage: { promptTokens: 3, completionTokens: 1 } }]);
    state.serve(await servedEngines([named(engine, "a"), named(engine, "b")]));
    return createApp(state);
  };
  const modelOfAnswer = async (server: ReturnType<typeof createApp>, path: string, body: object) =>
    (await (await server.request(path, { method: "POST", body: JSON.stringify(body) })).json()).model;

  test("--default-model takes requests that name no model, or another; a named one goes to its model", async () => {
    const server = await twoModels({ "default-model": "b" });
    assert.equal(await modelOfAnswer(server, "/v1/chat/completions", { messages: [{ role: "user", content: "hi" }] }), "b");
    assert.equal(await modelOfAnswer(server, "/v1/chat/completions", { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }), "b");
    assert.equal(await modelOfAnswer(server, "/v1/chat/completions", { model: "a", messages: [{ role: "user", content: "hi" }] }), "a");
    // Listed first: clients that take the first model (oserve launch --url) take the default.
    assert.deepEqual((await (await server.request("/v1/models")).json()).data.map((m: { id: string }) => m.id), ["b", "a"]);
  });

  test("--embedding-model takes embedding requests that name no model; the others go to the default", async () => {
    const server = await twoModels({ "embedding-model": "b" });
    assert.equal(await modelOfAnswer(server, "/v1/embeddings", { input: "x" }), "b");
    assert.equal(await modelOfAnswer(server, "/v1/embeddings", { model: "a", input: "x" }), "a");
    assert.equal(await modelOfAnswer(server, "/v1/chat/completions", { messages: [{ role: "user", content: "hi" }] }), "a");
  });
});
