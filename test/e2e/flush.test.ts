// --flush-interval-ms on the real server: a fast stream's chunks arrive in groups, each still its own
// chunk, and nothing is lost or reordered.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { RANDOM, startServer, type TestServer } from "../helpers/test-server.ts";
import { dataChunks, postChat, readFrames } from "../helpers/sse-frames.ts";

const INTERVAL_MS = 100;
const REQUEST = { model: "m", messages: [{ role: "user" as const, content: "Count to a hundred." }], max_tokens: 128, temperature: 0 };

describe(`--flush-interval-ms ${INTERVAL_MS} on a fast stream`, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(["--model", RANDOM, "--flush-interval-ms", String(INTERVAL_MS)]);
  });
  after(async () => {
    assert.equal(await server?.stop(), 0);
  });

  test("chunks come in groups at most one an interval, each chunk still whole", async () => {
    const startedAt = performance.now();
    const response = await postChat(server.baseURL, { ...REQUEST, stream: true, stream_options: { include_usage: true } }, undefined);
    const frames = await readFrames(response, startedAt);
    assert.equal(frames.at(-1)?.data, "[DONE]");
    const chunks = dataChunks(frames);
    const usage = chunks.at(-1).usage;
    assert.equal(usage.completion_tokens, 128);
    const content = chunks.filter((c) => c.choices[0]?.delta?.content);
    // Frames read less than 10 ms apart came in one write (or one burst of writes). At most one write
    // an interval, past the opening, the first token and the last: a ceiling on the count, which a
    // client that reads late can only lower (a minimum gap between reads could shrink under load).
    const groups = frames.filter((f, i) => i === 0 || f.at - frames[i - 1]!.at >= 10);
    const span = frames.at(-1)!.at - frames[0]!.at;
    assert.ok(groups.length <= Math.ceil(span / INTERVAL_MS) + 3, `${groups.length} groups in ${span.toFixed(0)} ms`);
    assert.ok(content.length > groups.length, `${content.length} content chunks in ${groups.length} groups`);
  });

  test("the openai SDK reads the grouped stream as the same answer as the non-streamed one", async () => {
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
    const whole = await client.chat.completions.create(REQUEST);
    let streamed = "";
    for await (const chunk of await client.chat.completions.create({ ...REQUEST, stream: true })) streamed += chunk.choices[0]?.delta?.content ?? "";
    assert.equal(streamed, whole.choices[0]!.message.content);
  });
});
