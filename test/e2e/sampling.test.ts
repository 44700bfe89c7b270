// Sampling parameters reach the sampler, and embeddings stop when their client leaves: the
// random-weight model, whose flat distribution makes every parameter show in what it writes
// (the trained model is so sure of itself that it repeats its answer whatever the sampler does).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { metric, RANDOM, startServer, until, type TestServer } from "../helpers/test-server.ts";
import { postJson } from "../helpers/sse-frames.ts";

const PROMPT = "Once upon a time";

let server: TestServer;
let client: OpenAI;
before(async () => {
  server = await startServer(["--model", RANDOM, "--log-format", "json"]);
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
});
after(() => server?.stop());

describe("sampling parameters reach the sampler", { timeout: 60_000 }, () => {
  const complete = async (params: Omit<OpenAI.CompletionCreateParamsNonStreaming, "model" | "prompt">) =>
    (await client.completions.create({ model: "x", prompt: PROMPT, max_tokens: 16, ...params } as OpenAI.CompletionCreateParamsNonStreaming)).choices[0]!.text;
  let greedy: string;
  before(async () => {
    greedy = await complete({ temperature: 0 });
  });

  test("a seed repeats its sample at temperature 1; other seeds sample otherwise", async () => {
    const [a, b] = [await complete({ temperature: 1, seed: 42 }), await complete({ temperature: 1, seed: 42 })];
    assert.equal(a, b);
    const others = new Set(await Promise.all([1, 2, 3].map((seed) => complete({ temperature: 1, seed }))));
    others.add(a);
    assert.ok(others.size >= 3, `4 seeds gave ${others.size} samples`);
    assert.notEqual(a, greedy, "temperature 1 samples away from the greedy answer");
  });

  // Each of these leaves the sampler one candidate a token: the greedy answer, at a temperature that would wander.
  for (const [name, params] of [
    ["top_k 1", { top_k: 1 }],
    ["top_p 0.0001", { top_p: 0.0001 }],
    ["min_p 1", { min_p: 1 }],
  ] as const) {
    test(`${name} at temperature 1.5 is the greedy answer, whatever the seed`, async () => {
      for (const seed of [1, 2]) assert.equal(await complete({ temperature: 1.5, seed, ...params } as object), greedy, `seed ${seed}`);
    });
  }

  test("presence and frequency penalties change the greedy answer, and a repeated token is what they push down", async () => {
    const presence = await complete({ temperature: 0, presence_penalty: 2 });
    const frequency = await complete({ temperature: 0, frequency_penalty: 2 });
    assert.notEqual(presence, greedy);
    assert.notEqual(frequency, greedy);
    assert.notEqual(await complete({ temperature: 0, presence_penalty: -2 }), presence);
  });

  test("on the Messages API: top_k 1 at temperature 1 is the greedy answer", async () => {
    const anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
    const ask = async (params: object) => {
      const message = await anthropic.messages.create({ model: "x", max_tokens: 12, messages: [{ role: "user", content: PROMPT }], ...params } as Anthropic.MessageCreateParamsNonStreaming);
      return message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
    };
    const greedyMessage = await ask({ temperature: 0 });
    for (const seed of [1, 2]) assert.equal(await ask({ temperature: 1, top_k: 1, metadata: { user_id: `seed-${seed}` } }), greedyMessage);
  });
});

describe("embeddings when the client leaves", { timeout: 60_000 }, () => {
  const INPUTS = Array.from({ length: 48 }, (_, i) => `${i} ${"the quick brown fox jumps over the lazy dog ".repeat(12)}`);
  const accessLine = (requestId: string) => server.stderr().split("\n").find((line) => line.includes(`"request_id":"${requestId}"`));

  test("stops embedding at the next input: its request ends in a fraction of a whole one's time", async () => {
    const whole = await postJson(`${server.baseURL}/embeddings`, { input: INPUTS }, undefined, { "x-request-id": "embed-whole" });
    assert.equal((await whole.json()).data.length, INPUTS.length);
    const abort = new AbortController();
    const leaving = postJson(`${server.baseURL}/embeddings`, { input: INPUTS }, abort.signal, { "x-request-id": "embed-left" });
    // The client leaves once the server has its request in hand.
    const inFlight = () => metric(server, "oserve_requests_in_flight", { route: "/v1/embeddings" });
    await until(async () => (await inFlight()) === 1, 10_000, "the embeddings request in flight");
    abort.abort();
    await assert.rejects(leaving, (error: Error) => error.name === "AbortError");
    await until(async () => accessLine("embed-left") !== undefined, 20_000, "the access line of the request whose client left");
    const [full, left] = [JSON.parse(accessLine("embed-whole")!), JSON.parse(accessLine("embed-left")!)];
    assert.ok(left.duration_ms < full.duration_ms / 3, `the request whose client left took ${left.duration_ms} ms, a whole one ${full.duration_ms} ms`);
    assert.equal(left.end, "client_gone");
    assert.equal(await inFlight(), 0);
    const after = await client.embeddings.create({ model: "x", input: "still here" });
    assert.equal(after.data.length, 1);
  });
});
