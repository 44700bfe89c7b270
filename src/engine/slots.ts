import { QueueFullError } from "./errors.ts";

/**
 * A fixed set of slots (the context's sequences), with a bounded FIFO of requests waiting for one.
 * A request takes the free slot it scores highest (the one holding the longest prefix of its
 * prompt), the least recently used among equals; a waiter takes whichever slot is released first.
 * A waiter whose signal aborts leaves the queue at once.
 */
export class SlotPool<T> {
  /** Least recently used first. */
  private readonly free: T[];
  private readonly waiters: Array<{ grant: (slot: T) => void }> = [];

  constructor(
    slots: readonly T[],
    readonly queueLimit: number,
  ) {
    this.free = [...slots];
    this.size = slots.length;
  }

  readonly size: number;

  get inUse(): number {
    return this.size - this.free.length;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Throws QueueFullError when a request could neither run now nor wait. */
  checkCapacity(): void {
    if (this.free.length === 0 && this.waiters.length >= this.queueLimit) throw new QueueFullError(this.queueLimit);
  }

  /** Resolves with a held slot, or null if the signal aborted first. */
  acquire(signal: AbortSignal, score: (slot: T) => number = () => 0): Promise<T | null> {
    if (signal.aborted) return Promise.resolve(null);
    if (this.free.length > 0) {
      let best = 0;
      for (let i = 1; i < this.free.length; i++) if (score(this.free[i]!) > score(this.free[best]!)) best = i;
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
