// /v1/completions and /v1/embeddings with real clients; keepalives on /v1/completions; the per-request keepalive header.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { OpenAIEmbeddings } from "@langchain/openai";
import OpenAI from "openai";
import { KEEPALIVE_MODES } from "../../src/stream/keepalive-policy.ts";
import { health, holdSlot, RANDOM, startServers, TINY_CHAT, until, type TestServer } from "../helpers/test-server.ts";
import { dataChunks, keepaliveHeaders, postJson, type RawFrame, readFrames } from "../helpers/sse-frames.ts";

/** The trained model's chat template by hand: a raw prompt it answers as in chat. */
const templated = (question: string) => `<|im_start|>user\n${question}<|im_end|>\n<|im_start|>assistant\n`;
const CAPITAL = templated("What is the capital of France?");
const CAPITAL_ANSWER = "The capital of France is Paris.";

// Three servers for the file, started together: the trained model for answers and embeddings, the
// random one with one slot for keepalives while queued (every mode's requests say theirs in a
// header), and one more with a 60 s interval for the header's own tests.
let trained: TestServer;
let oneSlot: TestServer;
let slowKeepalive: TestServer;
before(async () => {
  [trained, oneSlot, slowKeepalive] = (await startServers(
    ["--model", TINY_CHAT],
    ["--model", RANDOM, "--parallel", "1", "--keepalive", "chunk", "--keepalive-interval", "0.05"],
    ["--model", RANDOM, "--parallel", "1", "--keepalive", "chunk", "--keepalive-interval", "60"],
  )) as [TestServer, TestServer, TestServer];
});
after(() => Promise.all([trained, oneSlot, slowKeepalive].map((server) => server?.stop())));

