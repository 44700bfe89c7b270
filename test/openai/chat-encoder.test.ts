import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { StreamEvent } from "../../src/engine/events.ts";
import { chatEncoder } from "../../src/openai/chat-encoder.ts";
import type { StreamIdentity } from "../../src/openai/types.ts";
import { encodeStream as encodeWith } from "../../src/stream/encoder.ts";
import { KEEPALIVE_MODES, type KeepaliveMode } from "../../src/stream/keepalive-policy.ts";
import OpenAI from "openai";
import { REASONING_FORMATS, type ReasoningFormat } from "../../src/openai/reasoning-format.ts";
import { collectChat } from "../../src/openai/chat-collect.ts";
import { engineRunArb, failingRunArb, fetchServing, ticksEverywhere, withTicksArb } from "../helpers/engine-run-arbs.ts";

interface EncoderOptions {
  keepalive: KeepaliveMode;
  includeUsage: boolean;
}

/** The chat encoder under a keepalive mode, over a whole stream. */
const encodeStream = (identity: StreamIdentity, options: EncoderOptions, events: Iterable<StreamEvent>) =>
  encodeWith(chatEncoder(identity, { includeUsage: options.includeUsage, reasoningFormat: "separate" }), options.keepalive, events);

const identityArb: fc.Arbitrary<StreamIdentity> = fc.record({
  id: fc.stringMatching(/^[0-9a-f]{24}$/).map((hex) => `chatcmpl-${hex}`),
  created: fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }),
  model: fc.string({ minLength: 1, maxLength: 20 }),
});

const optionsArb: fc.Arbitrary<EncoderOptions> = fc.record({
  keepalive: fc.constantFrom(...KEEPALIVE_MODES),
  includeUsage: fc.boolean(),
});

const caseArb = fc.record({ identity: identityArb, options: optionsArb, events: engineRunArb.chain(withTicksArb) });
const failingCaseArb = fc.record({ identity: identityArb, options: optionsArb, events: failingRunArb });

interface Parsed {
  frame: string;
  json: any | null;
}

function parse(frames: string[]): Parsed[] {
  return frames.map((frame) => {
    assert.ok(frame.endsWith("\n\n"), `frame ends with a blank line: ${JSON.stringify(frame)}`);
    if (!frame.startsWith("data: ")) return { frame, json: null };
    const data = frame.slice("data: ".length, -2);
    return { frame, json: data === "[DONE]" ? "[DONE]" : JSON.parse(data) };
  });
}

const isChunk = (p: Parsed) => p.json !== null && typeof p.json === "object" && p.json.object === "chat.completion.chunk";
const isKeepaliveChunk = (p: Parsed) =>
  isChunk(p) && p.json.choices.length === 1 && p.json.choices[0].finish_reason === null &&
  JSON.stringify(p.json.choices[0].delta) === JSON.stringify({ role: "assistant", content: "" });
const isKeepalive = (p: Parsed) => p.json === null || isKeepaliveChunk(p);
const finishIndexes = (parsed: Parsed[]) => parsed.flatMap((p, i) => (isChunk(p) && p.json.choices[0]?.finish_reason ? [i] : []));

/** The thought and the answer as a client reads them from the stream's deltas. */
function readBack(frames: string[]): { reasoning: string; content: string } {
  const deltas = parse(frames).filter(isChunk).flatMap((p) => p.json.choices.map((c: any) => c.delta));
  return { reasoning: deltas.map((d) => d.reasoning_content ?? "").join(""), content: deltas.map((d) => d.content ?? "").join("") };
}

