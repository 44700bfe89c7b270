// The hono app in-process with a scripted engine: the failure paths a real model will not produce on cue.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resolveConfig } from "../src/config.ts";
import type { Engine, PreparedGeneration } from "../src/engine/types.ts";
import { createApp } from "../src/server.ts";
import { ServerState } from "../src/server-state.ts";
import type { EngineEvent } from "../src/engine/events.ts";

function scriptedEngine(script: EngineEvent[]): Engine {
  return {
    modelId: "scripted",
    contextSize: 1024,
    countPromptTokens: () => 3,
    load: () => ({ slots: 1, slotsInUse: 0, queued: 0 }),
    close: async () => {},
    prepare: async (): Promise<PreparedGeneration> => ({
      promptTokens: 3,
      async *run() {
        yield* script;
      },
    }),
  };
}

function app(engine: Engine | null) {
  const state = new ServerState(resolveConfig({ model: "scripted.gguf", "keepalive-interval": "60" }, {}));
  state.engine = engine;
  return createApp(state);
}

const chat = (body: object) => ({ method: "POST", body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }) });

describe("app with a scripted engine", () => {
  test("/health is 503 and chat is 503 in OpenAI shape while the model loads", async () => {
    const loading = app(null);
    assert.equal((await loading.request("/health")).status, 503);
    const response = await loading.request("/v1/chat/completions", chat({}));
    assert.equal(response.status, 503);
    assert.equal((await response.json()).error.code, "model_loading");
  });

  test("an engine failure mid-stream ends the stream with an error frame and [DONE]", async () => {
    const response = await app(scriptedEngine([{ type: "text", text: "Hel" }, { type: "error", message: "decode failed" }])).request(
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
    const text = await (await app(engine).request("/v1/chat/completions", chat({ stream: true }))).text();
    assert.match(text, /data: \{"error":\{"message":"native crash","type":"server_error"/);
    assert.ok(text.endsWith("data: [DONE]\n\n"));
  });

  test("an engine failure before a non-streamed answer is a 500 in OpenAI shape", async () => {
    const response = await app(scriptedEngine([{ type: "error", message: "decode failed" }])).request("/v1/chat/completions", chat({}));
    assert.equal(response.status, 500);
    assert.equal((await response.json()).error.type, "server_error");
  });
});
