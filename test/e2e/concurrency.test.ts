// Many clients at once: batched sequences, the bounded queue, disconnects, prompt reuse.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { drain, expectAborted, health, RANDOM, startServers, TINY_CHAT, until, waitForIdle, type TestServer } from "../helpers/test-server.ts";
import { dataChunks, postChat, readFrames } from "../helpers/sse-frames.ts";

const streamedText = async (server: TestServer, messages: object[], maxTokens?: number) => {
  const frames = await readFrames(await postChat(server.baseURL, { messages, temperature: 0, stream: true, max_tokens: maxTokens }));
  return dataChunks(frames)
    .map((chunk) => chunk.choices[0]?.delta?.content ?? "")
    .join("");
};

// The file's servers, started together: four slots on each model, two slots with a queue of two,
// one slot, and two slots of the trained model for prompt reuse.
const servers: Record<"trained4" | "random4" | "queue" | "one" | "reuse", TestServer> = {} as never;
before(async () => {
  const started = await startServers(
    ["--model", TINY_CHAT, "--parallel", "4"],
    ["--model", RANDOM, "--parallel", "4"],
    ["--model", RANDOM, "--parallel", "2", "--max-queue", "2"],
    ["--model", RANDOM, "--parallel", "1"],
    ["--model", TINY_CHAT, "--parallel", "2"],
  );
  for (const [i, name] of (["trained4", "random4", "queue", "one", "reuse"] as const).entries()) servers[name] = started[i]!;
});
after(() => Promise.all(Object.values(servers).map((server) => server.stop())));

describe("four slots", () => {
  for (const [label, model, maxTokens] of [["trained chat model", TINY_CHAT, undefined], ["random-weight model", RANDOM, 48]] as const) {
    test(`${label}: 4 concurrent streams each equal their solo output`, async () => {
      const server = model === TINY_CHAT ? servers.trained4 : servers.random4;
      const questions = ["Hello", "What is the capital of France?", "What is 3 plus 4?", "What is the capital of Japan?"].map((content) => [{ role: "user", content }]);
      const solo: string[] = [];
      for (const messages of questions) solo.push(await streamedText(server, messages, maxTokens));
      const together = await Promise.all(questions.map((messages) => streamedText(server, messages, maxTokens)));
      assert.deepEqual(together, solo);
      if (model === TINY_CHAT) assert.equal(solo[1], "The capital of France is Paris.");
      const { slots_total, slots_in_use, queued } = await health(server);
      assert.deepEqual([slots_total, slots_in_use, queued], [4, 0, 0]);
    });
  }
});

describe("two slots, a queue of two", () => {
  let server: TestServer;
  before(() => {
    server = servers.queue;
  });

  test("8 concurrent requests: 4 run or wait, the overflow gets 429 with Retry-After, nothing else fails", async () => {
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => postChat(server.baseURL, { messages: [{ role: "user", content: "Hi" }], temperature: 0, max_tokens: 200 })),
    );
    const statuses = responses.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429, 429, 429]);
    for (const response of responses) {
      const body = await response.json();
      if (response.status === 429) {
        assert.equal(response.headers.get("retry-after"), "1");
        assert.equal(body.error.type, "rate_limit_error");
      } else {
        assert.equal(body.choices[0].finish_reason, "length");
        assert.equal(body.usage.completion_tokens, 200);
      }
    }
  });

  test("a queued request whose client leaves is dropped from the queue", async () => {
    const busy = [1, 2].map(() => postChat(server.baseURL, { messages: [{ role: "user", content: "Hi" }], temperature: 0, max_tokens: 800 }));
    await until(async () => (await health(server)).slots_in_use === 2, 2000, "both slots busy");
    const abort = new AbortController();
    const waiting = expectAborted(drain(postChat(server.baseURL, { messages: [{ role: "user", content: "Hi" }], stream: true }, abort.signal)));
    await until(async () => (await health(server)).queued === 1, 2000, "the third request queued");
    abort.abort();
    await waiting;
    await until(async () => (await health(server)).queued === 0, 500, "the queue emptied");
    await Promise.all((await Promise.all(busy)).map((r) => r.json()));
  });
});

