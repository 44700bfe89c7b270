// GET /health: 200 once the models are loaded, 503 while they load; slots and queue for monitoring.
import { Hono } from "hono";
import type { EngineLoad } from "../engine/types.ts";
import type { ServerState } from "../server-state.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";

export function healthRoutes(state: ServerState): Hono {
  const app = new Hono();
  app.get("/health", (c) => {
    const total = state.load();
    if (!state.engine || !total) return c.json({ status: "loading" }, 503);
    const shape = (load: EngineLoad) => ({ slots_total: load.slots, slots_in_use: load.slotsInUse, queued: load.queued });
    // With several models: the slots and queue of all of them, and each one's apart.
    const models = state.engines.size > 1 ? { models: [...state.engines.values()].map((engine) => ({ id: engine.modelId, ...shape(engine.load()) })) } : {};
    return c.json({ status: "ok", model: state.engine.modelId, ...shape(total), ...models });
  });
  app.all("/health", methodNotAllowed("GET"));
  return app;
}
