// GET /metrics: Prometheus text format, from prom-client.
import { Hono } from "hono";
import type { ServerState } from "../server-state.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";
import type { ServerEnv } from "../http/request-scope.ts";

export function metricsRoutes(state: ServerState): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.get("/metrics", async (c) => c.body(await state.metrics.render(), 200, { "content-type": state.metrics.contentType }));
  app.all("/metrics", methodNotAllowed("GET"));
  return app;
}
