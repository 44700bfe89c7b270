// Models that load on first use, one at a time (--max-models 1): a cold request gets its protocol's
// keepalives while its model loads, alternating requests unload and reload in turn and none fails,
// a model in use is never unloaded under its stream; --idle-unload gives the memory back.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { holdSlot, metric, MODELS_DIR, RANDOM, startServer, TINY_CHAT, until, type TestServer } from "../helpers/test-server.ts";
import { dataChunks, keepaliveHeaders, postChat, postJson, readFrames, type RawFrame } from "../helpers/sse-frames.ts";
import { accumulateStrict } from "../helpers/strict-accumulator.ts";
import { needsEngineBuild } from "../helpers/needs-engine-build.ts";

const CAPITAL = "What is the capital of France?";
const CAPITAL_ANSWER = "The capital of France is Paris.";

let server: TestServer;
let openai: OpenAI;
let anthropic: Anthropic;
before(async () => {
  server = await startServer(["--model", `chat=${TINY_CHAT}`, "--model", `random=${RANDOM}`, "--max-models", "1", "--keepalive-interval", "0.1", "--ctx-size", "2048", "--parallel", "2"]);
  openai = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
});
after(async () => {
  assert.equal(await server?.stop(), 0);
});

/** Each model's state as /v1/models says it. */
async function states(): Promise<Record<string, string>> {
  const list = (await (await fetch(`${server.baseURL}/models`)).json()) as { data: Array<{ id: string; status: { value: string } }> };
  return Object.fromEntries(list.data.map((model) => [model.id, model.status.value]));
}

/** Makes `name` the model that is not loaded: the other one is loaded (with --max-models 1, this one is then unloaded). */
async function coldModel(name: "chat" | "random"): Promise<void> {
  const other = name === "chat" ? "random" : "chat";
  if ((await states())[other] !== "loaded") {
    await openai.chat.completions.create({ model: other, messages: [{ role: "user", content: "Hi" }], temperature: 0, max_tokens: 1 });
  }
  assert.deepEqual(await states(), { [other]: "loaded", [name]: "unloaded" });
}

/** The frames that came before the first that carries generated content. */
const beforeContent = (frames: readonly RawFrame[], isContent: (frame: RawFrame) => boolean) => frames.slice(0, frames.findIndex(isContent));

