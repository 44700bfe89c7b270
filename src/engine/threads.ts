import { availableParallelism } from "node:os";
import type { EngineBuild } from "./engine-build.ts";

/**
 * Threads for decoding when the user names none, from the cores this process may really use. With
 * oserve's engine build (persistent decode threads) every core, as llama-server does. With
 * node-llama-cpp's prebuilt, whose threads start and stop on every token, one core less, left to
 * the HTTP side: there, extra threads measured slower on small models (docs/benchmarks.md).
 */
export function defaultThreads(build: EngineBuild, cores: number = availableParallelism()): number {
  return build === "persistent-threads" ? Math.max(1, cores) : Math.max(1, cores - 1);
}
