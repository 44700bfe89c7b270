// PURE: the contract every protocol's stream encoder meets, and how keepalive modes apply to it.
import type { EngineEvent, TickEvent } from "../engine/events.ts";
import { commentFrame } from "./sse.ts";
import { KEEPALIVE_COMMENT, type KeepaliveMode } from "./keepalive-policy.ts";

export interface Encoded<S> {
  state: S;
  frames: string[];
}

/**
 * A protocol's stream, as a reducer from engine events to SSE frames. No timers, no I/O: the same
 * state and event always give the same frames.
 */
export interface StreamEncoder<S, E extends EngineEvent = EngineEvent> {
  /** The protocol's opening frames (none for chat completions; `message_start` for Anthropic). */
  start(): Encoded<S>;
  /** Frames for one engine event. */
  event(state: S, event: E): Encoded<S>;
  /** The protocol's data-bearing keepalive, or null where none may be sent (after the finish). */
  keepalive(state: S): Encoded<S> | null;
  /** The closing frames once the events are spent; a stream left without a finish ends as failed. */
  end(state: S): Encoded<S>;
  /** Frames that tell a failure after the stream began, and close it; `code` says why, where the protocol has a place for it. */
  fail(state: S, message: string, code?: string): Encoded<S>;
  /** True once the terminal frame went out: nothing may follow. */
  closed(state: S): boolean;
}

/** One step: an engine event goes to the encoder; a tick becomes the mode's keepalive, if any may go now. */
export function step<S, E extends EngineEvent>(encoder: StreamEncoder<S, E>, mode: KeepaliveMode, state: S, event: E | TickEvent): Encoded<S> {
  if (encoder.closed(state)) return { state, frames: [] };
  if (event.type !== "tick") return event.type === "error" ? encoder.fail(state, event.message, event.code) : encoder.event(state, event);
  if (mode === "off") return { state, frames: [] };
  const keepalive = encoder.keepalive(state);
  if (keepalive === null) return { state, frames: [] };
  // A comment leaves the protocol's state alone: the stream reads as if it were not there.
  return mode === "comment" ? { state, frames: [commentFrame(KEEPALIVE_COMMENT)] } : keepalive;
}

/**
 * The opening frames: the protocol's own, and where it has none, a keepalive at once, so that the
 * first byte never waits for the queue or the prefill. `keepalive` says which it was.
 */
export function open<S, E extends EngineEvent>(encoder: StreamEncoder<S, E>, mode: KeepaliveMode): Encoded<S> & { keepalive: boolean } {
  const started = encoder.start();
  if (started.frames.length > 0) return { ...started, keepalive: false };
  const opened = step(encoder, mode, started.state, { type: "tick" });
  return { ...opened, keepalive: opened.frames.length > 0 };
}

/** All frames of a whole stream: opening, every event and tick, closing. The driver does the same over time. */
export function encodeStream<S, E extends EngineEvent>(encoder: StreamEncoder<S, E>, mode: KeepaliveMode, events: Iterable<E | TickEvent>): string[] {
  let { state, frames } = open(encoder, mode);
  const all = [...frames];
  for (const event of events) {
    ({ state, frames } = step(encoder, mode, state, event));
    all.push(...frames);
  }
  if (!encoder.closed(state)) all.push(...encoder.end(state).frames);
  return all;
}
