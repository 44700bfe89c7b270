// Keepalives of the Responses and Messages APIs, in their own vocabulary, while a request waits for
// its turn and during a long prefill: the random-weight model, asserting on shapes only.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { KEEPALIVE_MODES, type KeepaliveMode } from "../../src/stream/keepalive-policy.ts";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { drain, expectAborted, health, holdSlot, metric, RANDOM, startServer, until, waitForIdle, type TestServer } from "../helpers/test-server.ts";
import { bounded, GET_WEATHER } from "../helpers/tiny-chat-tools.ts";
import { keepaliveHeaders, postJson, readFrames, type RawFrame } from "../helpers/sse-frames.ts";

const PROMPT = "Tell me a long story.";
const CONTENT_EVENTS = new Set(["response.output_item.added", "content_block_start"]);

/** The keepalives before the first content, as each mode sends them; fails on anything else there. */
function keepalivesBeforeContent(frames: RawFrame[], mode: KeepaliveMode, dataKeepalive: string, opening: number): RawFrame[] {
  const first = frames.findIndex((f) => f.event !== undefined && CONTENT_EVENTS.has(f.event));
  assert.ok(first > 0, "the stream reached its content");
  const before = frames.slice(opening, first);
  for (const frame of before) {
    if (mode === "comment") assert.equal(frame.comment, "keep-alive");
    else assert.equal(frame.event, dataKeepalive);
  }
  if (mode === "off") assert.equal(before.length, 0);
  return before;
}

const responsesRequest = (input: string) => ({ input, stream: true, temperature: 0, max_output_tokens: 3 });
const messagesRequest = (content: string) => ({ model: "x", max_tokens: 3, stream: true, temperature: 0, messages: [{ role: "user", content }] });

// One server, one slot: each mode's requests say theirs in a header (keepaliveHeaders).
let server: TestServer;
before(async () => {
  server = await startServer(["--model", RANDOM, "--parallel", "1", "--keepalive", "chunk", "--keepalive-interval", "0.05"]);
});
after(() => server?.stop());

/**
 * Holds the only slot while `requests` wait behind it, and lets it go once they have had what the
 * mode sends while waiting: `frames` each (opening and keepalives), or, with keepalives off, once
 * all of them are queued.
 */
async function whileHeld<T>(mode: KeepaliveMode, frames: number[], requests: (onFrame: (i: number) => (all: readonly RawFrame[]) => void) => Promise<T>): Promise<{ result: T; heldUntil: number }> {
  await waitForIdle(server, 10_000);
  const held = await holdSlot(server);
  try {
    const seen = frames.map(() => 0);
    const onFrame = (i: number) => (all: readonly RawFrame[]) => {
      seen[i] = all.length;
      if (mode !== "off" && seen.every((count, j) => count >= frames[j]!)) void held.release();
    };
    if (mode === "off") void until(async () => (await health(server)).queued === frames.length, 10_000, "all queued").then(held.release);
    const result = await requests(onFrame);
    return { result, heldUntil: await held.ended };
  } finally {
    await held.release();
  }
}

