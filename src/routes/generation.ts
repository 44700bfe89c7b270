// What every generating route does the same way: wire the request's abort (client gone, server
// stopping) to the generation, then answer whole (gathered events) or streamed (an encoder).
import type { Context } from "hono";
import { ApiError, CLIENT_GONE_STATUS } from "../api-error.ts";
import type { EngineEvent } from "../engine/events.ts";
import type { PreparedGeneration } from "../engine/types.ts";
import { shuttingDown, type ServerState } from "../server-state.ts";
import { sseResponse, streamFrames } from "../stream/driver.ts";
import type { StreamEncoder } from "../stream/encoder.ts";

export interface StreamOptions {
  /** Headers beside the SSE ones. */
  headers?: Record<string, string>;
  /** Called with every event once the generation has finished whole (not after a failure or a cut). */
  onComplete?: (events: EngineEvent[]) => void;
}

export interface Generation {
  /** Every event of the generation, the error event excluded: what a non-streamed answer is made of. */
  gather(): Promise<EngineEvent[]>;
  /** The generation as an SSE response, encoded by `encoder` with the server's keepalive policy. */
  stream<S>(encoder: StreamEncoder<S>, options?: StreamOptions): Response;
}

/** Starts `prepared` under one abort controller: the client leaving or the server stopping stops it. */
export function startGeneration(c: Context, state: ServerState, prepared: PreparedGeneration): Generation {
  const abort = new AbortController();
  const clientSignal = c.req.raw.signal;
  const clientGone = () => abort.abort(new Error("the client disconnected"));
  const serverStopping = () => abort.abort(new Error("the server is shutting down"));
  clientSignal.addEventListener("abort", clientGone, { once: true });
  state.shutdown.signal.addEventListener("abort", serverStopping, { once: true });
  const forget = () => {
    clientSignal.removeEventListener("abort", clientGone);
    state.shutdown.signal.removeEventListener("abort", serverStopping);
  };
  // The client may have left, or the server begun to stop, while the prompt was being prepared.
  if (clientSignal.aborted) clientGone();
  if (state.shutdown.signal.aborted) serverStopping();
  const events = prepared.run(abort.signal);
  return {
    async gather() {
      const gathered: EngineEvent[] = [];
      try {
        for await (const event of events) {
          if (event.type !== "error") gathered.push(event);
          else if (state.shutdown.signal.aborted) throw shuttingDown("The server shut down before the answer was complete.");
          else if (clientSignal.aborted) throw new ApiError(CLIENT_GONE_STATUS, "The client disconnected.");
          else throw new ApiError(500, event.message);
        }
        return gathered;
      } finally {
        forget();
      }
    },
    stream(encoder, options = {}) {
      const source = options.onComplete ? tap(events, options.onComplete) : events;
      return sseResponse(streamFrames(encoder, state.config.keepalive, source), { onCancel: clientGone, onEnd: forget }, options.headers);
    },
  };
}

/** Passes events through, and hands them all to `done` if the generation finished without an error. */
async function* tap(events: AsyncIterable<EngineEvent>, done: (events: EngineEvent[]) => void): AsyncGenerator<EngineEvent> {
  const seen: EngineEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    yield event;
  }
  if (seen.some((e) => e.type === "finish") && !seen.some((e) => e.type === "error")) done(seen);
}