describe("two slots, a queue of two: an Anthropic client", () => {
  let server: TestServer;
  before(async () => {
    server = servers.queue;
    await waitForIdle(server, 20_000);
  });

  test("a full queue is Anthropic's 529 overloaded_error, which the SDK retries with its defaults (after Retry-After) and gets through", async () => {
    const holders = new AbortController();
    const held = [1, 2, 3, 4].map(() =>
      expectAborted(drain(postChat(server.baseURL, { messages: [{ role: "user", content: "Hi" }], stream: true, max_tokens: 4000 }, holders.signal))),
    );
    await until(async () => (await health(server)).queued === 2, 5000, "both slots busy and two waiting");
    const statuses: number[] = [];
    const bodies: unknown[] = [];
    // Watches what the SDK gets; once it has been turned away, the holders leave and make room.
    const watching = async (input: string | URL | Request, init?: RequestInit) => {
      const response = await fetch(input, init);
      statuses.push(response.status);
      if (response.status !== 200) {
        bodies.push(await response.clone().json());
        holders.abort();
      }
      return response;
    };
    const anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", fetch: watching as typeof fetch });
    const message = await anthropic.messages.create({ model: "x", max_tokens: 2, messages: [{ role: "user", content: "Hi" }] });
    await Promise.all(held);
    assert.equal(message.usage.output_tokens, 2);
    assert.deepEqual(statuses, [529, 200]);
    assert.deepEqual(bodies, [{ type: "error", error: { type: "overloaded_error", message: "The server is busy: all slots are in use and 2 requests are already waiting. Retry later." } }]);
  });
});

describe("one slot under churn", () => {
  let server: TestServer;
  before(() => {
    server = servers.one;
  });

  test("60 requests in a row, every second client disconnecting mid-stream, leave every slot free", async () => {
    for (let i = 0; i < 60; i++) {
      const abort = new AbortController();
      const response = await postChat(server.baseURL, { messages: [{ role: "user", content: `Request ${i}` }], temperature: 0, stream: true, max_tokens: 24 }, abort.signal);
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      if (i % 2 === 1) {
        await reader.read();
        abort.abort();
        continue;
      }
      while (!(await reader.read()).done);
    }
    await waitForIdle(server, 3000);
    const completion = await (await postChat(server.baseURL, { messages: [{ role: "user", content: "Hi" }], temperature: 0, max_tokens: 8 })).json();
    assert.equal(completion.usage.completion_tokens, 8);
  });
});

describe("prompt reuse", () => {
  let client: OpenAI;
  before(() => {
    client = new OpenAI({ baseURL: servers.reuse.baseURL, apiKey: "unused", maxRetries: 0 });
  });

  test("a follow-up turn reuses the sequence that holds the conversation, even after an unrelated request", async () => {
    const system = { role: "system" as const, content: "You are a helpful assistant." };
    const first = await client.chat.completions.create({ model: "x", temperature: 0, messages: [system, { role: "user", content: "Hello" }] });
    assert.equal(first.usage!.prompt_tokens_details?.cached_tokens, 0);
    // An unrelated conversation takes the other, least recently used, sequence.
    await client.chat.completions.create({ model: "x", temperature: 0, messages: [{ role: "user", content: "What is the capital of Peru?" }] });
    const followUp = await client.chat.completions.create({
      model: "x",
      temperature: 0,
      messages: [system, { role: "user", content: "Hello" }, { role: "assistant", content: first.choices[0]!.message.content! }, { role: "user", content: "What is 3 plus 4?" }],
    });
    assert.equal(followUp.choices[0]!.message.content, "3 plus 4 is 7.");
    const cached = followUp.usage!.prompt_tokens_details!.cached_tokens!;
    assert.ok(cached >= first.usage!.prompt_tokens, `cached ${cached} of ${followUp.usage!.prompt_tokens}`);
    assert.ok(cached < followUp.usage!.prompt_tokens);
  });
});

describe("a new request among busy streams", () => {
  let server: TestServer;
  before(async () => {
    server = servers.random4;
    await waitForIdle(server, 20_000);
  });

  test("starts answering while three others stream, not after they end (its slot's old tokens are erased between decodes)", async () => {
    // Every slot holds an earlier conversation, so that the newcomer's slot has tokens to erase,
    // which takes node-llama-cpp's context lock (held back by the decode loop before the fix).
    await Promise.all([0, 1, 2, 3].map((i) => streamedText(server, [{ role: "user", content: `Warm slot ${i}` }], 8)));
    const leave = new AbortController();
    let longEnded = 0;
    const long = [0, 1, 2].map((i) =>
      expectAborted(
        drain(postChat(server.baseURL, { messages: [{ role: "user", content: `Long story ${i}` }], temperature: 0, stream: true, max_tokens: 4000 }, leave.signal)).finally(() => longEnded++),
      ),
    );
    await until(async () => (await health(server)).slots_in_use === 3, 5000, "three streams running");
    const newcomer = await readFrames(await postChat(server.baseURL, { messages: [{ role: "user", content: "A newcomer" }], temperature: 0, stream: true, max_tokens: 4 }));
    assert.equal(newcomer.at(-1)!.data, "[DONE]");
    // The order is the assertion: the newcomer is over while the three long streams still generate.
    assert.equal(longEnded, 0, "a long stream ended before the newcomer");
    assert.equal((await health(server)).slots_in_use, 3);
    leave.abort();
    await Promise.all(long);
    await waitForIdle(server, 3000);
  });
});
