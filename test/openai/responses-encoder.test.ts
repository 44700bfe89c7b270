import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import OpenAI from "openai";
import type { EngineEvent, StreamEvent } from "../../src/engine/events.ts";
import { collectResponse } from "../../src/openai/responses-collect.ts";
import { responsesEncoder, type ResponsesEncoderOptions } from "../../src/openai/responses-encoder.ts";
import type { ResponseEcho } from "../../src/openai/responses-types.ts";
import { encodeStream } from "../../src/stream/encoder.ts";
import type { KeepaliveMode } from "../../src/stream/keepalive-policy.ts";
import { engineRunArb, failingRunArb, fetchServing, modeArb, namedEvents, ticksEverywhere, withTicksArb } from "../helpers/engine-run-arbs.ts";

const echo: ResponseEcho = {
  id: "resp_abc",
  created_at: 1_700_000_000,
  model: "m",
  instructions: null,
  max_output_tokens: null,
  metadata: {},
  parallel_tool_calls: true,
  previous_response_id: null,
  store: true,
  temperature: 0,
  text: { format: { type: "text" } },
  tool_choice: "auto",
  tools: [],
  top_p: 1,
};
const functionName = (name: string) => (name.includes(".") ? { namespace: name.split(".")[0]!, name: name.split(".")[1]! } : { name });
/** A seal that shows what it sealed, so that a stream and its collected response can be compared. */
const options: ResponsesEncoderOptions = { functionName, sealThought: (thought) => `sealed:${thought}` };
const encode = (mode: KeepaliveMode, events: StreamEvent[]) => encodeStream(responsesEncoder(echo, options), mode, events);
const TERMINAL = ["response.completed", "response.incomplete", "response.failed"];

const events = namedEvents;

describe("responses encoder (property)", () => {
  test("every frame is a named event whose data has the same type; sequence numbers count from 0 without gaps", () => {
    fc.assert(
      fc.property(modeArb, fc.oneof(engineRunArb.chain(withTicksArb), failingRunArb), (mode, run) => {
        const seen = events(encode(mode, run)).filter((e) => e !== null);
        seen.forEach((e, i) => {
          assert.equal(e!.data.type, e!.name);
          assert.equal(e!.data.sequence_number, i);
        });
      }),
    );
  });

  test("exactly one terminal event, last; it is failed after an engine error, incomplete after a length cut", () => {
    fc.assert(
      fc.property(modeArb, fc.oneof(engineRunArb.chain(withTicksArb), failingRunArb), (mode, run) => {
        const all = events(encode(mode, run));
        const terminals = all.flatMap((e, i) => (e && TERMINAL.includes(e.name) ? [i] : []));
        assert.deepEqual(terminals, [all.length - 1]);
        const last = all.at(-1)!;
        const finish = run.find((e) => e.type === "finish");
        if (run.some((e) => e.type === "error")) assert.equal(last.name, "response.failed");
        else assert.equal(last.name, finish?.type === "finish" && finish.reason.type === "length" ? "response.incomplete" : "response.completed");
      }),
    );
  });

  test("every item and content part is opened before its deltas and closed exactly once, before the terminal event", () => {
    fc.assert(
      fc.property(modeArb, engineRunArb.chain(withTicksArb), (mode, run) => {
        const all = events(encode(mode, run)).filter((e) => e !== null);
        const opened = new Set<number>();
        const closed = new Set<number>();
        for (const { name, data } of all) {
          const index = data.output_index as number;
          if (name === "response.output_item.added") {
            assert.ok(!opened.has(index));
            opened.add(index);
          } else if (name === "response.output_item.done") {
            assert.ok(opened.has(index) && !closed.has(index), `item ${index} closed once after it opened`);
            closed.add(index);
          } else if (index !== undefined) assert.ok(opened.has(index) && !closed.has(index), `${name} inside its open item ${index}`);
        }
        assert.deepEqual([...closed].sort(), [...opened].sort());
      }),
    );
  });

  test("keepalives: in chunk mode a response.in_progress carrying the response as it stands; none after the finish", () => {
    fc.assert(
      fc.property(modeArb, engineRunArb.chain(withTicksArb), (mode, run) => {
        const all = events(encode(mode, run));
        const keepalives = all.filter((e, i) => i > 1 && (e === null || e.name === "response.in_progress"));
        if (mode === "off") assert.equal(keepalives.length, 0);
        if (mode === "comment") assert.ok(keepalives.every((e) => e === null));
        if (mode === "chunk") assert.ok(keepalives.every((e) => e !== null && e.data.response.status === "in_progress"));
        // Ticks after the finish event send nothing: what the events after it add (before the terminal event) holds no keepalive.
        const finishAt = run.findIndex((e) => e.type === "finish");
        const upToFinish = events(encode(mode, run.slice(0, finishAt + 1)));
        assert.ok(all.slice(upToFinish.length - 1, -1).every((e) => e !== null && e.name !== "response.in_progress"));
      }),
    );
  });

  test("the openai SDK's responses.stream() accepts a keepalive at every point and ends with the same response as without", async () => {
    await fc.assert(
      fc.asyncProperty(engineRunArb, async (run) => {
        const finals = [];
        for (const stream of [run, ticksEverywhere(run)]) {
          const client = new OpenAI({ apiKey: "x", baseURL: "http://oserve.test/v1", fetch: fetchServing(encode("chunk", stream)), maxRetries: 0 });
          const final = await client.responses.stream({ model: "m", input: "x" }).finalResponse();
          finals.push(final);
        }
        assert.deepEqual(finals[1], finals[0]);
        const expected = collectResponse(echo, options, run);
        // The SDK adds its own parse results (`parsed`, `parsed_arguments`) to what it received.
        const received = JSON.parse(JSON.stringify(finals[0]!.output, (key, value) => (key === "parsed" || key === "parsed_arguments" ? undefined : value)));
        assert.deepEqual(received, expected.output);
        assert.equal(finals[0]!.output_text, run.flatMap((e: EngineEvent) => (e.type === "text" ? [e.text] : [])).join(""));
        const thought = run.flatMap((e: EngineEvent) => (e.type === "reasoning" ? [e.text] : [])).join("");
        const reasoning = finals[0]!.output.filter((item) => item.type === "reasoning");
        assert.deepEqual(reasoning.map((item) => item.content?.map((part) => part.text).join("")), thought === "" ? [] : [thought]);
      }),
      { numRuns: 40 },
    );
  });
});

