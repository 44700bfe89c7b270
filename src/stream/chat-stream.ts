// The small I/O shell of a chat stream: events in, the pure encoder, bytes out.
import type { EngineEvent } from "./events.ts";
import { encodeEnd, encodeEvent, encodeStart, type EncoderOptions, type StreamIdentity } from "./encode-chat.ts";
import { withKeepalive } from "./keepalive.ts";

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  // Tells nginx-style proxies not to hold frames back.
  "x-accel-buffering": "no",
} as const;

export interface ChatStreamOptions extends EncoderOptions {
  /** Milliseconds between keepalives while nothing else is sent; ignored when keepalive is off. */
  keepaliveIntervalMs: number;
}

/** Every frame of one stream, in order: opening keepalive, events and ticks, closing frames. */
export async function* chatFrames(
  identity: StreamIdentity,
  options: ChatStreamOptions,
  events: AsyncIterable<EngineEvent>,
): AsyncGenerator<string> {
  let { state, frames } = encodeStart(identity, options);
  yield* frames;
  const interval = options.keepalive === "off" ? null : options.keepaliveIntervalMs;
  try {
    for await (const event of withKeepalive(events, interval)) {
      ({ state, frames } = encodeEvent(identity, options, state, event));
      yield* frames;
      if (state.closed) return;
    }
  } catch (error) {
    // Headers are gone already: the failure can only be told inside the stream.
    ({ frames } = encodeEvent(identity, options, state, { type: "error", message: String((error as Error)?.message ?? error) }));
    yield* frames;
    return;
  }
  yield* encodeEnd(identity, options, state).frames;
}

/** A streaming Response over `frames`; `onCancel` runs when the client goes away, `onEnd` once either way. */
export function sseResponse(frames: AsyncGenerator<string>, onCancel: () => void, onEnd: () => void = () => {}): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await frames.next();
      if (next.done) {
        controller.close();
        onEnd();
      } else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      onCancel();
      await frames.return(undefined);
      onEnd();
    },
  });
  return new Response(body, { headers: SSE_HEADERS });
}
