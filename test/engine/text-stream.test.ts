import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { Token } from "node-llama-cpp";
import { Detokenizer, LeadingThought, partialStopLength, StopStrings } from "../../src/engine/text-stream.ts";

describe("Detokenizer", () => {
  // A byte-fallback vocabulary: each token one byte of UTF-8.
  const bytes = (tokens: readonly Token[]) => Buffer.from(tokens.map(Number)).toString("utf8");

  test("holds back a character's first bytes until it is whole", () => {
    const detokenizer = new Detokenizer(bytes);
    const out = [...Buffer.from("a€b")].map((byte) => detokenizer.push(byte as Token));
    assert.deepEqual(out, ["a", "", "", "€", "b"]);
  });

  test("a real U+FFFD followed by a character split over tokens comes out as it was (fast-check found it)", () => {
    for (const text of ["\uFFFD\u0301", "\uFFFD\u200d", "a\uFFFD€", "\uFFFD\uFFFD "]) {
      const detokenizer = new Detokenizer(bytes);
      assert.equal([...Buffer.from(text)].map((byte) => detokenizer.push(byte as Token)).join("") + detokenizer.flush(), text, JSON.stringify(text));
    }
  });

  test("any text, split into bytes, comes out whole and in order", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        const detokenizer = new Detokenizer(bytes);
        const out = [...Buffer.from(text)].map((byte) => detokenizer.push(byte as Token)).join("") + detokenizer.flush();
        assert.equal(out, text);
      }),
    );
  });
});

describe("StopStrings", () => {
  test("partialStopLength: the longest end of the text that begins a stop", () => {
    assert.equal(partialStopLength("hello wor", ["world"]), 3);
    assert.equal(partialStopLength("hello", ["world"]), 0);
    assert.equal(partialStopLength("ab", ["b", "abc"]), 2);
  });

  test("a stop split over chunks is never half-sent, and the answer ends before it", () => {
    const stops = new StopStrings(["END"]);
    assert.deepEqual(stops.push("one E"), { text: "one ", stop: null });
    assert.deepEqual(stops.push("N"), { text: "", stop: null });
    assert.deepEqual(stops.push("D two"), { text: "", stop: "END" });
  });

  test("a held-back start that does not become a stop is sent after all", () => {
    const stops = new StopStrings(["END"]);
    assert.deepEqual(stops.push("E"), { text: "", stop: null });
    assert.deepEqual(stops.push("x"), { text: "Ex", stop: null });
    assert.deepEqual(stops.push("EN"), { text: "", stop: null });
    assert.equal(stops.flush(), "EN");
  });

  test("the earliest stop wins", () => {
    assert.deepEqual(new StopStrings(["b", "a"]).push("xab"), { text: "x", stop: "a" });
  });

  test("however the text is chunked, what is sent is the text up to the first stop", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 4, unit: fc.constantFrom("a", "b", "c") }), { maxLength: 12 }), fc.constantFrom("ab", "cab", "bb"), (chunks, stop) => {
        const stops = new StopStrings([stop]);
        let sent = "";
        let matched: string | null = null;
        for (const chunk of chunks) {
          const scan = stops.push(chunk);
          sent += scan.text;
          if ((matched = scan.stop)) break;
        }
        if (!matched) sent += stops.flush();
        const whole = chunks.join("");
        const at = whole.indexOf(stop);
        assert.equal(sent, at >= 0 ? whole.slice(0, at) : whole);
        assert.equal(matched, at >= 0 ? stop : null);
      }),
    );
  });
});

describe("LeadingThought", () => {
  /** The thought and the answer of a whole text, and how many pushes said the thought ended. */
  const run = (thought: LeadingThought, chunks: string[]) => {
    const splits = [...chunks.map((chunk) => thought.push(chunk)), thought.flush()];
    return {
      thought: splits.map((split) => split.thought).join(""),
      answer: splits.map((split) => split.answer).join(""),
      ends: splits.filter((split) => split.ended).length,
    };
  };
  const segment = { prefix: "<think>\n", suffix: "\n</think>" };

  test("a thought at the start is split from the answer, markers and the whitespace between left out, however it is chunked", () => {
    assert.deepEqual(run(new LeadingThought(segment), ["<th", "ink>\nplan", "ning\n</th", "ink>\n\n", "The answer."]), {
      thought: "planning",
      answer: "The answer.",
      ends: 1,
    });
  });

  test("the thought streams as it comes; only what may start the suffix waits", () => {
    const thought = new LeadingThought(segment);
    assert.deepEqual(thought.push("<think>\nI plan"), { thought: "I plan", answer: "", ended: false });
    assert.deepEqual(thought.push(" more\n</"), { thought: " more", answer: "", ended: false });
    assert.deepEqual(thought.push("think>\n\nDone"), { thought: "", answer: "Done", ended: true });
  });

  test("text that does not start with the thought is all answer", () => {
    assert.deepEqual(run(new LeadingThought(segment), ["<tool>", " hi"]), { thought: "", answer: "<tool> hi", ends: 0 });
    assert.deepEqual(run(new LeadingThought(segment), ["Hello <think>\n"]), { thought: "", answer: "Hello <think>\n", ends: 0 });
  });

  test("an answer that starts with whitespace is answer at once (only the prefix itself opens a thought)", () => {
    const thought = new LeadingThought(segment);
    assert.equal(thought.push("\n").answer, "\n");
    assert.equal(thought.push("<think>\n").answer, "<think>\n");
  });

  test("an answer shorter than the prefix's start is sent at the end", () => {
    assert.deepEqual(run(new LeadingThought(segment), ["<"]), { thought: "", answer: "<", ends: 0 });
  });

  test("an unfinished thought is all thought; a thought opened by the prompt starts at once", () => {
    assert.deepEqual(run(new LeadingThought(segment), ["<think>\nstill thinking\n</th"]), { thought: "still thinking\n</th", answer: "", ends: 0 });
    assert.deepEqual(run(new LeadingThought({ prefix: null, suffix: "</think>" }), ["plan</think>", "Answer"]), { thought: "plan", answer: "Answer", ends: 1 });
  });

  test("without a segment, everything is answer", () => {
    assert.deepEqual(run(new LeadingThought(null), ["<think>\nx"]), { thought: "", answer: "<think>\nx", ends: 0 });
  });
});
