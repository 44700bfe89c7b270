// GET /health: 200 once the model is loaded, 503 while it loads; slots and queue for monitoring.
import { Hono } from "hono";
import type { ServerState } from "../server-state.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";

export function healthRoutes(state: ServerState): Hono {
  const app = new Hono();
  app.get("/health", (c) => {
    if (!state.engine) return c.json({ status: "loading" }, 503);
    const load = state.engine.load();
    return c.json({ status: "ok", model: state.engine.modelId, slots_total: load.slots, slots_in_use: load.slotsInUse, queued: load.queued });
  });
  app.all("/health", methodNotAllowed("GET"));
  return app;
}
