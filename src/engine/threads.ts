import { availableParallelism } from "node:os";

/**
 * Threads for decoding when the user names none: the cores this process may really use, less one
 * for the HTTP side. On the 2-core machine this was measured on, node-llama-cpp's own default
 * oversubscribed the cores (64 tokens in 78 s); 1 thread decoded a small model ~14x faster than 2.
 */
export function defaultThreads(cores: number = availableParallelism()): number {
  return Math.max(1, cores - 1);
}