describe("a request whose model must load first (--max-models 1)", { timeout: 120_000 }, () => {
  test("only the default model loaded at startup; the ready line says the other loads on first use", async () => {
    assert.deepEqual(await states(), { chat: "loaded", random: "unloaded" });
    assert.match(server.stderr(), /^oserve: random: loaded on first use \(at most 1 loaded at once\)$/m);
  });

  test("chat stream, chunk keepalives: the stream's own id and role while the model loads, then the answer; strict accumulators keep it all", async () => {
    await coldModel("chat");
    const frames = await readFrames(await postChat(server.baseURL, { model: "chat", messages: [{ role: "user", content: CAPITAL }], temperature: 0, stream: true, stream_options: { include_usage: true } }));
    const waiting = beforeContent(frames, (frame) => /"content":"[^"]/.test(frame.data ?? ""));
    assert.ok(waiting.length >= 2, `keepalives while the model loaded: ${waiting.length}`);
    for (const chunk of dataChunks(waiting)) assert.deepEqual(chunk.choices[0].delta, { role: "assistant", content: "" });
    const strict = accumulateStrict(frames.flatMap((frame) => (frame.data === null ? [] : [frame.data])));
    assert.deepEqual([strict.role, strict.text, strict.finishReason, strict.dropped], ["assistant", CAPITAL_ANSWER, "stop", 0]);
    assert.ok(strict.usage!.prompt_tokens > 0);
    assert.equal(await metric(server, "oserve_model_unloads_total", { model: "random", reason: "max_models" }), 1);
  });

  test("chat stream, comment keepalives while the model loads", async () => {
    await coldModel("random");
    const response = await postChat(server.baseURL, { model: "random", messages: [{ role: "user", content: CAPITAL }], temperature: 0, stream: true, max_tokens: 4 }, undefined, keepaliveHeaders("comment"));
    const frames = await readFrames(response);
    const waiting = beforeContent(frames, (frame) => frame.data !== null);
    assert.ok(waiting.length >= 2 && waiting.every((frame) => frame.comment === "keep-alive"), `comments while the model loaded: ${waiting.length}`);
    assert.equal(frames.at(-1)!.data, "[DONE]");
    assert.equal(dataChunks(frames).at(-1).choices[0].finish_reason, "length");
  });

  test("Responses stream: response.in_progress while the model loads; the openai SDK reads it to response.completed", async () => {
    await coldModel("chat");
    const stream = await openai.responses.create({ model: "chat", input: CAPITAL, temperature: 0, stream: true });
    const types: string[] = [];
    let text = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
    }
    const waiting = types.slice(0, types.indexOf("response.output_item.added"));
    assert.ok(waiting.filter((type) => type === "response.in_progress").length >= 2, `in-progress events while the model loaded: ${waiting.join(", ")}`);
    assert.deepEqual([types[0], types.at(-1), text], ["response.created", "response.completed", CAPITAL_ANSWER]);
  });

  test("Messages stream: Anthropic's ping while the model loads; the Anthropic SDK reads the message", async () => {
    await coldModel("random");
    const raw = await postJson(`${server.url}/v1/messages`, { model: "random", max_tokens: 4, stream: true, messages: [{ role: "user", content: CAPITAL }] });
    const frames = await readFrames(raw);
    const waiting = beforeContent(frames, (frame) => frame.event === "content_block_start");
    assert.deepEqual([waiting[0]!.event, waiting.filter((frame) => frame.event === "ping").length >= 2], ["message_start", true]);
    const closing = frames.filter((frame) => frame.event === "message_delta").map((frame) => JSON.parse(frame.data!));
    assert.ok(closing[0].usage.input_tokens > 0, "the closing usage counts the prompt, which message_start could not yet");
    assert.equal(frames.at(-1)!.event, "message_stop");
    await coldModel("chat");
    const message = await anthropic.messages.stream({ model: "chat", max_tokens: 40, messages: [{ role: "user", content: CAPITAL }], temperature: 0 } as Anthropic.MessageCreateParams).finalMessage();
    assert.equal(message.content.map((block) => (block.type === "text" ? block.text : block.type)).join(""), CAPITAL_ANSWER);
    assert.ok(message.usage.input_tokens > 0);
  });

  test("alternating requests to the two models, all at once, unload and reload in turn; none fails", async () => {
    const loads = await metric(server, "oserve_model_loads_total", { result: "ok" });
    const asks = ["chat", "random", "chat", "random", "chat", "random"].map((model) =>
      openai.chat.completions.create({ model, messages: [{ role: "user", content: CAPITAL }], temperature: 0, max_tokens: 12 }),
    );
    const answers = await Promise.all(asks);
    assert.deepEqual(answers.map((answer) => answer.model), ["chat", "random", "chat", "random", "chat", "random"]);
    for (const answer of answers.filter((a) => a.model === "chat")) assert.equal(answer.choices[0]!.message.content, CAPITAL_ANSWER);
    assert.ok((await metric(server, "oserve_model_loads_total", { result: "ok" })) > loads, "loaded again");
    assert.equal(await metric(server, "oserve_model_loads_total", { result: "failed" }), 0);
  });

  test("a request whose body came chunked (no content-length) does not pin its model: the other model's request is served after it", async () => {
    await coldModel("random");
    // A body with Transfer-Encoding: chunked goes through the body limit, which replaces the request object.
    const body = JSON.stringify({ model: "chat", messages: [{ role: "user", content: CAPITAL }], temperature: 0, max_tokens: 4 });
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body));
        controller.close();
      },
    });
    const first = await fetch(`${server.baseURL}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chunked, duplex: "half" } as RequestInit);
    assert.equal(first.status, 200, await first.clone().text());
    await first.json();
    const next = openai.chat.completions.create({ model: "random", messages: [{ role: "user", content: "Hi" }], temperature: 0, max_tokens: 1 });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([next.then(() => "served"), new Promise((resolve) => (timer = setTimeout(resolve, 30_000, "still waiting after 30 s")))]);
    clearTimeout(timer);
    assert.equal(outcome, "served");
  });

  test("a model in use is not unloaded under its stream: the next model's request waits for the stream to end", async () => {
    await coldModel("chat");
    const held = await holdSlot(server, { model: "random" }); // a stream that never stops on its own
    let answered = false;
    const waiting = openai.chat.completions.create({ model: "chat", messages: [{ role: "user", content: CAPITAL }], temperature: 0 }).finally(() => (answered = true));
    try {
      await until(async () => (await states()).chat === "loading", 10_000, "chat waiting for a place");
      // Several requests later, still waiting, and random still serving its stream.
      const unloads = await metric(server, "oserve_model_unloads_total", { model: "random" });
      for (let i = 0; i < 5; i++) await fetch(`${server.url}/health`);
      assert.deepEqual([answered, (await states()).random, await metric(server, "oserve_model_unloads_total", { model: "random" })], [false, "loaded", unloads]);
    } finally {
      await held.release(); // rejects if the stream ended other than by our abort
    }
    const answer = await waiting;
    assert.deepEqual([answer.model, answer.choices[0]!.message.content], ["chat", CAPITAL_ANSWER]);
  });
});

describe("--idle-unload", { timeout: 60_000 }, () => {
  let idle: TestServer;
  before(async () => {
    idle = await startServer(["--model", `chat=${TINY_CHAT}`, "--idle-unload", "1", "--ctx-size", "2048"]);
  });
  after(async () => {
    assert.equal(await idle?.stop(), 0);
  });

  const rssMiB = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${idle.process.pid}/status`, "utf8"))![1]) / 1024;
  const unloaded = (count: number) => until(async () => (await metric(idle, "oserve_model_unloads_total", { reason: "idle" })) >= count, 20_000, `${count} idle unloads`);

  test("a model nobody used for that long is unloaded and gives its memory back (RSS); the next request loads it again", { skip: process.platform !== "linux" && "reads /proc" }, async (t) => {
    const client = new OpenAI({ baseURL: idle.baseURL, apiKey: "unused", maxRetries: 0 });
    await unloaded(1); // the preloaded model, unused since startup
    const before = rssMiB();
    const answer = await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: CAPITAL }], temperature: 0 });
    const loaded = rssMiB();
    assert.equal(answer.choices[0]!.message.content, CAPITAL_ANSWER);
    await unloaded(2);
    const after = rssMiB();
    assert.equal(await metric(idle, "oserve_model_loaded"), 0);
    assert.match(idle.stderr(), /^oserve: chat: unloaded \(idle\)$/m);
    // Its weights alone are 41 MiB, mapped from the file: they come back on any engine.
    const took = loaded - before;
    const gaveBack = loaded - after;
    const figures = `RSS ${before.toFixed(0)} MiB unloaded, ${loaded.toFixed(0)} MiB loaded, ${after.toFixed(0)} MiB unloaded again`;
    assert.ok(took > 40 && gaveBack > 35, figures);
    // What its context's buffers took comes back too where the engine build trims glibc's arenas
    // (patches/node-llama-cpp/10-trim-after-unload.patch): the prebuilt gives back some 40% of it.
    const [, build] = /^oserve: engine: (.*)$/m.exec(idle.stderr())!;
    if (needsEngineBuild(t, /oserve build/.test(build!) ? "persistent-threads" : "prebuilt")) assert.ok(gaveBack > 0.5 * took, figures);
  });
});

