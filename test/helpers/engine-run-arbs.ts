// Arbitrary engine runs for property tests of every protocol's encoder.
import fc from "fast-check";
import type { EngineEvent, FinishReason, StreamEvent } from "../../src/engine/events.ts";
import { KEEPALIVE_MODES, type KeepaliveMode } from "../../src/stream/keepalive-policy.ts";

export const finishReasonArb: fc.Arbitrary<FinishReason> = fc.constantFrom<FinishReason>(
  { type: "end" },
  { type: "stop_sequence", sequence: "\n" },
  { type: "length" },
  { type: "tool_calls" },
);

/**
 * A well-formed engine run: maybe a thought first (its end said, or cut off by the token budget,
 * which ends the run there), text and tool calls (text may come between calls), then finish, then usage.
 */
export const engineRunArb: fc.Arbitrary<EngineEvent[]> = fc
  .record({
    thought: fc.option(fc.record({ chunks: fc.array(fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 }), ended: fc.boolean() }), {
      nil: undefined,
    }),
    texts: fc.array(fc.string({ unit: "grapheme", maxLength: 12 }), { maxLength: 12 }),
    calls: fc.array(
      fc.record({
        name: fc.stringMatching(/^[a-z_]{1,12}$/),
        // The arguments are JSON, as the grammar makes them, cut into fragments anywhere.
        fragments: fc
          .tuple(fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), { maxKeys: 3 }), fc.array(fc.nat(40), { maxLength: 4 }))
          .map(([args, cuts]) => {
            const text = JSON.stringify(args);
            const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
            return [0, ...points].map((from, i, all) => text.slice(from, all[i + 1] ?? text.length)).filter((f) => f !== "");
          }),
        textAfter: fc.option(fc.string({ minLength: 1, maxLength: 6 }), { nil: undefined }),
      }),
      { maxLength: 3 },
    ),
    reason: finishReasonArb,
    promptTokens: fc.nat(5000),
    completionTokens: fc.nat(5000),
    cachedTokens: fc.option(fc.nat(100), { nil: undefined }),
  })
  .map(({ thought, texts, calls, reason, promptTokens, completionTokens, cachedTokens }): EngineEvent[] => {
    const usage = {
      promptTokens: promptTokens + (cachedTokens ?? 0),
      completionTokens,
      ...(cachedTokens !== undefined ? { cachedTokens } : {}),
      ...(thought ? { reasoningTokens: Math.min(completionTokens, thought.chunks.length) } : {}),
    };
    const thinking = (thought?.chunks ?? []).map((text): EngineEvent => ({ type: "reasoning", text }));
    if (thought && !thought.ended) return [...thinking, { type: "finish", reason: { type: "length" } }, { type: "usage", usage }];
    return [
    ...thinking,
    ...(thought ? [{ type: "reasoning_end" as const }] : []),
    ...texts.map((text): EngineEvent => ({ type: "text", text })),
    ...calls.flatMap((call, index): EngineEvent[] => [
      { type: "tool_call", index, id: `call_${index}`, name: call.name },
      ...call.fragments.map((fragment): EngineEvent => ({ type: "tool_call_arguments", index, arguments: fragment })),
      ...(call.textAfter ? [{ type: "text" as const, text: call.textAfter }] : []),
    ]),
    { type: "finish", reason },
    { type: "usage", usage },
  ];
  });

/** Ticks sprinkled anywhere, before, between and after the engine's events. */
export const withTicksArb = (events: EngineEvent[]): fc.Arbitrary<StreamEvent[]> =>
  fc.array(fc.nat(3), { minLength: events.length + 1, maxLength: events.length + 1 }).map((ticks) =>
    ticks.flatMap((count, i): StreamEvent[] => [...Array.from({ length: count }, () => ({ type: "tick" as const })), ...(i < events.length ? [events[i]!] : [])]),
  );

/** An engine run that fails part way: events up to a cut, then an error. */
export const failingRunArb: fc.Arbitrary<StreamEvent[]> = engineRunArb.chain((events) =>
  fc.nat(events.length - 2).chain((cut) => withTicksArb([...events.slice(0, cut), { type: "error", message: "boom" }])),
);

export const modeArb: fc.Arbitrary<KeepaliveMode> = fc.constantFrom(...KEEPALIVE_MODES);

/** A tick before and after every engine event: every point where a keepalive could be sent. */
export function ticksEverywhere(events: readonly EngineEvent[]): StreamEvent[] {
  return [{ type: "tick" }, ...events.flatMap((event): StreamEvent[] => [event, { type: "tick" }])];
}

export interface SseFrame {
  event: string | null;
  data: string | null;
  comment: string | null;
}

/** Our own frames, split the way SSE defines (the frames are ours, so their shape is asserted too). */
export function parseFrames(frames: readonly string[]): SseFrame[] {
  return frames.map((frame) => {
    if (!frame.endsWith("\n\n")) throw new Error(`a frame ends with a blank line: ${JSON.stringify(frame)}`);
    const lines = frame.slice(0, -2).split("\n");
    if (lines[0]!.startsWith(": ")) return { event: null, data: null, comment: lines[0]!.slice(2) };
    const event = lines[0]!.startsWith("event: ") ? lines.shift()!.slice(7) : null;
    return { event, data: lines.map((line) => line.replace(/^data: /, "")).join("\n"), comment: null };
  });
}

/** A fetch that answers every request with these SSE frames: real SDK clients read them as from a server. */
export function fetchServing(frames: readonly string[]): typeof fetch {
  const serve = async () => new Response(frames.join(""), { headers: { "content-type": "text/event-stream" } });
  return serve as unknown as typeof fetch;
}

/** Named SSE events of a stream, parsed (comments as null): what the Responses and Messages encoders send. */
export function namedEvents(frames: readonly string[]): Array<{ name: string; data: Record<string, any> } | null> {
  return parseFrames(frames).map((f) => (f.comment !== null ? null : { name: f.event!, data: JSON.parse(f.data!) as Record<string, any> }));
}
