// GET /metrics: Prometheus text format, from prom-client.
import { Hono } from "hono";
import type { ServerState } from "../server-state.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";

export function metricsRoutes(state: ServerState): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) => c.body(await state.metrics.render(), 200, { "content-type": state.metrics.contentType }));
  app.all("/metrics", methodNotAllowed("GET"));
  return app;
}
