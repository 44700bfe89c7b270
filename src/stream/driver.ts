// The I/O shell around any protocol's pure encoder: engine events and keepalive ticks in, bytes out.
import type { EngineEvent } from "../engine/events.ts";
import { open, step, type StreamEncoder } from "./encoder.ts";
import { withKeepalive } from "./keepalive.ts";
import type { KeepalivePolicy } from "./keepalive-policy.ts";
import { SSE_HEADERS } from "./sse.ts";

/**
 * Every frame of one stream, in order: opening frames, events and ticks, closing frames; the frames
 * of one step (the opening, an event, a tick, the end) joined as one string, written together.
 */
export async function* streamFrames<S, E extends EngineEvent>(
  encoder: StreamEncoder<S, E>,
  policy: KeepalivePolicy,
  events: AsyncIterable<E>,
  /** Told of each keepalive sent (for metrics). */
  onKeepalive: () => void = () => {},
): AsyncGenerator<string> {
  const opened = open(encoder, policy.mode);
  let { state, frames } = opened;
  if (opened.keepalive) onKeepalive();
  if (frames.length > 0) yield frames.join("");
  try {
    for await (const event of withKeepalive(events, policy.mode === "off" ? null : policy.intervalMs)) {
      ({ state, frames } = step(encoder, policy.mode, state, event));
      if (event.type === "tick" && frames.length > 0) onKeepalive();
      if (frames.length > 0) yield frames.join("");
      if (encoder.closed(state)) return;
    }
  } catch (error) {
    // Headers are gone already: the failure can only be told inside the stream.
    yield encoder.fail(state, String((error as Error)?.message ?? error)).frames.join("");
    return;
  }
  const closing = encoder.end(state).frames;
  if (closing.length > 0) yield closing.join("");
}

export interface StreamHooks {
  /** The client went away before the stream ended. */
  onCancel(): void;
  /** The stream is over, either way; runs once. */
  onEnd(): void;
}

/** The streaming Response: SSE headers, and `frames` written as they come. */
export function sseResponse(frames: AsyncGenerator<string>, hooks: StreamHooks, headers: Record<string, string> = {}): Response {
  const bytes = new TextEncoder();
  let ended = false;
  const end = () => {
    if (!ended) (ended = true), hooks.onEnd();
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await frames.next();
      if (next.done) {
        controller.close();
        end();
      } else controller.enqueue(bytes.encode(next.value));
    },
    async cancel() {
      hooks.onCancel();
      await frames.return(undefined);
      end();
    },
  });
  return new Response(body, { headers: { ...headers, ...SSE_HEADERS } });
}
