// What the server says of itself on stderr: each model's window and why, the limits, each load and
// unload after startup, a progress line on a terminal; a failed preload as one line.
import { ConfigError } from "../config/errors.ts";
import type { Config, ModelSettings } from "../config/types.ts";
import type { LlamaEngine } from "../engine/llama.ts";
import { LoadFailedError } from "../models/errors.ts";
import type { ModelPool } from "../models/model-pool.ts";
import type { PoolEvent, UnloadReason } from "../models/pool-types.ts";

/** A preloaded model that failed: one line naming its --model, in llama.cpp's words where it has them. */
export function startupLoadError(error: unknown, config: Config): unknown {
  if (!(error instanceof LoadFailedError)) return error;
  const cause = error.cause;
  if (cause instanceof ConfigError) return cause;
  return new ConfigError(`--model ${config.models.find((model) => model.alias === error.model)?.path ?? error.model}: could not load: ${(cause as Error)?.message ?? cause}`);
}

/** ", at most N at once, unloaded after S s idle": what --max-models and --idle-unload say, where given. */
export function describeLimits(config: Config): string {
  const { maxModels, memoryLimit, idleUnloadMs } = config.server;
  const parts = [];
  if (maxModels < config.models.length) parts.push(`at most ${maxModels} loaded at once`);
  if (memoryLimit !== null) parts.push(`within ${Math.round(memoryLimit / 2 ** 20)} MiB`);
  if (idleUnloadMs !== null) parts.push(`unloaded after ${idleUnloadMs / 1000} s idle`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

/** A load or unload after startup, as one line. */
export function describePoolEvent(event: PoolEvent, pool: ModelPool<LlamaEngine>, settings: (name: string) => ModelSettings): string {
  if (event.type === "unloaded") return `${event.name}: unloaded (${UNLOAD_REASONS[event.reason]})`;
  if (event.type === "load_failed") return `${event.name}: ${event.error.message}`;
  const engine = pool.loaded(event.name);
  const context = engine ? `; ${describeContext(settings(event.name), engine)}` : "";
  return `${event.name}: loaded in ${event.seconds.toFixed(2)} s${event.bytes > 0 ? ` (node-llama-cpp estimates ${Math.round(event.bytes / 2 ** 20)} MiB with its context)` : ""}${context}`;
}

const UNLOAD_REASONS: Record<UnloadReason, string> = {
  max_models: "--max-models: a place for another model",
  memory: "memory for another model",
  idle: "idle",
  shutdown: "shutting down",
};

/** Which window each request gets, and why: the flag, the model's trained length, or the memory there is. */
export function describeContext(
  settings: Pick<ModelSettings, "ctxSize" | "maxTokens" | "parallel">,
  engine: { contextSize: number; trainedContextSize: number },
): string {
  const why =
    settings.ctxSize !== null
      ? "--ctx-size"
      : engine.contextSize > engine.trainedContextSize
        ? `past the model's trained length of ${engine.trainedContextSize}, which its client's own prompt would not fit; it may answer worse past it`
        : engine.contextSize === engine.trainedContextSize
          ? "the model's trained length"
          : `the most that fits in memory; the model was trained on ${engine.trainedContextSize}`;
  const output = settings.maxTokens === null ? "" : `, answers of at most ${settings.maxTokens} tokens (--max-tokens)`;
  return `context: ${engine.contextSize} tokens per request (${why}) × ${settings.parallel} sequences${output}`;
}

/** A progress line on a terminal (stderr), redrawn only when the percentage changes; nothing elsewhere. */
export function progress(label: string): ((fraction: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let shown = -1;
  return (fraction) => {
    const percent = Math.round(fraction * 100);
    if (percent !== shown) process.stderr.write(`\r${label}: ${(shown = percent)}%`);
  };
}
