import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import fc from "fast-check";
import type { StreamEvent } from "../../src/engine/events.ts";
import { collectMessage } from "../../src/anthropic/messages-collect.ts";
import { messagesEncoder, type MessageIdentity, type MessagesEncoderOptions } from "../../src/anthropic/messages-encoder.ts";
import { encodeStream } from "../../src/stream/encoder.ts";
import type { KeepaliveMode } from "../../src/stream/keepalive-policy.ts";
import { engineRunArb, failingRunArb, fetchServing, modeArb, namedEvents, ticksEverywhere, withTicksArb } from "../helpers/engine-run-arbs.ts";

const identity: MessageIdentity = { id: "msg_abc", model: "m", inputTokens: 42 };
/** A seal that shows what it sealed, so that a stream and its collected message can be compared. */
const options: MessagesEncoderOptions = { thinkingDisplay: "summarized", sealThought: (thought) => `sealed:${thought}` };
const encode = (mode: KeepaliveMode, events: StreamEvent[], with_: MessagesEncoderOptions = options) => encodeStream(messagesEncoder(identity, with_), mode, events);
const events = namedEvents;

describe("messages encoder (property)", () => {
  test("every frame is a named event whose data has the same type; message_start first", () => {
    fc.assert(
      fc.property(modeArb, fc.oneof(engineRunArb.chain(withTicksArb), failingRunArb), (mode, run) => {
        const all = events(encode(mode, run));
        assert.equal(all[0]?.name, "message_start");
        for (const e of all.filter((e) => e !== null)) assert.equal(e!.data.type, e!.name);
      }),
    );
  });

  test("exactly one terminal event, last: message_stop after message_delta, or error after an engine error", () => {
    fc.assert(
      fc.property(modeArb, fc.oneof(engineRunArb.chain(withTicksArb), failingRunArb), (mode, run) => {
        const all = events(encode(mode, run));
        const terminals = all.flatMap((e, i) => (e && (e.name === "message_stop" || e.name === "error") ? [i] : []));
        assert.deepEqual(terminals, [all.length - 1]);
        if (run.some((e) => e.type === "error")) assert.equal(all.at(-1)!.name, "error");
        else assert.equal(all.at(-2)!.name, "message_delta");
      }),
    );
  });

  test("every content block opens before its deltas and stops exactly once; pings only outside the end", () => {
    fc.assert(
      fc.property(modeArb, engineRunArb.chain(withTicksArb), (mode, run) => {
        const all = events(encode(mode, run));
        const open = new Set<number>();
        const stopped = new Set<number>();
        let next = 0;
        for (const e of all) {
          if (e === null) continue;
          const index = e.data.index as number;
          if (e.name === "content_block_start") {
            assert.equal(index, next++, "blocks are numbered in order");
            assert.equal(open.size, 0, "one block open at a time");
            open.add(index);
          } else if (e.name === "content_block_delta") assert.ok(open.has(index));
          else if (e.name === "content_block_stop") {
            assert.ok(open.delete(index) && !stopped.has(index));
            stopped.add(index);
          } else if (e.name === "message_delta" || e.name === "message_stop") assert.equal(open.size, 0, "all blocks stopped before the end");
        }
        const pings = all.filter((e) => e?.name === "ping").length;
        const comments = all.filter((e) => e === null).length;
        if (mode !== "chunk") assert.equal(pings, 0);
        if (mode !== "comment") assert.equal(comments, 0);
        const deltaAt = all.findIndex((e) => e?.name === "message_delta");
        assert.ok(all.slice(deltaAt).every((e) => e !== null && e.name !== "ping"));
      }),
    );
  });

  test("@anthropic-ai/sdk's messages.stream() accepts a ping at every point and ends with the non-streamed message", async () => {
    await fc.assert(
      fc.asyncProperty(engineRunArb, async (run) => {
        const finals = [];
        for (const stream of [run, ticksEverywhere(run)]) {
          const client = new Anthropic({ apiKey: "x", baseURL: "http://oserve.test", fetch: fetchServing(encode("chunk", stream)), maxRetries: 0 });
          finals.push(await client.messages.stream({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).finalMessage());
        }
        assert.deepEqual(finals[1], finals[0]);
        // The SDK adds fields of its own (`parsed_output`, an undefined `stop_details`) to what it received.
        const received = JSON.parse(JSON.stringify(finals[0], (key, value) => (key === "parsed_output" ? undefined : value)));
        assert.deepEqual(received, collectMessage(identity, options, run));
      }),
      { numRuns: 40 },
    );
  });
});

describe("messages encoder (examples)", () => {
  test("stop reasons in Anthropic's words, the matched stop sequence named, cache reads apart from input", () => {
    const message = collectMessage(identity, options, [
      { type: "text", text: "The capital of" },
      { type: "finish", reason: { type: "stop_sequence", sequence: " France" } },
      { type: "usage", usage: { promptTokens: 42, completionTokens: 3, cachedTokens: 40 } },
    ]);
    assert.equal(message.stop_reason, "stop_sequence");
    assert.equal(message.stop_sequence, " France");
    assert.deepEqual(message.usage, { input_tokens: 2, output_tokens: 3, cache_read_input_tokens: 40, cache_creation_input_tokens: 0 });
  });

  test("tool calls become tool_use blocks with toolu_ ids and parsed input", () => {
    const message = collectMessage(identity, options, [
      { type: "tool_call", index: 0, id: "call_9", name: "get_weather" },
      { type: "tool_call_arguments", index: 0, arguments: '{"city":' },
      { type: "tool_call_arguments", index: 0, arguments: '"Oslo"}' },
      { type: "finish", reason: { type: "tool_calls" } },
    ]);
    assert.deepEqual(message.content, [{ type: "tool_use", id: "toolu_9", name: "get_weather", input: { city: "Oslo" } }]);
    assert.equal(message.stop_reason, "tool_use");
  });

  test("the keepalive is Anthropic's own ping event", () => {
    const frames = encode("chunk", [{ type: "tick" }, { type: "finish", reason: { type: "end" } }]);
    assert.equal(frames[1], 'event: ping\ndata: {"type":"ping"}\n\n');
  });
});

describe("messages encoder: thinking", () => {
  const thought: StreamEvent[] = [
    { type: "reasoning", text: "The user asks" },
    { type: "tick" },
    { type: "reasoning", text: " for Paris." },
    { type: "reasoning_end" },
    { type: "text", text: "Paris." },
    { type: "finish", reason: { type: "end" } },
  ];

  test("a thought is a thinking block first: its deltas, then a signature_delta sealing the whole thought, then its stop", () => {
    const all = events(encode("chunk", thought)).map((e) => e!);
    const block = all.filter((e) => e.data.index === 0 || e.name === "ping");
    assert.deepEqual(
      block.map((e) => (e.name === "content_block_delta" ? e.data.delta.type : e.name)),
      ["content_block_start", "thinking_delta", "ping", "thinking_delta", "signature_delta", "content_block_stop"],
    );
    assert.deepEqual(block[0]!.data.content_block, { type: "thinking", thinking: "", signature: "" });
    assert.equal(block.at(-2)!.data.delta.signature, "sealed:The user asks for Paris.");
    assert.deepEqual(collectMessage(identity, options, thought.filter((e) => e.type !== "tick") as never).content, [
      { type: "thinking", thinking: "The user asks for Paris.", signature: "sealed:The user asks for Paris." },
      { type: "text", text: "Paris." },
    ]);
  });

  test("display omitted: no thinking text is sent, and the signature still carries the whole thought", () => {
    const omitted: MessagesEncoderOptions = { ...options, thinkingDisplay: "omitted" };
    const all = events(encode("off", thought, omitted)).map((e) => e!);
    assert.ok(!all.some((e) => e.data.delta?.type === "thinking_delta"));
    assert.equal(all.find((e) => e.data.delta?.type === "signature_delta")!.data.delta.signature, "sealed:The user asks for Paris.");
    assert.deepEqual(collectMessage(identity, omitted, thought.filter((e) => e.type !== "tick") as never).content[0], {
      type: "thinking",
      thinking: "",
      signature: "sealed:The user asks for Paris.",
    });
  });

  test("a length cut inside the thought stops at max_tokens with the thinking block, signed", () => {
    const message = collectMessage(identity, options, [
      { type: "reasoning", text: "The user" },
      { type: "finish", reason: { type: "length" } },
    ]);
    assert.equal(message.stop_reason, "max_tokens");
    assert.deepEqual(message.content, [{ type: "thinking", thinking: "The user", signature: "sealed:The user" }]);
  });
});
