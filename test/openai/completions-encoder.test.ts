import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { ChoiceEvent, EngineEvent, TickEvent } from "../../src/engine/events.ts";
import { collectCompletion, completionsEncoder } from "../../src/openai/completions-encoder.ts";
import { encodeStream } from "../../src/stream/encoder.ts";
import { engineRunArb, modeArb } from "../helpers/engine-run-arbs.ts";

const identity = { id: "cmpl-abc", created: 1_700_000_000, model: "m" };

/** Several choices' runs (text only: a raw completion has no tools), interleaved at random, ticks anywhere. */
const caseArb = fc
  .record({
    runs: fc.array(engineRunArb.map((run) => run.filter((e) => e.type !== "tool_call" && e.type !== "tool_call_arguments")), { minLength: 1, maxLength: 3 }),
    seed: fc.array(fc.nat(100), { maxLength: 200 }),
    ticks: fc.array(fc.nat(2), { maxLength: 200 }),
    mode: modeArb,
    includeUsage: fc.boolean(),
  })
  .map(({ runs, seed, ticks, mode, includeUsage }) => {
    const queues = runs.map((run, choice) => run.map((event): ChoiceEvent => ({ ...event, choice })));
    const events: Array<ChoiceEvent | TickEvent> = [];
    let i = 0;
    while (queues.some((q) => q.length > 0)) {
      for (let t = 0; t < (ticks[i] ?? 0); t++) events.push({ type: "tick" });
      const open = queues.filter((q) => q.length > 0);
      events.push(open[(seed[i] ?? 0) % open.length]!.shift()!);
      i++;
    }
    return { choices: runs.length, events, mode, includeUsage, runs };
  });

const data = (frames: string[]) => frames.filter((f) => f.startsWith("data: ")).map((f) => f.slice(6, -2));

describe("completions encoder (property)", () => {
  test("one id for the whole stream, [DONE] once and last; every chunk a text_completion", () => {
    fc.assert(
      fc.property(caseArb, ({ choices, events, mode, includeUsage }) => {
        const frames = data(encodeStream(completionsEncoder(identity, { choices, includeUsage }), mode, events));
        assert.equal(frames.filter((d) => d === "[DONE]").length, 1);
        assert.equal(frames.at(-1), "[DONE]");
        for (const chunk of frames.slice(0, -1).map((d) => JSON.parse(d))) {
          assert.equal(chunk.id, identity.id);
          assert.equal(chunk.object, "text_completion");
        }
      }),
    );
  });

  test("each choice finishes once; no keepalive after the last finish; the usage chunk, if asked, is last and sums the choices", () => {
    fc.assert(
      fc.property(caseArb, ({ choices, events, mode, includeUsage, runs }) => {
        const chunks = data(encodeStream(completionsEncoder(identity, { choices, includeUsage }), mode, events)).slice(0, -1).map((d) => JSON.parse(d));
        const finishes = chunks.flatMap((c, i) => c.choices.filter((ch: any) => ch.finish_reason).map((ch: any) => [ch.index, i]));
        assert.deepEqual(finishes.map(([index]: number[]) => index).sort(), Array.from({ length: choices }, (_, i) => i));
        const lastFinish = Math.max(...finishes.map(([, i]: number[]) => i!));
        const after = chunks.slice(lastFinish + 1);
        if (includeUsage) {
          assert.equal(after.length, 1);
          assert.deepEqual(after[0].choices, []);
          const completion = runs.reduce((sum, run) => sum + (run.find((e) => e.type === "usage") as Extract<EngineEvent, { type: "usage" }>).usage.completionTokens, 0);
          assert.equal(after[0].usage.completion_tokens, completion);
        } else assert.equal(after.length, 0);
        const texts = Array.from({ length: choices }, (_, i) => chunks.flatMap((c) => c.choices.filter((ch: any) => ch.index === i).map((ch: any) => ch.text)).join(""));
        assert.deepEqual(texts, runs.map((run) => run.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("")));
      }),
    );
  });

  test("the keepalive chunk is a text_completion chunk with the stream's id and empty text", () => {
    const [first] = data(encodeStream(completionsEncoder(identity, { choices: 1, includeUsage: false }), "chunk", []));
    assert.deepEqual(JSON.parse(first!), { ...identity, object: "text_completion", choices: [{ index: 0, text: "", logprobs: null, finish_reason: null }] });
  });

  test("collected: one choice per prompt in prompt order, usage summed", () => {
    const completion = collectCompletion(identity, 2, [
      { type: "text", text: "b", choice: 1 },
      { type: "text", text: "a", choice: 0 },
      { type: "finish", reason: { type: "length" }, choice: 1 },
      { type: "finish", reason: { type: "stop_sequence", sequence: "." }, choice: 0 },
      { type: "usage", usage: { promptTokens: 3, completionTokens: 1 }, choice: 0 },
      { type: "usage", usage: { promptTokens: 4, completionTokens: 1 }, choice: 1 },
    ]);
    assert.deepEqual(completion.choices.map((c) => [c.index, c.text, c.finish_reason]), [[0, "a", "stop"], [1, "b", "length"]]);
    assert.equal(completion.usage!.prompt_tokens, 7);
  });
});
