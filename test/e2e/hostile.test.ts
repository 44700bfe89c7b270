// Hostile requests (issue: no request may stall the server): each gets a clear error in its API's
// shape, and /health keeps answering while it is read.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RANDOM, startServer, type TestServer } from "./server.ts";

describe("hostile requests", { timeout: 120_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(["--model", RANDOM]);
  });
  after(async () => {
    await server?.stop();
  });

  /** The longest a /health check took while a hostile request was in flight, over the file (printed at the end). */
  let slowestHealthMs = 0;
  after(() => console.log(`# hostile requests: slowest /health answer while one was in flight: ${slowestHealthMs.toFixed(0)} ms`));

  /**
   * POSTs `body`, polling /health until the answer comes: each health check must answer, and within
   * a second (a bound, not a benchmark: the previous build held the loop for minutes).
   */
  async function whileHealthy(path: string, body: unknown): Promise<{ status: number; json: { error: { code?: string; message: string } }; healthChecks: number }> {
    let done = false;
    let healthChecks = 0;
    const answer = fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).finally(() => (done = true));
    while (!done) {
      const asked = performance.now();
      const health = await fetch(`${server.url}/health`);
      const took = performance.now() - asked;
      slowestHealthMs = Math.max(slowestHealthMs, took);
      assert.equal(health.status, 200);
      assert.ok(took < 1000, `/health took ${took.toFixed(0)} ms`);
      healthChecks++;
    }
    const response = await answer;
    return { status: response.status, json: (await response.json()) as { error: { code?: string; message: string } }, healthChecks };
  }

  const tool = (name: string) => ({ type: "function", function: { name, parameters: { type: "object" } } });

  test("100,000 tools (5 MB): a 400 naming the limit, every API (the previous build checked names in quadratic time: the request ran past the suite's 120 s timeout)", async () => {
    const tools = Array.from({ length: 100_000 }, (_, i) => tool(`tool_${i}`));
    const chat = await whileHealthy("/v1/chat/completions", { messages: [{ role: "user", content: "Hi" }], tools });
    assert.equal(chat.status, 400);
    assert.equal(chat.json.error.code, "too_many_tools");
    assert.match(chat.json.error.message, /1024/);
    const messages = await whileHealthy("/v1/messages", { model: "x", max_tokens: 1, messages: [{ role: "user", content: "Hi" }], tools: tools.map((t) => ({ name: t.function.name, input_schema: t.function.parameters })) });
    assert.equal(messages.status, 400);
    const responses = await whileHealthy("/v1/responses", { input: "Hi", tools: tools.map((t) => ({ type: "function", name: t.function.name, parameters: t.function.parameters })) });
    assert.equal(responses.status, 400);
  });

  test("a 6 MB response_format schema (300 nested allOf over $defs of 200,000 properties): a 400 naming the limit (the previous build converted the definitions again at every level: still running after 100 s)", async () => {
    const properties = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`p${i}`, { type: "string" }]));
    let schema: Record<string, unknown> = { $ref: "#/$defs/big" };
    for (let i = 0; i < 300; i++) schema = { allOf: [schema] };
    schema = { ...schema, $defs: { big: { type: "object", properties } } };
    const chat = await whileHealthy("/v1/chat/completions", { messages: [{ role: "user", content: "Hi" }], response_format: { type: "json_schema", json_schema: { name: "x", schema } } });
    assert.equal(chat.status, 400);
    assert.equal(chat.json.error.code, "invalid_schema");
    assert.match(chat.json.error.message, /20000 subschemas/);
    let nested: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 300; i++) nested = { type: "object", properties: { inner: nested } };
    const deep = await whileHealthy("/v1/chat/completions", { messages: [{ role: "user", content: "Hi" }], response_format: { type: "json_schema", json_schema: { name: "x", schema: nested } } });
    assert.equal(deep.status, 400);
    assert.match(deep.json.error.message, /64 levels/);
  });

  test("1024 tools with a name twice: the duplicate is named", async () => {
    const tools = [...Array.from({ length: 1023 }, (_, i) => tool(`tool_${i}`)), tool("tool_7")];
    const chat = await whileHealthy("/v1/chat/completions", { messages: [{ role: "user", content: "Hi" }], tools });
    assert.equal(chat.status, 400);
    assert.match(chat.json.error.message, /Two tools are named 'tool_7'/);
  });

  test("one completions request with more prompts than the slots and the queue hold is a 429, not every slot and past --max-queue", async () => {
    const small = await startServer(["--model", RANDOM, "--parallel", "2", "--max-queue", "1"]);
    try {
      const post = (prompts: string[]) => fetch(`${small.url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: prompts, max_tokens: 2, temperature: 0 }) });
      const many = await post(Array.from({ length: 64 }, (_, i) => `prompt ${i}`));
      assert.equal(many.status, 429, await many.text());
      const fitting = await post(["a", "b", "c"]);
      assert.equal(fitting.status, 200, await fitting.clone().text());
      assert.equal(((await fitting.json()) as { choices: unknown[] }).choices.length, 3);
    } finally {
      await small.stop();
    }
  });
});