for (const mode of KEEPALIVE_MODES) {
  describe(`keepalive ${mode} on /v1/responses and /v1/messages`, () => {
    const headers = keepaliveHeaders(mode);
    test("a request waiting for the only slot gets keepalives in its protocol's vocabulary from its first byte", async () => {
      // Frames timed from the clock's origin (readFrames' `at`), to compare with the end of the holding stream.
      const { result: [r, m], heldUntil } = await whileHeld(mode, [2 + 3, 1 + 3], async (onFrame) => {
        const responses = readFrames(await postJson(`${server.baseURL}/responses`, responsesRequest(PROMPT), undefined, headers), 0, onFrame(0));
        const messages = readFrames(await postJson(`${server.baseURL}/messages`, messagesRequest(PROMPT), undefined, headers), 0, onFrame(1));
        return [await responses, await messages] as const;
      });
      // Responses opens with response.created and response.in_progress; Anthropic with message_start.
      assert.deepEqual(r.slice(0, 2).map((f) => f.event), ["response.created", "response.in_progress"]);
      assert.equal(m[0]!.event, "message_start");
      assert.ok(r[0]!.at < heldUntil && m[0]!.at < heldUntil, "the first byte goes out while the request still waits");
      const kr = keepalivesBeforeContent(r, mode, "response.in_progress", 2);
      const km = keepalivesBeforeContent(m, mode, "ping", 1);
      if (mode !== "off") assert.ok(kr.length >= 3 && km.length >= 3, `keepalives while queued: responses ${kr.length}, messages ${km.length}`);
      // Every Responses event, keepalives included, carries the next sequence number.
      r.filter((f) => f.data !== null).forEach((f, i) => assert.equal(JSON.parse(f.data!).sequence_number, i));
      assert.equal(r.at(-1)!.event, "response.incomplete");
      assert.deepEqual(m.slice(-2).map((f) => f.event), ["message_delta", "message_stop"]);
    });

    test("real SDKs stream a grammar-forced tool call while queued behind another request, keepalives and all", async () => {
      await waitForIdle(server, 10_000);
      const counted = { mode: mode === "off" ? "chunk" : mode };
      const keepalivesBefore = await metric(server, "oserve_keepalives_total", counted);
      const held = await holdSlot(server);
      // Let go once both wait, with two keepalives each where the mode sends them.
      const letGo = until(
        async () => (await health(server)).queued === 2 && (mode === "off" || (await metric(server, "oserve_keepalives_total", counted)) >= keepalivesBefore + 4),
        10_000,
        "both requests waiting, kept alive",
      ).finally(held.release);
      const params = bounded(GET_WEATHER).function.parameters!;
      const openai = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0, defaultHeaders: headers });
      const anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0, defaultHeaders: headers });
      const [response, message] = await Promise.all([
        openai.responses
          .stream({ model: "x", input: "Weather?", temperature: 0, tools: [{ type: "function", name: "get_weather", parameters: params, strict: false }], tool_choice: "required", parallel_tool_calls: false })
          .finalResponse(),
        anthropic.messages
          // llama.cpp's call grammar lets whitespace in between the JSON's tokens, which the random model spends tokens on.
          .stream({ model: "x", max_tokens: 400, ...({ temperature: 0 } as {}), tools: [{ name: "get_weather", input_schema: params as Anthropic.Tool.InputSchema }], tool_choice: { type: "any", disable_parallel_tool_use: true }, messages: [{ role: "user", content: "Weather?" }] })
          .finalMessage(),
      ]).finally(held.release);
      await letGo;
      const call = response.output.find((item) => item.type === "function_call");
      assert.ok(call?.type === "function_call" && call.name === "get_weather" && typeof JSON.parse(call.arguments).city === "string", JSON.stringify(response.output));
      const use = message.content.find((block) => block.type === "tool_use");
      assert.ok(use?.type === "tool_use" && use.name === "get_weather" && typeof (use.input as { city: unknown }).city === "string", JSON.stringify(message.content));
    });

    test("a client that leaves a Responses or Messages stream frees the slot at once", async () => {
      for (const [path, body] of [["responses", responsesRequest(PROMPT)], ["messages", messagesRequest(PROMPT)]] as const) {
        await waitForIdle(server, 10_000);
        const abort = new AbortController();
        const response = postJson(`${server.baseURL}/${path}`, { ...body, max_output_tokens: undefined, max_tokens: 2000 }, abort.signal, headers);
        const reading = expectAborted(drain(response));
        await until(async () => (await health(server)).slots_in_use === 1, 10_000, "the stream generating");
        abort.abort();
        await reading;
        // 2000 tokens would take this model many seconds: a slot free within this wait was freed by the abort.
        await waitForIdle(server, 3000);
      }
    });

    test("a prompt of thousands of tokens gets keepalives during its prefill", async () => {
      // Different words: the same prompt twice would be reused from the sequence, with no prefill to wait for.
      const r = await readFrames(await postJson(`${server.baseURL}/responses`, responsesRequest(`${mode} word `.repeat(1500)), undefined, headers));
      const m = await readFrames(await postJson(`${server.baseURL}/messages`, messagesRequest(`${mode} term `.repeat(1500)), undefined, headers));
      const kr = keepalivesBeforeContent(r, mode, "response.in_progress", 2);
      const km = keepalivesBeforeContent(m, mode, "ping", 1);
      if (mode !== "off") assert.ok(kr.length >= 1 && km.length >= 1, `keepalives during prefill: responses ${kr.length}, messages ${km.length}`);
    });
  });
}
