import type { Config } from "./config.ts";
import type { Engine } from "./engine/types.ts";
import { ApiError } from "./api-error.ts";
import { Metrics } from "./telemetry/metrics.ts";
import { ThoughtSeal } from "./thought-seal.ts";

/** What the routes share: the config, and the engine once the model has loaded. */
export class ServerState {
  engine: Engine | null = null;
  /** Aborted when the server shuts down: every generation in flight stops, and new requests get 503. */
  readonly shutdown = new AbortController();
  /** When the server started, in seconds: the `created` of the model in /v1/models. */
  readonly startedAt = Math.floor(Date.now() / 1000);
  readonly metrics = new Metrics(() => this.engine?.load() ?? null);
  /** Seals thoughts sent to clients, and opens those they send back. */
  readonly thoughtSeal = new ThoughtSeal();

  constructor(readonly config: Config) {}

  /** The engine, or a 503 while the model is still loading or the server is shutting down. */
  readyEngine(): Engine {
    if (this.shutdown.signal.aborted) throw shuttingDown("The server is shutting down.");
    if (!this.engine) {
      throw new ApiError(503, "The model is still loading; retry in a moment.", {
        type: "service_unavailable_error",
        code: "model_loading",
      });
    }
    return this.engine;
  }
}

/** 503 for a request that the server's shutdown turned away or cut short. */
export function shuttingDown(message: string): ApiError {
  return new ApiError(503, message, { type: "service_unavailable_error", code: "shutting_down" });
}
