import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planThinking } from "../../src/engine/reasoning.ts";
import { SegmentEvents, type ResponseChunk } from "../../src/engine/segment-events.ts";
import type { EngineEvent } from "../../src/engine/events.ts";
import { ThoughtSeal } from "../../src/thought-seal.ts";
import { formatTokens } from "../../src/engine/format-tokens.ts";

import type { ChatWrapper, Token } from "node-llama-cpp";

const noDefaults = { effort: null, budget: null };

describe("planThinking: one effort, each format's own knob", () => {
  test("none turns thinking off where the format can: Qwen3's empty thought, Gemma 4's flag, Seed's budget; else a budget of 0", () => {
    const none = { effort: "none" as const, budget: null };
    assert.deepEqual(planThinking("Qwen", true, none, noDefaults).wrapperSettings, { qwen: { thoughts: "discourage" } });
    assert.deepEqual(planThinking("Gemma 4", true, none, noDefaults).wrapperSettings, { gemma4: { reasoning: false } });
    assert.deepEqual(planThinking("Seed", true, none, noDefaults).wrapperSettings, { seed: { thinkingBudget: 0 } });
    assert.deepEqual(planThinking("DeepSeek", true, none, noDefaults), { wrapperSettings: null, key: "", thoughtBudget: 0 });
    // A budget of 0 is thinking off too.
    assert.deepEqual(planThinking("Qwen", true, { effort: null, budget: 0 }, noDefaults).wrapperSettings, { qwen: { thoughts: "discourage" } });
  });

  test("Harmony gets its Reasoning: level (none and minimal are low), and a budget of at least one token", () => {
    assert.deepEqual(planThinking("Harmony", true, { effort: "high", budget: null }, noDefaults).wrapperSettings, { harmony: { reasoningEffort: "high" } });
    assert.deepEqual(planThinking("Harmony", true, { effort: "minimal", budget: null }, noDefaults).wrapperSettings, { harmony: { reasoningEffort: "low" } });
    assert.deepEqual(planThinking("Harmony", true, { effort: "none", budget: null }, noDefaults).wrapperSettings, { harmony: { reasoningEffort: "low" } });
    assert.equal(planThinking("Harmony", true, { effort: null, budget: 0 }, noDefaults).thoughtBudget, 1);
  });

  test("a format without a thought segment is left alone: no wrapper of its own, no budget to take it off the direct path", () => {
    assert.deepEqual(planThinking("Llama 3", false, { effort: "none", budget: 0 }, { effort: null, budget: 256 }), { wrapperSettings: null, key: "", thoughtBudget: null });
  });

  test("the request wins over the server's defaults, which win over the model's own; the model's own needs no wrapper of its own", () => {
    assert.deepEqual(planThinking("Qwen", true, { effort: null, budget: null }, noDefaults), { wrapperSettings: null, key: "", thoughtBudget: null });
    assert.equal(planThinking("Qwen", true, { effort: null, budget: null }, { effort: "none", budget: null }).key, JSON.stringify({ qwen: { thoughts: "discourage" } }));
    assert.equal(planThinking("Qwen", true, { effort: "high", budget: null }, { effort: "none", budget: null }).wrapperSettings, null);
    assert.equal(planThinking("Qwen", true, { effort: null, budget: 64 }, { effort: null, budget: 512 }).thoughtBudget, 64);
    assert.equal(planThinking("Qwen", true, { effort: null, budget: null }, { effort: null, budget: 512 }).thoughtBudget, 512);
  });
});

describe("SegmentEvents: LlamaChat's chunks as engine events", () => {
  const MARKER = 9;
  const chunk = (text: string, tokens: number[], segment?: "thought" | "comment", end = false): ResponseChunk => ({
    type: segment ? "segment" : undefined,
    segmentType: segment,
    text,
    tokens: tokens as Token[],
    ...(end ? { segmentEndTime: new Date() } : {}),
  });
  const run = (chunks: ResponseChunk[], generated = () => 0) => {
    const segments = new SegmentEvents(new Set([MARKER as Token]), (tokens) => tokens.map((t) => `<${t}>`).join(""), generated);
    return { events: chunks.flatMap((c) => segments.onChunk(c)), segments };
  };

  test("a thought is reasoning, then its end; the whitespace before the answer is neither; a comment is answer", () => {
    const { events } = run([chunk("", [], "thought"), chunk("Plan.", [1], "thought"), chunk("", [], "thought", true), chunk("\n\n", [2]), chunk("Answer", [3]), chunk(" more", [4], "comment")]);
    assert.deepEqual(events, [
      { type: "reasoning", text: "Plan." },
      { type: "reasoning_end" },
      { type: "text", text: "Answer" },
      { type: "text", text: " more" },
    ] satisfies EngineEvent[]);
  });

  test("whitespace alone after a thought, before tool calls, sends no text", () => {
    assert.deepEqual(run([chunk("Plan.", [1], "thought", true), chunk("\n\n", [2])]).events, [{ type: "reasoning", text: "Plan." }, { type: "reasoning_end" }]);
  });

  test("a format token the model writes where its format does not expect it never reaches the answer", () => {
    assert.deepEqual(run([chunk("a</think>b", [1, MARKER, 2])]).events, [{ type: "text", text: "<1><2>" }]);
  });

  test("reasoning tokens: those generated up to the thought's end, or all of them while it is open", () => {
    const ended = run([chunk("Plan.", [1], "thought"), chunk("", [], "thought", true)], () => 7);
    assert.equal(ended.segments.thoughtTokens(20), 7);
    assert.equal(run([chunk("Plan.", [1], "thought")]).segments.thoughtTokens(5), 5);
    assert.equal(run([chunk("Answer", [1])]).segments.thoughtTokens(5), 0);
  });
});

describe("ThoughtSeal", () => {
  test("opens what it sealed, and nothing else: not another server's, not an altered token, not plain text", () => {
    const seal = new ThoughtSeal();
    const token = seal.seal("The user asks for Paris.");
    assert.equal(seal.open(token), "The user asks for Paris.");
    assert.notEqual(seal.seal("same"), seal.seal("same"), "each seal is new, so equal thoughts are not told apart by their tokens");
    assert.equal(new ThoughtSeal().open(token), null);
    // One bit of the ciphertext flipped (a base64url character's padding bits would decode the same).
    const raw = Buffer.from(token.slice("oserve1.".length), "base64url");
    raw[raw.length - 1]! ^= 1;
    assert.equal(seal.open(`oserve1.${raw.toString("base64url")}`), null);
    assert.equal(seal.open("The user asks for Paris."), null);
    assert.equal(seal.open("oserve1.AAAA"), null);
  });
});

describe("formatTokens", () => {
  test("every control token, and the added (user-defined) tokens the wrapper's markers are made of; other added tokens are text", () => {
    // GGUF token types: normal 1, control 3, user-defined 4. Token 2 is `<think>`, 5 `</think>`, 6 an added run of spaces.
    const types = [1, 3, 4, 1, 1, 4, 4];
    const wrapper = {
      settings: {
        segments: { thought: { prefix: "<think>", suffix: "</think>" } },
        functions: { call: { prefix: "", paramsPrefix: "", suffix: "" }, result: { prefix: "", suffix: "" } },
      },
    } as unknown as ChatWrapper;
    const tokenize = (marker: unknown) => ({ "<think>": [2], "</think>": [4, 5] })[String(marker)] ?? [];
    assert.deepEqual([...formatTokens(types, wrapper, tokenize as never)].sort(), [1, 2, 5]);
    assert.equal(formatTokens(undefined, wrapper, tokenize as never).size, 0);
  });
});
