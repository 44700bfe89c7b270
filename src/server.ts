// Builds the hono app from the shared state: the request scope, the access log, local-only, CORS,
// the body limit and the key, then the routes; errors in each route family's shape.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { accessLog } from "./http/access-log.ts";
import { requireKey } from "./http/api-key.ts";
import { localOnly } from "./http/local-only.ts";
import { requestScope, type ServerEnv } from "./http/request-scope.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { ApiError, toApiError } from "./errors/api-error.ts";
import { OMITTED_CONTENT_HEADER } from "./request/omitted-content.ts";
import { chatRoutes } from "./routes/chat.ts";
import { completionsRoutes } from "./routes/completions.ts";
import { embeddingsRoutes } from "./routes/embeddings.ts";
import { healthRoutes } from "./routes/health.ts";
import { messagesRoutes } from "./routes/messages.ts";
import { modelRoutes } from "./routes/models.ts";
import { errorResponse } from "./http/error-response.ts";
import { responsesRoutes } from "./routes/responses.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import type { ServerState } from "./server-state.ts";

export function createApp(state: ServerState): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  // Every response names its request: the client's own x-request-id, or a new one.
  app.use("*", requestId({ headerName: "x-request-id" }));
  // Anthropic's SDKs read `request-id` (their `_request_id`); OpenAI's read `x-request-id`.
  app.use("*", async (c, next) => {
    c.header("request-id", c.var.requestId);
    await next();
  });
  // The request's scope first (its signal taken before the body limit replaces the Request), then its access line.
  app.use("*", requestScope(state.shutdown.signal));
  app.use("*", accessLog(state));
  // Keyless, the server is this machine's alone: a foreign Host or a page's Origin is refused first.
  if (state.config.server.apiKey === null) app.use("*", localOnly({ allowedHosts: state.config.server.allowedHosts, cors: state.config.server.corsOrigins }, (c, error) => errorResponse(c, error)));
  if (state.config.server.corsOrigins.length > 0) {
    const origins = state.config.server.corsOrigins;
    app.use(
      "*",
      cors({
        origin: origins.includes("*") ? "*" : origins,
        exposeHeaders: ["x-request-id", "request-id", "x-oserve-ignored-tools", OMITTED_CONTENT_HEADER, "retry-after"],
        maxAge: 600,
      }),
    );
  }
  app.use(
    "*",
    bodyLimit({
      maxSize: state.config.server.maxBodyBytes,
      onError: (c) =>
        errorResponse(
          c,
          new ApiError(413, `The request body is larger than this server's limit of ${state.config.server.maxBodyBytes} bytes (--max-body).`, {
            code: "request_too_large",
          }),
        ),
    }),
  );
  if (state.config.server.apiKey !== null) app.use("*", requireKey(state.config.server.apiKey, (c, error) => errorResponse(c, error)));
  app.route("/", healthRoutes(state));
  app.route("/", metricsRoutes(state));
  app.route("/", modelRoutes(state));
  app.route("/", chatRoutes(state));
  app.route("/", completionsRoutes(state));
  app.route("/", embeddingsRoutes(state));
  app.route("/", responsesRoutes(state));
  app.route("/", messagesRoutes(state));
  app.route("/", tokenRoutes(state));
  app.notFound((c) =>
    errorResponse(c, new ApiError(404, `Unknown route: ${c.req.method} ${c.req.path}`, { type: "not_found_error", code: "unknown_url" })),
  );
  app.onError((error, c) => {
    const apiError = toApiError(error);
    // A model that failed to load has its own line (and a metric) already.
    if (apiError.status === 500 && apiError.code !== "model_load_failed") console.error(`oserve: ${c.req.method} ${c.req.path} failed:`, error);
    return errorResponse(c, apiError);
  });
  return app;
}