for (const mode of KEEPALIVE_MODES) {
  describe(`keepalive ${mode}: completions with the openai SDK`, () => {
    let client: OpenAI;
    before(() => {
      client = new OpenAI({ baseURL: trained.baseURL, apiKey: "unused", maxRetries: 0, defaultHeaders: keepaliveHeaders(mode) });
    });

    test("completions.create: the raw prompt, special tokens read as such, real usage", async () => {
      const completion = await client.completions.create({ model: "x", prompt: CAPITAL, temperature: 0, max_tokens: 20 });
      assert.equal(completion.object, "text_completion");
      assert.match(completion.id, /^cmpl-/);
      assert.deepEqual(completion.choices.map((c) => [c.index, c.text, c.finish_reason]), [[0, CAPITAL_ANSWER, "stop"]]);
      assert.ok(completion.usage!.prompt_tokens >= 10 && completion.usage!.completion_tokens >= 7);
    });

    test("streamed: one id, the same text; a list of prompts gives one choice each, interleaved by index", async () => {
      const stream = await client.completions.create({ model: "x", prompt: CAPITAL, temperature: 0, max_tokens: 20, stream: true, stream_options: { include_usage: true } });
      const chunks: OpenAI.Completions.Completion[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      assert.ok(chunks.every((c) => c.id === chunks[0]!.id));
      assert.equal(chunks.flatMap((c) => c.choices.map((ch) => ch.text)).join(""), CAPITAL_ANSWER);
      assert.ok(chunks.at(-1)!.usage!.completion_tokens >= 7);
      const greeting = templated("Hello");
      const both = await client.completions.create({ model: "x", prompt: [CAPITAL, greeting], temperature: 0, max_tokens: 20, stream: true });
      const texts = ["", ""];
      for await (const chunk of both) for (const choice of chunk.choices) texts[choice.index] += choice.text;
      const alone = await client.completions.create({ model: "x", prompt: greeting, temperature: 0, max_tokens: 20 });
      assert.deepEqual(texts, [CAPITAL_ANSWER, alone.choices[0]!.text]);
      const whole = await client.completions.create({ model: "x", prompt: [CAPITAL, greeting], temperature: 0, max_tokens: 20 });
      assert.deepEqual(whole.choices.map((c) => c.text), texts);
    });

    test("stop, max_tokens and the parameters completions refuse", async () => {
      const cut = await client.completions.create({ model: "x", prompt: CAPITAL, temperature: 0, max_tokens: 20, stop: [" Paris"] });
      assert.deepEqual([cut.choices[0]!.text, cut.choices[0]!.finish_reason], ["The capital of France is", "stop"]);
      const short = await client.completions.create({ model: "x", prompt: CAPITAL, temperature: 0, max_tokens: 3 });
      assert.deepEqual([short.choices[0]!.finish_reason, short.usage!.completion_tokens], ["length", 3]);
      for (const [param, extra] of [["echo", { echo: true }], ["logprobs", { logprobs: 2 }], ["best_of", { best_of: 3 }], ["suffix", { suffix: "!" }]] as const) {
        await assert.rejects(client.completions.create({ model: "x", prompt: "x", ...extra }), (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === param);
      }
    });
  });
}

describe("embeddings", () => {
  let server: TestServer;
  let client: OpenAI;
  before(() => {
    server = trained;
    client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
  });

  const cosine = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * b[i]!, 0) / (Math.hypot(...a) * Math.hypot(...b));

  test("float and base64 agree; an input is itself (cosine 1), a different text is not", async () => {
    const inputs = ["The weather in Oslo is rainy.", "The weather in Oslo is rainy.", "What is 3 plus 4?"];
    const floats = await client.embeddings.create({ model: "x", input: inputs, encoding_format: "float" });
    assert.deepEqual(floats.data.map((d) => d.index), [0, 1, 2]);
    const [a, b, c] = floats.data.map((d) => d.embedding);
    assert.ok(Math.abs(cosine(a!, b!) - 1) < 1e-6);
    assert.ok(cosine(a!, c!) < 0.99, `different texts: ${cosine(a!, c!)}`);
    assert.ok(Math.abs(Math.hypot(...a!) - 1) < 1e-6, "unit length");
    assert.ok(floats.usage.prompt_tokens > 10);
    const raw = await postJson(`${server.baseURL}/embeddings`, { input: inputs[0], encoding_format: "base64" });
    const base64 = (await raw.json()).data[0].embedding as string;
    const bytes = Buffer.from(base64, "base64");
    const decoded = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    assert.equal(decoded.length, a!.length);
    decoded.forEach((v, i) => assert.ok(Math.abs(v - a![i]!) < 1e-6));
    // The SDK asks for base64 itself when no format is given, and decodes it.
    const sdk = await client.embeddings.create({ model: "x", input: inputs[0]! });
    assert.ok(Math.abs(cosine(sdk.data[0]!.embedding, a!) - 1) < 1e-6);
  });

  test("token lists embed like their text; LangChain's OpenAIEmbeddings works against it", async () => {
    const tokens = await client.embeddings.create({ model: "x", input: [[9707, 1879], [9707]], encoding_format: "float" });
    assert.equal(tokens.data.length, 2);
    const langchain = new OpenAIEmbeddings({ model: "x", apiKey: "unused", configuration: { baseURL: server.baseURL } });
    const [doc] = await langchain.embedDocuments(["The weather in Oslo is rainy."]);
    const query = await langchain.embedQuery("The weather in Oslo is rainy.");
    assert.ok(Math.abs(cosine(doc!, query) - 1) < 1e-6);
  });

  test("bad requests name the param: other dimensions, an input longer than the context, empty input", async () => {
    const dimensions = await postJson(`${server.baseURL}/embeddings`, { input: "x", dimensions: 7 });
    assert.equal(dimensions.status, 400);
    assert.equal((await dimensions.json()).error.param, "dimensions");
    const long = await postJson(`${server.baseURL}/embeddings`, { input: ["short", "Paris ".repeat(3000)] });
    assert.equal(long.status, 400);
    assert.equal((await long.json()).error.param, "input[1]");
    const empty = await postJson(`${server.baseURL}/embeddings`, { input: "" });
    assert.equal((await empty.json()).error.param, "input");
  });
});

const isText = (f: RawFrame) => f.data !== null && f.data !== "[DONE]" && (JSON.parse(f.data).choices?.[0]?.text ?? "") !== "";

for (const mode of KEEPALIVE_MODES) {
  describe(`keepalive ${mode} on /v1/completions while queued and during prefill`, () => {
    const headers = keepaliveHeaders(mode);
    test("keepalives before the first token, in the mode's form, with the stream's id", async () => {
      const server = oneSlot;
      // The only slot held until the queued request has had 4 frames (or, keepalives off, is queued).
      const held = await holdSlot(server);
      if (mode === "off") void until(async () => (await health(server)).queued === 1, 10_000, "queued").then(held.release);
      const queued = await readFrames(await postJson(`${server.baseURL}/completions`, { prompt: "Once upon a time", stream: true, temperature: 0, max_tokens: 3 }, undefined, headers), undefined, (frames) => {
        if (frames.length === 4) void held.release();
      }).finally(held.release);
      const prefill = await readFrames(await postJson(`${server.baseURL}/completions`, { prompt: "word ".repeat(3000), stream: true, temperature: 0, max_tokens: 3 }, undefined, headers));
      for (const frames of [queued, prefill]) {
        const before = frames.slice(0, frames.findIndex(isText));
        if (mode === "off") assert.equal(before.length, 0);
        if (mode === "comment") assert.ok(before.length >= 1 && before.every((f) => f.comment === "keep-alive"));
        if (mode === "chunk") {
          assert.ok(before.length >= 1);
          const id = JSON.parse(frames[0]!.data!).id;
          for (const f of before) assert.deepEqual(JSON.parse(f.data!), { id, object: "text_completion", created: JSON.parse(f.data!).created, model: "oserve-random-qwen2", choices: [{ index: 0, text: "", logprobs: null, finish_reason: null }] });
        }
      }
      if (mode !== "off") assert.ok(queued.findIndex(isText) >= 3, "several keepalives while queued");
    });
  });
}

describe("x-oserve-keepalive overrides the server's keepalive for one request", () => {
  let server: TestServer;
  before(() => {
    server = slowKeepalive;
  });

  /** A stream queued behind the only slot, held until it has had 4 frames, or (`quiet`: nothing more is due) until it is queued. */
  const stream = async (path: string, body: object, header?: string, quiet = false) => {
    const held = await holdSlot(server);
    if (quiet) void until(async () => (await health(server)).queued === 1, 10_000, "queued").then(held.release);
    const response = await fetch(`${server.baseURL}/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(header ? { "x-oserve-keepalive": header } : {}) },
      body: JSON.stringify({ ...body, stream: true, temperature: 0 }),
    });
    return readFrames(response, undefined, (frames) => {
      if (frames.length === 4) void held.release();
    }).finally(held.release);
  };
  const chat = { messages: [{ role: "user", content: "Hi" }], max_tokens: 2 };

  test("comment, chunk and off with their intervals, on chat, completions and responses", async () => {
    const comments = await stream("chat/completions", chat, "comment; interval=0.1");
    assert.ok(comments.filter((f) => f.comment === "keep-alive").length >= 3, `comments: ${JSON.stringify(comments)}`);
    const chunks = await stream("completions", { prompt: "Hi", max_tokens: 2 }, "chunk; interval=0.1");
    assert.ok(dataChunks(chunks).filter((c) => c.choices[0]?.text === "" && !c.choices[0]?.finish_reason).length >= 3, `chunks: ${JSON.stringify(chunks)}`);
    const none = await stream("responses", { input: "Hi", max_output_tokens: 2 }, "off", true);
    assert.equal(none.filter((f) => f.comment !== null || f.event === "response.in_progress").length, 1, "only the opening in_progress");
    // Without the header, the server's 60 s interval: the opening keepalive only.
    const server60 = await stream("chat/completions", chat, undefined, true);
    assert.equal(dataChunks(server60).filter((c) => JSON.stringify(c.choices[0]?.delta) === '{"role":"assistant","content":""}').length, 1);
  });

  test("a malformed header is a 400 naming it, on every generating route", async () => {
    for (const [path, body] of [["chat/completions", chat], ["completions", { prompt: "Hi" }], ["responses", { input: "Hi" }], ["messages", { model: "x", max_tokens: 2, messages: [{ role: "user", content: "Hi" }] }]] as const) {
      const response = await fetch(`${server.baseURL}/${path}`, { method: "POST", headers: { "x-oserve-keepalive": "sometimes" }, body: JSON.stringify(body) });
      assert.equal(response.status, 400, path);
      const error = await response.json();
      assert.match(path === "messages" ? error.error.message : error.error.param, /x-oserve-keepalive/);
    }
  });
});
