// The keepalive timer of a stream: merges keepalive ticks into the engine's events.
import type { TickEvent } from "../engine/events.ts";

/**
 * Yields the source's events as they come and a `tick` whenever `intervalMs` passes without one.
 * With `intervalMs` null, ticks are off and events pass through untouched.
 * (The opening keepalive is the encoder's job: it is sent before the source is even asked.)
 */
export async function* withKeepalive<E>(source: AsyncIterable<E>, intervalMs: number | null): AsyncGenerator<E | TickEvent> {
  if (intervalMs === null) {
    yield* source;
    return;
  }
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    let pending = iterator.next();
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<"tick">((resolve) => {
        timer = setTimeout(() => resolve("tick"), intervalMs);
      });
      const next = await Promise.race([pending, tick]).finally(() => clearTimeout(timer));
      if (next === "tick") {
        yield { type: "tick" };
        continue;
      }
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
      pending = iterator.next();
    }
  } finally {
    // The consumer left early (client gone): let the source clean up. Its own abort signal ends any
    // pending step, so this does not wait on a generation that keeps running.
    if (!finished) await iterator.return?.();
  }
}
