// Fewer writes for fast streams: frames that come within one interval of the last write go out together.
//
// Every write costs the server a trip through the runtime's HTTP and socket layers and a loopback
// send, and wakes the client to read it; at hundreds of tokens a second that is CPU the decode
// threads want. A stream slower than one frame an interval is written frame by frame, as before.

const LATE: unique symbol = Symbol("late");

/**
 * The same text as `units`, written in fewer pieces: a unit goes out at once when the last write is at
 * least `intervalMs` old; one that comes sooner waits until it is, and the units that come meanwhile
 * join it. The first unit (a stream's opening bytes) never holds back the next (its first token), and
 * the last goes out as soon as `units` ends. `intervalMs` 0 passes every unit through as it comes.
 */
export async function* coalesce(units: AsyncIterator<string>, intervalMs: number): AsyncGenerator<string> {
  if (intervalMs <= 0) {
    for (let next = await units.next(); !next.done; next = await units.next()) yield next.value;
    return;
  }
  let lastWrite = -Infinity;
  let opened = false;
  // A unit asked for but not yet taken: it belongs to the next write.
  let pending: Promise<IteratorResult<string>> | null = null;
  let finished = false;
  try {
    for (;;) {
      const first = await (pending ?? units.next());
      pending = null;
      if (first.done) return void (finished = true);
      let write = first.value;
      const wait = lastWrite + intervalMs - performance.now();
      if (wait > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<typeof LATE>((resolve) => (timer = setTimeout(resolve, wait, LATE)));
        try {
          for (;;) {
            pending = units.next();
            const next = await Promise.race([pending, late]);
            if (next === LATE || next.done) break;
            pending = null;
            write += next.value;
            if (performance.now() >= lastWrite + intervalMs) break;
          }
        } finally {
          clearTimeout(timer);
        }
      }
      yield write;
      if (opened) lastWrite = performance.now();
      opened = true;
    }
  } finally {
    // The consumer left early (client gone): close the source once its unit in flight settles.
    if (!finished) {
      await pending?.catch(() => {});
      await units.return?.(undefined);
    }
  }
}