describe("encodeStream (property)", () => {
  test("every data frame parses as JSON, and [DONE] comes once, last", () => {
    fc.assert(
      fc.property(caseArb, ({ identity, options, events }) => {
        const parsed = parse(encodeStream(identity, options, events));
        assert.deepEqual(parsed.filter((p) => p.json === "[DONE]").length, 1);
        assert.equal(parsed.at(-1)!.json, "[DONE]");
      }),
    );
  });

  test("every chunk carries the stream's id, created and model", () => {
    fc.assert(
      fc.property(caseArb, ({ identity, options, events }) => {
        for (const p of parse(encodeStream(identity, options, events)).filter(isChunk)) {
          assert.equal(p.json.id, identity.id);
          assert.equal(p.json.created, identity.created);
          assert.equal(p.json.model, identity.model);
        }
      }),
    );
  });

  test("in chunk mode the first frame is the keepalive chunk with role assistant", () => {
    fc.assert(
      fc.property(caseArb.filter((c) => c.options.keepalive === "chunk"), ({ identity, options, events }) => {
        assert.ok(isKeepaliveChunk(parse(encodeStream(identity, options, events))[0]!));
      }),
    );
  });

  test("in every mode the first chunk carries role assistant; later ones only if they are keepalives", () => {
    fc.assert(
      fc.property(caseArb, ({ identity, options, events }) => {
        const chunks = parse(encodeStream(identity, options, events)).filter(isChunk);
        assert.equal(chunks[0]!.json.choices[0].delta.role, "assistant");
        for (const p of chunks.slice(1).filter((p) => !isKeepaliveChunk(p))) assert.equal(p.json.choices[0]?.delta.role, undefined);
      }),
    );
  });

  test("exactly one chunk has a finish_reason, and no keepalive follows it", () => {
    fc.assert(
      fc.property(caseArb, ({ identity, options, events }) => {
        const parsed = parse(encodeStream(identity, options, events));
        const finishes = finishIndexes(parsed);
        assert.equal(finishes.length, 1);
        assert.ok(parsed.slice(finishes[0]! + 1).every((p) => !isKeepalive(p)));
      }),
    );
  });

  test("the usage chunk, when asked for, is last before [DONE]; otherwise no usage field at all", () => {
    fc.assert(
      fc.property(caseArb, ({ identity, options, events }) => {
        const parsed = parse(encodeStream(identity, options, events));
        const chunks = parsed.filter(isChunk);
        if (options.includeUsage) {
          const usageChunk = parsed.at(-2)!;
          assert.ok(isChunk(usageChunk));
          assert.deepEqual(usageChunk.json.choices, []);
          const usage = events.find((e) => e.type === "usage")!.usage;
          assert.deepEqual(usageChunk.json.usage, {
            prompt_tokens: usage.promptTokens,
            completion_tokens: usage.completionTokens,
            total_tokens: usage.promptTokens + usage.completionTokens,
            ...(usage.cachedTokens !== undefined ? { prompt_tokens_details: { cached_tokens: usage.cachedTokens } } : {}),
            ...(usage.reasoningTokens !== undefined ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } } : {}),
          });
          for (const p of chunks.slice(0, -1)) assert.equal(p.json.usage, null);
        } else {
          for (const p of chunks) assert.ok(!("usage" in p.json));
        }
      }),
    );
  });

  test("comment mode frames that are not data start with ':'; off mode sends no keepalive", () => {
    fc.assert(
      fc.property(caseArb, ({ identity, options, events }) => {
        const parsed = parse(encodeStream(identity, options, events));
        const comments = parsed.filter((p) => p.json === null);
        if (options.keepalive === "comment") {
          assert.ok(comments.length >= 1);
          for (const p of comments) assert.equal(p.frame, ": keep-alive\n\n");
          assert.ok(!parsed.some(isKeepaliveChunk));
        }
        if (options.keepalive === "off") {
          assert.equal(comments.length, 0);
          assert.ok(!parsed.some(isKeepaliveChunk));
        }
        if (options.keepalive === "chunk") assert.equal(comments.length, 0);
      }),
    );
  });

  test("text and tool-call arguments reassemble to what the engine said", () => {
    fc.assert(
      fc.property(caseArb, ({ identity, options, events }) => {
        const chunks = parse(encodeStream(identity, options, events)).filter(isChunk);
        const deltas = chunks.flatMap((p) => p.json.choices.map((c: any) => c.delta));
        const text = deltas.map((d) => d.content ?? "").join("");
        assert.equal(text, events.flatMap((e) => (e.type === "text" ? [e.text] : [])).join(""));
        assert.equal(deltas.map((d) => d.reasoning_content ?? "").join(""), events.flatMap((e) => (e.type === "reasoning" ? [e.text] : [])).join(""));
        const calls: Array<{ id: string; name: string; arguments: string }> = [];
        for (const call of deltas.flatMap((d) => d.tool_calls ?? [])) {
          if (call.id) {
            assert.equal(call.type, "function");
            assert.equal(call.function.arguments, "");
            calls[call.index] = { id: call.id, name: call.function.name, arguments: "" };
          } else {
            assert.equal(call.function.name, undefined);
            calls[call.index]!.arguments += call.function.arguments;
          }
        }
        const expected: typeof calls = [];
        for (const e of events) {
          if (e.type === "tool_call") expected[e.index] = { id: e.id, name: e.name, arguments: "" };
          if (e.type === "tool_call_arguments") expected[e.index]!.arguments += e.arguments;
        }
        assert.deepEqual(calls, expected);
      }),
    );
  });

  test("an engine error ends the stream with an error frame then [DONE], and nothing else after", () => {
    fc.assert(
      fc.property(failingCaseArb, ({ identity, options, events }) => {
        const parsed = parse(encodeStream(identity, options, events));
        assert.equal(parsed.at(-1)!.json, "[DONE]");
        assert.deepEqual(parsed.at(-2)!.json, { error: { message: "boom", type: "server_error", param: null, code: null } });
        assert.ok(finishIndexes(parsed).length <= 1);
        assert.ok(!parsed.some((p) => isChunk(p) && p.json.choices.length === 0), "no usage chunk after a failure");
      }),
    );
  });
});