describe("--memory-limit", { timeout: 60_000 }, () => {
  let limited: TestServer;
  before(async () => {
    // node-llama-cpp estimates each tiny model with a 2048-token window at 350-450 MiB: one fits in 600 MiB, two do not;
    // `big` (the chat model with a window of 32768 tokens for each of 8 sequences) never does.
    const dir = mkdtempSync(join(tmpdir(), "oserve-limit-"));
    writeFileSync(join(dir, "oserve.toml"), ["[models.big]", `path = ${JSON.stringify(TINY_CHAT)}`, "ctx-size = 32768", "parallel = 8"].join("\n"));
    limited = await startServer(["--model", `chat=${TINY_CHAT}`, "--model", `random=${RANDOM}`, "--config", join(dir, "oserve.toml"), "--memory-limit", "600m", "--ctx-size", "2048", "--parallel", "2"]);
  });
  after(async () => {
    assert.equal(await limited?.stop(), 0);
  });

  test("a model that does not fit beside another unloads the idle one; one that could never fit is refused with 503", async () => {
    const client = new OpenAI({ baseURL: limited.baseURL, apiKey: "unused", maxRetries: 0 });
    const random = await client.chat.completions.create({ model: "random", messages: [{ role: "user", content: "Hi" }], max_tokens: 2 });
    assert.equal(random.model, "random");
    assert.equal(await metric(limited, "oserve_model_unloads_total", { model: "chat", reason: "memory" }), 1);
    assert.equal(await metric(limited, "oserve_model_loaded", { model: "chat" }), 0);
    await assert.rejects(client.chat.completions.create({ model: "big", messages: [{ role: "user", content: "Hi" }], max_tokens: 2 }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError && error.status === 503, String(error));
      assert.match(error.message, /The model 'big' needs about \d+ MiB of memory with its context, but --memory-limit allows 600 MiB/);
      assert.equal((error.error as { code?: string }).code, "insufficient_memory");
      return true;
    });
    assert.equal((await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: CAPITAL }], temperature: 0 })).choices[0]!.message.content, CAPITAL_ANSWER);
  });
});

