// GET /health: 200 once the preloaded models are loaded, 503 while they load; slots and queue for
// monitoring, and with several models each one's state.
import { Hono } from "hono";
import type { EngineLoad } from "../engine/types.ts";
import type { ServerState } from "../server-state.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";
import type { ServerEnv } from "../http/request-scope.ts";

const IDLE: EngineLoad = { slots: 0, slotsInUse: 0, queued: 0 };

export function healthRoutes(state: ServerState): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.get("/health", (c) => {
    const pool = state.pool;
    const total = state.load();
    if (!pool || !total) return c.json({ status: "loading" }, 503);
    const shape = (load: EngineLoad) => ({ slots_total: load.slots, slots_in_use: load.slotsInUse, queued: load.queued });
    // With several models: the slots and queue of all loaded ones, and each one's state and load apart.
    const models =
      state.config.models.length > 1
        ? { models: state.modelNames().map((id) => ({ id, state: pool.state(id), ...shape(pool.loaded(id)?.load() ?? IDLE) })) }
        : {};
    return c.json({ status: "ok", model: state.defaultModel, ...shape(total), ...models });
  });
  app.all("/health", methodNotAllowed("GET"));
  return app;
}
