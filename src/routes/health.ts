// GET /health: 200 once the models are loaded, 503 while they load; slots and queue for monitoring.
import { Hono } from "hono";
import type { ServerState } from "../server-state.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";

export function healthRoutes(state: ServerState): Hono {
  const app = new Hono();
  app.get("/health", (c) => {
    if (!state.engine) return c.json({ status: "loading" }, 503);
    const load = [...state.engines.values()].map((engine) => engine.load());
    const sum = (key: "slots" | "slotsInUse" | "queued") => load.reduce((total, each) => total + each[key], 0);
    // With several models: the slots and queue of all of them, and each one's apart.
    const models = state.engines.size > 1 ? { models: [...state.engines.values()].map((engine, i) => ({ id: engine.modelId, slots_total: load[i]!.slots, slots_in_use: load[i]!.slotsInUse, queued: load[i]!.queued })) } : {};
    return c.json({ status: "ok", model: state.engine.modelId, slots_total: sum("slots"), slots_in_use: sum("slotsInUse"), queued: sum("queued"), ...models });
  });
  app.all("/health", methodNotAllowed("GET"));
  return app;
}
