// A request's lifetime in one place, kept in hono's typed context (`c.var.scope`): its signal (the
// client leaving, the server stopping), its record (what telemetry reads), whether its body goes on
// after the handler (a stream, a kept-alive answer), and what must happen once it is over (a model
// lease released). The middleware closes it once, after the last byte or the client's leaving, in a
// `finally`: no path (an error, a chunked body, a disconnect, shutdown) leaves a cleanup undone.
import type { MiddlewareHandler } from "hono";
import { RequestRecord, type Outcome } from "../telemetry/request-record.ts";

export class RequestScope {
  /** What the request did, for the access log and the metrics; telemetry reads it and owns nothing. */
  readonly record = new RequestRecord();
  /** Aborted when the client leaves or the server begins to stop. */
  readonly signal: AbortSignal;
  private readonly cleanups: Array<() => void> = [];
  private body: { done: Promise<void>; resolve: () => void } | null = null;
  private closed = false;

  constructor(
    /** The client's own request signal, taken before any middleware replaces the Request (a body limit does, for a chunked body). */
    readonly clientSignal: AbortSignal,
    /** Aborted when the server begins to stop. */
    readonly shutdown: AbortSignal,
  ) {
    this.signal = AbortSignal.any([clientSignal, shutdown]);
  }

  /** Runs `cleanup` once the request is over (at once where it already is); the last deferred runs first. */
  defer(cleanup: () => void): void {
    if (this.closed) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** The body goes on after the handler returned; `end()` says when it is over. */
  continues(): void {
    if (this.body) return;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    this.body = { done, resolve };
  }

  /** The body is over (written, abandoned or failed); the first outcome other than done sticks. */
  end(outcome?: Outcome): void {
    if (outcome && this.record.outcome === "done") this.record.outcome = outcome;
    this.body?.resolve();
  }

  /** Resolves once the response is over: at once where the handler's return was the end. */
  get ended(): Promise<void> {
    return this.body?.done ?? Promise.resolve();
  }

  /** Runs the deferred cleanups, once; what one throws does not keep the others from running. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        cleanup();
      } catch (error) {
        console.error(`oserve: a request's cleanup failed: ${(error as Error)?.message ?? error}`);
      }
    }
  }
}

/** hono's environment for every route: the scope and the request id in `c.var`. */
export interface ServerEnv {
  Variables: { scope: RequestScope; requestId: string };
}

/** Opens each request's scope first, and closes it once its response is over, whatever happened. */
export function requestScope(shutdown: AbortSignal): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    const scope = new RequestScope(c.req.raw.signal, shutdown);
    c.set("scope", scope);
    try {
      await next();
    } catch (error) {
      // No body goes on after a handler that threw past hono's error handler.
      scope.end("error");
      throw error;
    } finally {
      void scope.ended.then(() => scope.close());
    }
  };
}