describe("responses encoder (examples)", () => {
  test("a namespace's function is called back by its own name and namespace", () => {
    const response = collectResponse(echo, options, [
      { type: "tool_call", index: 0, id: "call_1", name: "crm.lookup" },
      { type: "tool_call_arguments", index: 0, arguments: "{}" },
      { type: "finish", reason: { type: "tool_calls" } },
      { type: "usage", usage: { promptTokens: 5, completionTokens: 3, cachedTokens: 2 } },
    ]);
    assert.deepEqual(response.output[0], { type: "function_call", id: "fc_abc_0", call_id: "call_1", name: "lookup", namespace: "crm", arguments: "{}", status: "completed" });
    assert.deepEqual(response.usage, { input_tokens: 5, input_tokens_details: { cached_tokens: 2 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 8 });
  });

  test("a stream that ends without a finish is failed, never completed", () => {
    const last = events(encode("off", [{ type: "text", text: "hi" }])).at(-1)!;
    assert.equal(last.name, "response.failed");
    assert.equal(last.data.response.error.code, "server_error");
  });

  test("a failure's code, where the engine gives one, is the failed response's: Codex compacts on context_length_exceeded", () => {
    const all = events(encode("chunk", [{ type: "error", message: "too long", code: "context_length_exceeded" }]));
    assert.deepEqual(
      all.map((e) => e?.name),
      ["response.created", "response.in_progress", "response.failed"],
    );
    assert.deepEqual(all.at(-1)!.data.response.error, { code: "context_length_exceeded", message: "too long" });
  });
});

describe("responses encoder: reasoning", () => {
  const thought: EngineEvent[] = [
    { type: "reasoning", text: "The user asks" },
    { type: "reasoning", text: " for Paris." },
    { type: "reasoning_end" },
    { type: "text", text: "Paris." },
    { type: "finish", reason: { type: "end" } },
    { type: "usage", usage: { promptTokens: 5, completionTokens: 9, reasoningTokens: 6 } },
  ];

  test("a thought is a reasoning item before the message: its part opened before its deltas, the whole text in .done, closed at its end", () => {
    const names = events(encode("off", thought)).map((e) => `${e!.name}@${e!.data.output_index ?? ""}`);
    assert.deepEqual(names, [
      "response.created@",
      "response.in_progress@",
      "response.output_item.added@0",
      "response.content_part.added@0",
      "response.reasoning_text.delta@0",
      "response.reasoning_text.delta@0",
      "response.reasoning_text.done@0",
      "response.content_part.done@0",
      "response.output_item.done@0",
      "response.output_item.added@1",
      "response.content_part.added@1",
      "response.output_text.delta@1",
      "response.output_text.done@1",
      "response.content_part.done@1",
      "response.output_item.done@1",
      "response.completed@",
    ]);
    const done = events(encode("off", thought)).find((e) => e?.name === "response.reasoning_text.done")!;
    assert.equal(done.data.text, "The user asks for Paris.");
  });

  test("encrypted_content seals the whole thought when asked for, and is absent otherwise; reasoning tokens are counted apart", () => {
    const sealed = collectResponse(echo, options, thought);
    assert.deepEqual(sealed.output[0], {
      type: "reasoning",
      id: "rs_abc_0",
      status: "completed",
      summary: [],
      content: [{ type: "reasoning_text", text: "The user asks for Paris." }],
      encrypted_content: "sealed:The user asks for Paris.",
    });
    assert.equal(sealed.usage?.output_tokens_details.reasoning_tokens, 6);
    const plain = collectResponse(echo, { ...options, sealThought: null }, thought);
    assert.ok(!("encrypted_content" in plain.output[0]!));
  });

  test("a length cut inside the thought is incomplete, with the thought delivered as a reasoning item", () => {
    const response = collectResponse(echo, options, [
      { type: "reasoning", text: "The user" },
      { type: "finish", reason: { type: "length" } },
      { type: "usage", usage: { promptTokens: 5, completionTokens: 2, reasoningTokens: 2 } },
    ]);
    assert.equal(response.status, "incomplete");
    assert.deepEqual(response.incomplete_details, { reason: "max_output_tokens" });
    assert.equal(response.output.length, 1);
    assert.equal(response.output[0]!.type, "reasoning");
  });
});
