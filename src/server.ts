// Builds the hono app from the shared state, and serves it: @hono/node-server on Node, Bun.serve on Bun.
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { accessLog } from "./routes/access-log.ts";
import { requireKey } from "./routes/api-key.ts";
import { localOnly } from "./routes/local-only.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { anthropicErrorBody, anthropicStatus } from "./anthropic/errors.ts";
import { ApiError, CLIENT_GONE_STATUS, toApiError } from "./api-error.ts";
import { openAiErrorBody } from "./openai/errors.ts";
import { OMITTED_CONTENT_HEADER } from "./request/omitted-content.ts";
import { chatRoutes } from "./routes/chat.ts";
import { completionsRoutes } from "./routes/completions.ts";
import { embeddingsRoutes } from "./routes/embeddings.ts";
import { healthRoutes } from "./routes/health.ts";
import { messagesRoutes } from "./routes/messages.ts";
import { isAnthropic, modelRoutes } from "./routes/models.ts";
import { responsesRoutes } from "./routes/responses.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import type { ServerState } from "./server-state.ts";

/** Seconds a client is told to wait when the queue is full. */
const RETRY_AFTER_SECONDS = 1;

export function createApp(state: ServerState): Hono {
  const app = new Hono();
  // Every response names its request: the client's own x-request-id, or a new one.
  app.use("*", requestId({ headerName: "x-request-id" }));
  // Anthropic's SDKs read `request-id` (their `_request_id`); OpenAI's read `x-request-id`.
  app.use("*", async (c, next) => {
    c.header("request-id", c.get("requestId"));
    await next();
  });
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

/** An error in the shape of the route's API family: Anthropic's under /v1/messages, else OpenAI's. */
function errorResponse(c: Context, error: ApiError): Response {
  if (error.status === 429) c.header("retry-after", String(RETRY_AFTER_SECONDS));
  // Nobody is left to read it; any status will do, and 499 keeps it out of the failure log.
  if (error.status === CLIENT_GONE_STATUS) return c.body(null, 499 as never);
  if (isAnthropicRoute(c)) return c.json(anthropicErrorBody(error), anthropicStatus(error) as 400);
  return c.json(openAiErrorBody(error), error.status as 400);
}

/** /v1/messages, and /v1/models asked by an Anthropic client. */
function isAnthropicRoute(c: Context): boolean {
  const path = c.req.path;
  return path === "/v1/messages" || path.startsWith("/v1/messages/") || ((path === "/v1/models" || path.startsWith("/v1/models/")) && isAnthropic(c));
}

export interface RunningServer {
  /** The bound port (the real one when asked for port 0). */
  port: number;
  /** Stops listening, lets responses in flight finish for up to `graceMs`, then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

const CLOSE_GRACE_MS = 2000;

/** Listens on host:port with the runtime's own server. */
export async function listen(app: Hono, host: string, port: number): Promise<RunningServer> {
  if (typeof Bun !== "undefined") {
    // Bun's longest idle timeout, 255 s: a connection that sends and receives nothing for that long
    // (an idle keep-alive socket, a client that stalls mid-request) is closed, as Node closes them
    // (its headers and request timeouts). Its default of 10 s would cut streams whose keepalive
    // interval is 10 s or more; 0 would keep such sockets forever.
    const server = Bun.serve({ fetch: app.fetch, hostname: host, port, idleTimeout: 255 });
    return {
      port: server.port ?? port,
      close: async (graceMs = CLOSE_GRACE_MS) => {
        const timer = setTimeout(() => void server.stop(true), graceMs);
        await server.stop(false);
        clearTimeout(timer);
      },
    };
  }
  const { serve } = await import("@hono/node-server");
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) =>
      resolve({
        port: info.port,
        close: (graceMs = CLOSE_GRACE_MS) =>
          new Promise<void>((done) => {
            // close() ends idle keep-alive connections and waits for the busy ones; past the
            // grace period those are dropped (their generations stop with their sockets).
            const timer = setTimeout(() => "closeAllConnections" in server && server.closeAllConnections(), graceMs);
            server.close(() => {
              clearTimeout(timer);
              done();
            });
          }),
      }),
    );
    server.once("error", reject);
  });
}
