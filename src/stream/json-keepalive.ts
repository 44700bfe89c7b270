// A non-streamed JSON answer kept alive: if it is not ready after one interval, the status line and
// headers go out, then a space every interval (leading whitespace is valid JSON), then the JSON.
import { setTimeout as sleep } from "node:timers/promises";

export interface JsonKeepaliveOptions {
  /** What to end the body with when the answer fails after the first byte. */
  errorBody: (error: unknown) => unknown;
  headers?: Record<string, string>;
  /** The client went away while the answer was being kept alive. */
  onCancel: () => void;
  /** Told of each space sent (for metrics). */
  onKeepalive?: () => void;
}

export async function jsonKeptAlive(answer: Promise<unknown>, intervalMs: number, options: JsonKeepaliveOptions): Promise<Response> {
  const settled = answer.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const waited = new AbortController();
  const early = await Promise.race([settled, sleep(intervalMs, null, { signal: waited.signal }).catch(() => null)]);
  waited.abort();
  const headers = { "content-type": "application/json", ...options.headers };
  if (early !== null) {
    // Ready within the interval: an ordinary answer, and an error keeps its real status.
    if (!early.ok) throw early.error;
    return new Response(JSON.stringify(early.value), { headers });
  }
  const bytes = new TextEncoder();
  let timer: NodeJS.Timeout | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const space = () => {
        controller.enqueue(bytes.encode(" "));
        options.onKeepalive?.();
      };
      space();
      timer = setInterval(space, intervalMs);
      void settled.then((result) => {
        clearInterval(timer);
        try {
          controller.enqueue(bytes.encode(JSON.stringify(result.ok ? result.value : options.errorBody(result.error))));
          controller.close();
        } catch {
          // The client left meanwhile: nobody to tell.
        }
      });
    },
    cancel() {
      clearInterval(timer);
      options.onCancel();
    },
  });
  return new Response(body, { headers });
}
