import type { Config } from "./config/types.ts";
import type { Engine, EngineLoad } from "./engine/types.ts";
import { ApiError } from "./errors/api-error.ts";
import type { ServedModels } from "./models/model-pool.ts";
import { Metrics, type ModelGauges } from "./telemetry/metrics.ts";
import { ThoughtSeal } from "./thought-seal.ts";

/** What the routes share: the config, and the models once the preloaded ones have loaded. */
export class ServerState {
  /** Every model served, loaded or not; null until the preloaded models have loaded (requests get 503 till then). */
  pool: ServedModels<Engine> | null = null;
  /** Aborted when the server shuts down: every generation in flight stops, and new requests get 503. */
  readonly shutdown = new AbortController();
  /** When the server started, in seconds: the `created` of the model in /v1/models. */
  readonly startedAt = Math.floor(Date.now() / 1000);
  readonly metrics = new Metrics(() => this.load(), () => this.modelStates());
  /** Seals thoughts sent to clients, and opens those they send back. */
  readonly thoughtSeal = new ThoughtSeal();

  constructor(readonly config: Config) {}

  /** The models are served from here on (the preloaded ones loaded). */
  serve(pool: ServedModels<Engine>): void {
    this.pool = pool;
  }

  /** The default model's name: --default-model, else the first. */
  get defaultModel(): string {
    return this.config.server.defaultModel;
  }

  /** Every model's name, the default first, then the others in the order given. */
  modelNames(): string[] {
    const names = this.config.models.map((model) => model.alias);
    return [this.defaultModel, ...names.filter((name) => name !== this.defaultModel)];
  }

  /** Slots and queue summed over every loaded model (null until the preloaded ones have loaded): the gauges' and /health's. */
  load(): EngineLoad | null {
    if (!this.pool) return null;
    const sum: EngineLoad = { slots: 0, slotsInUse: 0, queued: 0 };
    for (const engine of this.pool.engines()) {
      const load = engine.load();
      sum.slots += load.slots;
      sum.slotsInUse += load.slotsInUse;
      sum.queued += load.queued;
      if (load.promptCache) {
        const cache = (sum.promptCache ??= { entries: 0, bytes: 0, restores: 0, restoredTokens: 0 });
        cache.entries += load.promptCache.entries;
        cache.bytes += load.promptCache.bytes;
        cache.restores += load.promptCache.restores;
        cache.restoredTokens += load.promptCache.restoredTokens;
      }
    }
    return sum;
  }

  /** Each model's state, for /metrics: loaded or not, and the threads its decodes take now (null: not loaded). */
  modelStates(): ModelGauges[] {
    const pool = this.pool;
    return this.modelNames().map((name) => {
      const engine = pool !== null && pool.has(name) ? pool.loaded(name) : null;
      return { name, loaded: engine !== null, decodeThreads: engine?.load().decodeThreads ?? null };
    });
  }

  /**
   * The name of the model that serves a request naming `model`: that one where the server has it; for
   * a request that names none, or a name no model has (clients send their own model names: `gpt-4o`,
   * `claude-sonnet-4-5`), `fallback`, else the default. A 503 before the preloaded models have
   * loaded, or once the server is shutting down.
   */
  route(model?: string, fallback: string | null = null): { name: string; pool: ServedModels<Engine> } {
    this.checkOpen();
    const pool = this.pool;
    if (!pool) {
      throw new ApiError(503, "The model is still loading; retry in a moment.", { type: "service_unavailable_error", code: "model_loading" });
    }
    const name = model !== undefined && pool.has(model) ? model : fallback !== null && pool.has(fallback) ? fallback : this.defaultModel;
    return { name, pool };
  }

  /** A 503 once the server is shutting down. */
  checkOpen(): void {
    if (this.shutdown.signal.aborted) throw shuttingDown("The server is shutting down.");
  }
}

/** 503 for a request that the server's shutdown turned away or cut short. */
export function shuttingDown(message: string): ApiError {
  return new ApiError(503, message, { type: "service_unavailable_error", code: "shutting_down" });
}
