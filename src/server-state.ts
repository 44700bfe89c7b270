import type { Config } from "./config.ts";
import type { Engine, EngineLoad } from "./engine/types.ts";
import { ApiError } from "./api-error.ts";
import { Metrics } from "./telemetry/metrics.ts";
import { ThoughtSeal } from "./thought-seal.ts";

/** What the routes share: the config, and the engines once the models have loaded. */
export class ServerState {
  /** The default model's engine, once every model has loaded. */
  engine: Engine | null = null;
  /** Every model's engine by its name, the default first; empty while they load. */
  readonly engines = new Map<string, Engine>();
  /** Aborted when the server shuts down: every generation in flight stops, and new requests get 503. */
  readonly shutdown = new AbortController();
  /** When the server started, in seconds: the `created` of the model in /v1/models. */
  readonly startedAt = Math.floor(Date.now() / 1000);
  readonly metrics = new Metrics(() => this.load());
  /** Seals thoughts sent to clients, and opens those they send back. */
  readonly thoughtSeal = new ThoughtSeal();

  constructor(readonly config: Config) {}

  /** Every model loaded: the server serves them, --default-model (else the first) as the default, which it returns. */
  serve<E extends Engine>(engines: readonly [E, ...E[]]): E {
    for (const engine of engines) this.engines.set(engine.modelId, engine);
    const fallback = engines.find((engine) => engine.modelId === this.config.modelAlias) ?? engines[0];
    this.engine = fallback;
    return fallback;
  }

  /** Slots and queue summed over every model's engine (null while they load): the gauges' and /health's. */
  load(): EngineLoad | null {
    const loads = [...this.engines.values()].map((engine) => engine.load());
    if (loads.length === 0) return null;
    return loads.reduce((sum, load) => ({ slots: sum.slots + load.slots, slotsInUse: sum.slotsInUse + load.slotsInUse, queued: sum.queued + load.queued }));
  }

  /**
   * The engine of the model a request names; for a request that names none, or a name no model has
   * (clients send their own model names: `gpt-4o`, `claude-sonnet-4-5`), `fallback`'s, else the
   * default one. A 503 while the models load or the server is shutting down.
   */
  readyEngine(model?: string, fallback: string | null = null): Engine {
    if (this.shutdown.signal.aborted) throw shuttingDown("The server is shutting down.");
    if (!this.engine) {
      throw new ApiError(503, "The model is still loading; retry in a moment.", {
        type: "service_unavailable_error",
        code: "model_loading",
      });
    }
    return (model === undefined ? undefined : this.engines.get(model)) ?? (fallback === null ? undefined : this.engines.get(fallback)) ?? this.engine;
  }
}

/** 503 for a request that the server's shutdown turned away or cut short. */
export function shuttingDown(message: string): ApiError {
  return new ApiError(503, message, { type: "service_unavailable_error", code: "shutting_down" });
}