describe("--memory-limit and the embedding context", { timeout: 60_000 }, () => {
  test("a model's embedding context, made on its first embedding request, counts in the budget: where it does not fit, a 503 that says so, and the model still chats", async () => {
    // node-llama-cpp estimates tiny-chat at 382 MiB with a 2048-token window for 2 sequences, and
    // its embedding context at 22 MiB more: 390 MiB holds the one, not both.
    const server = await startServer(["--model", `chat=${TINY_CHAT}`, "--memory-limit", "390m", "--ctx-size", "2048", "--parallel", "2"]);
    try {
      const client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
      await assert.rejects(client.embeddings.create({ model: "chat", input: "hello" }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError && error.status === 503, String(error));
        assert.match(error.message, /The model 'chat' needs about 40\d MiB of memory with its context, but --memory-limit allows 390 MiB/);
        return true;
      });
      assert.equal((await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: CAPITAL }], temperature: 0 })).choices[0]!.message.content, CAPITAL_ANSWER);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});

describe("--config and --models-dir", { timeout: 60_000 }, () => {
  let served: TestServer;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "oserve-config-"));
    const toml = [`models-dir = ${JSON.stringify(MODELS_DIR)}`, 'default-model = "oserve-tiny-chat"', "max-models = 1", "", "[models.small]", `path = ${JSON.stringify(RANDOM)}`, "ctx-size = 512", "[models.small-llama]", `path = ${JSON.stringify(RANDOM)}`, 'chat-template = "llama3.1"'];
    writeFileSync(join(dir, "oserve.toml"), toml.join("\n"));
    served = await startServer(["--config", join(dir, "oserve.toml")]);
  });
  after(async () => {
    assert.equal(await served?.stop(), 0);
  });

  test("the folder's models are served by file name beside the file's own, each with its settings", async () => {
    const client = new OpenAI({ baseURL: served.baseURL, apiKey: "unused", maxRetries: 0 });
    const listed = (await client.models.list()).data as unknown as Array<{ id: string; max_model_len: number | null }>;
    const names = listed.map((model) => model.id);
    assert.deepEqual(names.slice(0, 2), ["oserve-tiny-chat", "small"], "the default first, then in order");
    assert.ok(names.includes("oserve-tiny-think") && names.includes("oserve-tiny-harmony"));
    assert.ok(!names.includes("oserve-random-qwen2"), "the file [models.small] serves is not served twice");
    assert.equal(listed.find((model) => model.id === "small")!.max_model_len, 512, "its own window, before it loads");
    const answer = await client.chat.completions.create({ model: "oserve-tiny-chat", messages: [{ role: "user", content: CAPITAL }], temperature: 0 });
    assert.equal(answer.choices[0]!.message.content, CAPITAL_ANSWER);
    const small = await client.completions.create({ model: "small", prompt: "Hi", max_tokens: 2, temperature: 0 });
    assert.equal(small.model, "small");
    assert.match(served.stderr(), /^oserve: small: loaded in .*context: 512 tokens per request \(--ctx-size\)/m);
    // The same file in another chat format: the same messages make another prompt.
    const prompt = async (model: string) => (await client.chat.completions.create({ model, messages: [{ role: "user", content: "Hi" }], max_tokens: 1 })).usage!.prompt_tokens;
    const [qwen, llama] = [await prompt("small"), await prompt("small-llama")];
    assert.notEqual(qwen, llama, "chat-template llama3.1 renders the prompt otherwise");
  });
});
