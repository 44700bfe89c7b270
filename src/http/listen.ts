// Serves the app with the runtime's own server: @hono/node-server on Node, Bun.serve on Bun.
import type { Hono } from "hono";
import type { ServerEnv } from "./request-scope.ts";

export interface RunningServer {
  /** The bound port (the real one when asked for port 0). */
  port: number;
  /** Stops listening, lets responses in flight finish for up to `graceMs`, then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

const CLOSE_GRACE_MS = 2000;

/** Listens on host:port with the runtime's own server. */
export async function listen(app: Hono<ServerEnv>, host: string, port: number): Promise<RunningServer> {
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
