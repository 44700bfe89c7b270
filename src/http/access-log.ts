// One access line on stderr per request once its response is over (streams included), and its
// metrics: read from the request's scope, which it does not close.
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { CLIENT_GONE_STATUS } from "../errors/api-error.ts";
import type { ServerState } from "../server-state.ts";
import { accessLine } from "../telemetry/access-log.ts";
import type { ServerEnv } from "./request-scope.ts";

export function accessLog(state: ServerState): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    const scope = c.var.scope;
    // The route's pattern, not the raw path, so that metrics' labels stay few (matched before any handler runs).
    const pattern = routePath(c, -1);
    const route = pattern === "*" || pattern === "/*" ? "unmatched" : pattern;
    // /metrics is left out of the in-flight gauge: it would always count itself.
    const counted = route !== "/metrics";
    if (counted) state.metrics.requestBegun(route);
    try {
      await next();
    } catch (error) {
      // hono's error handler answers thrown errors; anything that still gets here ends the request.
      if (counted) state.metrics.requestAbandoned(route);
      throw error;
    }
    const status = c.res.status;
    if (status === CLIENT_GONE_STATUS) scope.end("client_gone");
    else if (status >= 500) scope.end("error");
    void scope.ended.then(() => {
      const { record } = scope;
      const durationMs = performance.now() - record.startedAt;
      state.metrics.requestEnded(route, status, record, durationMs, counted);
      const line = accessLine(
        { time: new Date().toISOString(), method: c.req.method, route: c.req.path, status, requestId: c.var.requestId ?? "", record, durationMs },
        state.config.server.logFormat,
      );
      process.stderr.write(`${line}\n`);
    });
  };
}