describe("encodeStream (examples)", () => {
  const identity = { id: "chatcmpl-abc", created: 1700000000, model: "m" };

  test("a stream without a finish reason ends with an error frame, never silently", () => {
    const frames = encodeStream(identity, { keepalive: "off", includeUsage: false }, [{ type: "text", text: "hi" }]);
    assert.match(frames.at(-2)!, /"type":"server_error"/);
    assert.equal(frames.at(-1), "data: [DONE]\n\n");
  });

  test("the keepalive chunk is exactly OpenAI's first-chunk shape", () => {
    const [first] = encodeStream(identity, { keepalive: "chunk", includeUsage: false }, []);
    assert.deepEqual(JSON.parse(first!.slice(6)), {
      id: "chatcmpl-abc",
      object: "chat.completion.chunk",
      created: 1700000000,
      model: "m",
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
    });
  });
});

describe("reasoning in chat completions (--reasoning-format)", () => {
  const thoughtOf = (events: readonly StreamEvent[]) => events.flatMap((e) => (e.type === "reasoning" ? [e.text] : [])).join("");
  const answerOf = (events: readonly StreamEvent[]) => events.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("");
  const encodeAs = (reasoningFormat: ReasoningFormat, events: StreamEvent[]) =>
    encodeWith(chatEncoder({ id: "chatcmpl-1", created: 1, model: "m" }, { includeUsage: false, reasoningFormat }), "chunk", events);

  test("separate: the thought in reasoning_content, streamed and whole alike; inline: in content between <think> tags; hidden: nowhere", () => {
    fc.assert(
      fc.property(engineRunArb.chain(withTicksArb), (events) => {
        const thought = thoughtOf(events);
        const answer = answerOf(events);
        const ended = events.some((e) => e.type === "reasoning_end");
        const engineEvents = events.filter((e) => e.type !== "tick");
        assert.deepEqual(readBack(encodeAs("separate", events)), { reasoning: thought, content: answer });
        const inline = thought === "" ? answer : `<think>\n${thought}${ended ? "\n</think>\n\n" : ""}${answer}`;
        assert.deepEqual(readBack(encodeAs("inline", events)), { reasoning: "", content: inline });
        assert.deepEqual(readBack(encodeAs("hidden", events)), { reasoning: "", content: answer });
        for (const format of REASONING_FORMATS) {
          const message = collectChat({ id: "chatcmpl-1", created: 1, model: "m" }, engineEvents, format).choices[0]!.message;
          const streamed = readBack(encodeAs(format, events));
          assert.equal(message.reasoning_content ?? "", streamed.reasoning);
          assert.equal(message.content ?? "", streamed.content);
        }
      }),
    );
  });

  test("the openai SDK's chat stream helper reads the same answer and thought with a keepalive at every point", async () => {
    await fc.assert(
      fc.asyncProperty(engineRunArb, async (run) => {
        const reads = [];
        for (const events of [run, ticksEverywhere(run)]) {
          const client = new OpenAI({ apiKey: "x", baseURL: "http://oserve.test/v1", fetch: fetchServing(encodeAs("separate", events)), maxRetries: 0 });
          const stream = client.chat.completions.stream({ model: "m", messages: [{ role: "user", content: "x" }] });
          // The helper keeps fields it does not know (reasoning_content) from the last delta only: read the thought from its chunks.
          let reasoning = "";
          stream.on("chunk", (chunk) => (reasoning += (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? ""));
          const final = await stream.finalChatCompletion();
          reads.push({ reasoning, content: final.choices[0]!.message.content ?? "", finish: final.choices[0]!.finish_reason });
        }
        assert.deepEqual(reads[1], reads[0]);
        assert.equal(reads[0]!.reasoning, thoughtOf(run));
        assert.equal(reads[0]!.content, answerOf(run));
      }),
      { numRuns: 40 },
    );
  });
});
