// Which model serves a request, held for as long as its response lasts: the one its body names
// (ServerState.route), noted in its record for the access line and the metrics. A model that is not
// loaded loads first; where the answer can carry keepalives (a stream, or --keepalive-json), the wait
// happens inside the answer, so that its first byte goes out at once.
import type { Context } from "hono";
import { ApiError, CLIENT_GONE_STATUS, toApiError } from "../errors/api-error.ts";
import type { Engine, PreparedGeneration } from "../engine/types.ts";
import type { Lease } from "../models/pool-types.ts";
import { modelOf } from "../request/read-json.ts";
import { shuttingDown, type ServerState } from "../server-state.ts";
import type { ServerEnv } from "../http/request-scope.ts";

export interface ModelUse {
  /** The model's name: every response's `model`. */
  readonly id: string;
  /** Loaded when the request came: it is answered as it always was, refusals before any byte. */
  readonly warm: boolean;
  /** Its engine: at once where it is loaded, else once it has loaded (the client leaving ends the wait). */
  engine(): Promise<Engine>;
  /** The generation, holding the model until it has stopped. */
  track(prepared: PreparedGeneration): PreparedGeneration;
}

export function useModel(c: Context<ServerEnv>, state: ServerState, body: unknown, fallback: string | null = null): ModelUse {
  const { name, pool } = state.route(modelOf(body), fallback);
  const scope = c.var.scope;
  scope.record.model = name;
  const now = pool.tryAcquire(name);
  let waited: Promise<Lease<Engine>> | null = null;
  // Held until the request's scope closes and every generation of it has stopped: a client that
  // leaves closes the scope at once, while its generation still winds down on the model's sequence.
  let over = false;
  let running = 0;
  const releaseWhenDone = () => {
    if (!over || running > 0) return;
    now?.release();
    waited?.then((lease) => lease.release(), () => {});
  };
  scope.defer(() => {
    over = true;
    releaseWhenDone();
  });
  return {
    id: name,
    warm: now !== null,
    track(prepared) {
      return {
        promptTokens: prepared.promptTokens,
        async *run(signal) {
          running++;
          try {
            yield* prepared.run(signal);
          } finally {
            running--;
            releaseWhenDone();
          }
        },
      };
    },
    engine() {
      if (now) return Promise.resolve(now.engine);
      // The wait ends when the client leaves, or when the server begins to stop.
      waited ??= pool.acquire(name, scope.signal);
      return waited.then(
        (lease) => lease.engine,
        (error: unknown) => {
          if (state.shutdown.signal.aborted) throw shuttingDown("The server shut down before the model had loaded.");
          throw scope.clientSignal.aborted ? new ApiError(CLIENT_GONE_STATUS, "The client disconnected.") : toApiError(error);
        },
      );
    },
  };
}

/**
 * The request prepared on its model. Loaded, or where the answer cannot carry keepalives: prepared
 * now (what cannot run is refused with its status before any byte). Still to load, for a stream or
 * a whole answer under --keepalive-json: a generation that waits for the load, then prepares, inside
 * the answer; a failure there (the load's, or a refusal) is a stream's error event, or the whole
 * answer's error (its status where no byte went out yet). Its `promptTokens` is 0.
 */
export async function prepareOn(
  use: ModelUse,
  state: ServerState,
  stream: boolean,
  prepare: (engine: Engine) => Promise<PreparedGeneration>,
): Promise<PreparedGeneration> {
  if (use.warm || !(stream || state.config.server.keepaliveJson)) return use.track(await prepare(await use.engine()));
  return use.track({
    promptTokens: 0,
    async *run(signal) {
      let prepared: PreparedGeneration;
      try {
        prepared = await prepare(await use.engine());
      } catch (caught) {
        const error = toApiError(caught);
        if (!stream) throw error;
        yield { type: "error", message: error.message, ...(error.code ? { code: error.code } : {}) };
        return;
      }
      yield* prepared.run(signal);
    },
  });
}
