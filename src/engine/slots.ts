import { QueueFullError } from "./errors.ts";

/**
 * Counts the free sequences of the context, with a bounded FIFO of requests waiting for one.
 * A waiter whose signal aborts leaves the queue at once.
 */
export class Slots {
  private free: number;
  private readonly waiters: Array<{ grant: () => void }> = [];

  constructor(
    readonly size: number,
    readonly queueLimit: number,
  ) {
    this.free = size;
  }

  get inUse(): number {
    return this.size - this.free;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Throws QueueFullError when a request could neither run now nor wait. */
  checkCapacity(): void {
    if (this.free === 0 && this.waiters.length >= this.queueLimit) throw new QueueFullError(this.queueLimit);
  }

  /** Resolves true once a slot is held, false if the signal aborted first. */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter = {
        grant: () => {
          signal.removeEventListener("abort", leave);
          resolve(true);
        },
      };
      const leave = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(false);
      };
      signal.addEventListener("abort", leave, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next.grant();
    else this.free++;
  }
}
