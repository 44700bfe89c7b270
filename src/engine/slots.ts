import { QueueFullError } from "./errors.ts";

/**
 * A fixed set of slots (the context's sequences, in sequence ID order), with a bounded FIFO of
 * requests waiting for one. A request takes the free slot it scores highest (the one holding the
 * longest prefix of its prompt); among equals, one next to the slots in use, then the least
 * recently used. A waiter takes whichever slot is released first, and one whose signal aborts
 * leaves the queue at once.
 *
 * Why neighbours: llama.cpp decodes together only the tokens of consecutive sequence IDs (with a KV
 * cache per sequence); busy slots 0 and 2 cost two passes through the weights a step, 0 and 1 one.
 */
export class SlotPool<T> {
  /** Least recently used first. */
  private readonly free: T[];
  private readonly waiters: Array<{ grant: (slot: T) => void }> = [];

  /** Each slot's place in sequence ID order. */
  private readonly position: Map<T, number>;

  constructor(
    slots: readonly T[],
    readonly queueLimit: number,
  ) {
    this.free = [...slots];
    this.size = slots.length;
    this.position = new Map(slots.map((slot, i) => [slot, i]));
  }

  readonly size: number;

  get inUse(): number {
    return this.size - this.free.length;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Throws QueueFullError when `requests` more (one by default) could not all run now or wait. */
  checkCapacity(requests = 1): void {
    const room = this.free.length + Math.max(0, this.queueLimit - this.waiters.length);
    if (requests > room) throw new QueueFullError(this.queueLimit);
  }

  /** Resolves with a held slot, or null if the signal aborted first. */
  acquire(signal: AbortSignal, score: (slot: T) => number = () => 0): Promise<T | null> {
    if (signal.aborted) return Promise.resolve(null);
    if (this.free.length > 0) {
      const scores = this.free.map(score);
      const busy = new Set(this.position.values());
      for (const slot of this.free) busy.delete(this.position.get(slot)!);
      const runs = this.free.map((slot) => runsWith(busy, this.position.get(slot)!));
      let best = 0;
      for (let i = 1; i < this.free.length; i++) {
        if (scores[i]! > scores[best]! || (scores[i] === scores[best] && runs[i]! < runs[best]!)) best = i;
      }
      return Promise.resolve(this.free.splice(best, 1)[0]!);
    }
    return new Promise((resolve) => {
      const waiter = {
        grant: (slot: T) => {
          signal.removeEventListener("abort", leave);
          resolve(slot);
        },
      };
      const leave = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(null);
      };
      signal.addEventListener("abort", leave, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(slot: T): void {
    const next = this.waiters.shift();
    if (next) next.grant(slot);
    else this.free.push(slot);
  }
}

/** How many runs of consecutive positions the busy ones would form with `taken` busy too. */
function runsWith(busy: ReadonlySet<number>, taken: number): number {
  const all = new Set(busy).add(taken);
  let runs = 0;
  for (const at of all) if (!all.has(at - 1)) runs++;
  return runs;
}
