// What every generating route does the same way: wire the request's abort (client gone, server
// stopping) to its generations, then answer whole (gathered events) or streamed (an encoder).
import type { Context } from "hono";
import { ApiError, CLIENT_GONE_STATUS, toApiError } from "../errors/api-error.ts";
import type { ChoiceEvent, EngineEvent } from "../engine/events.ts";
import type { ContextOverflowError } from "../engine/errors.ts";
import type { PreparedGeneration } from "../engine/types.ts";
import { shuttingDown, type ServerState } from "../server-state.ts";
import { coalesce } from "../stream/coalesce.ts";
import { sseResponse, streamFrames } from "../stream/driver.ts";
import type { StreamEncoder } from "../stream/encoder.ts";
import { mergeTagged } from "../stream/merge.ts";
import { KEEPALIVE_HEADER, keepalivePolicyFor } from "../request/keepalive-header.ts";
import { jsonKeptAlive as keptAlive } from "../stream/json-keepalive.ts";
import type { ServerEnv } from "../http/request-scope.ts";
import type { RequestRecord } from "../telemetry/request-record.ts";

export interface AnswerOptions {
  /** The error in the route's API shape, for a failure after the headers went out. */
  errorBody: (error: ApiError) => unknown;
  headers?: Record<string, string>;
}

export interface StreamOptions<E> {
  /** Headers beside the SSE ones. */
  headers?: Record<string, string>;
  /** Called with every event once the generation has finished whole (not after a failure or a cut). */
  onComplete?: (events: E[]) => void;
}

export interface Generation<E extends EngineEvent = EngineEvent> {
  /**
   * The non-streamed answer `build` makes of the events, as JSON. With --keepalive-json on, one not
   * ready after a keepalive interval gets its headers, then a space every interval, then the JSON;
   * a failure after that first byte ends the body with `errorBody` of it.
   */
  answer(build: (events: E[]) => unknown, options: AnswerOptions): Promise<Response>;
  /** The generation as an SSE response, encoded by `encoder` with the server's keepalive policy. */
  stream<S>(encoder: StreamEncoder<S, E>, options?: StreamOptions<E>): Response;
}

/** Starts `prepared` under one abort controller: the client leaving or the server stopping stops it. */
export function startGeneration(c: Context<ServerEnv>, state: ServerState, prepared: PreparedGeneration): Generation {
  return wire(c, state, (signal) => prepared.run(signal));
}

/** Starts several generations side by side, their events tagged with their index and merged as they come. */
export function startChoices(c: Context<ServerEnv>, state: ServerState, prepared: readonly PreparedGeneration[]): Generation<ChoiceEvent> {
  return wire(c, state, (signal) => mergeTagged(prepared.map((p) => p.run(signal)), (event, choice): ChoiceEvent => ({ ...event, choice })));
}

function wire<E extends EngineEvent>(c: Context<ServerEnv>, state: ServerState, run: (signal: AbortSignal) => AsyncGenerator<E>): Generation<E> {
  const policy = keepalivePolicyFor(c.req.header(KEEPALIVE_HEADER), state.config.server.keepalive);
  const scope = c.var.scope;
  const { record, clientSignal } = scope;
  const abort = new AbortController();
  let over = false;
  const stop = (why: string) => {
    if (!over && !abort.signal.aborted) state.metrics.generationAborted();
    abort.abort(new Error(why));
  };
  const clientGone = () => {
    scope.end("client_gone");
    stop("the client disconnected");
  };
  const serverStopping = () => stop("the server is shutting down");
  clientSignal.addEventListener("abort", clientGone, { once: true });
  state.shutdown.signal.addEventListener("abort", serverStopping, { once: true });
  /** The answer is over: whatever still generates (another choice, after one failed) stops. */
  const finish = () => {
    over = true;
    clientSignal.removeEventListener("abort", clientGone);
    state.shutdown.signal.removeEventListener("abort", serverStopping);
    abort.abort(new Error("the answer is over"));
  };
  // The client may have left, or the server begun to stop, while the prompt was being prepared.
  if (clientSignal.aborted) clientGone();
  if (state.shutdown.signal.aborted) serverStopping();
  const events = observe(run(abort.signal), record, () => scope.end("error"));
  /** Every event of the generation, the error event excluded: what a non-streamed answer is made of. */
  const gather = async (): Promise<E[]> => {
    const gathered: E[] = [];
    try {
      for await (const event of events) {
        if (event.type !== "error") gathered.push(event);
        else if (state.shutdown.signal.aborted) throw shuttingDown("The server shut down before the answer was complete.");
        else if (clientSignal.aborted) throw new ApiError(CLIENT_GONE_STATUS, "The client disconnected.");
        else throw new ApiError(500, event.message);
      }
      return gathered;
    } finally {
      finish();
    }
  };
  return {
    answer(build, options) {
      scope.continues();
      const body = gather().then(build);
      body.then(
        () => scope.end(),
        () => scope.end("error"),
      );
      if (!state.config.server.keepaliveJson || policy.mode === "off") return body.then((value) => c.json(value, 200, options.headers));
      return keptAlive(body, policy.intervalMs, {
        ...options,
        errorBody: (error) => options.errorBody(toApiError(error)),
        onCancel: clientGone,
        onKeepalive: () => state.metrics.keepaliveSent("json"),
      });
    },
    stream(encoder, options = {}) {
      scope.continues();
      const source = options.onComplete ? tap(events, options.onComplete) : events;
      const onKeepalive = () => state.metrics.keepaliveSent(policy.mode);
      const end = () => {
        finish();
        scope.end();
      };
      const frames = coalesce(streamFrames(encoder, policy, source, onKeepalive), state.config.server.flushIntervalMs);
      return sseResponse(frames, { onCancel: clientGone, onEnd: end }, options.headers);
    },
  };
}

/**
 * A generation that fails as it starts, for a request refused inside its stream rather than before
 * it: Codex compacts its history on a Responses stream's `response.failed` with code
 * `context_length_exceeded`, and takes an HTTP 400 as a plain failure.
 */
export function refusedInStream(error: ContextOverflowError): PreparedGeneration {
  return {
    promptTokens: error.promptTokens,
    async *run() {
      yield { type: "error", message: error.message, code: "context_length_exceeded" };
    },
  };
}

/** Passes events through, and hands them all to `done` if the generation finished without an error. */
async function* tap<E extends EngineEvent>(events: AsyncIterable<E>, done: (events: E[]) => void): AsyncGenerator<E> {
  const seen: E[] = [];
  for await (const event of events) {
    seen.push(event);
    yield event;
  }
  if (seen.some((e) => e.type === "finish") && !seen.some((e) => e.type === "error")) done(seen);
}

/** Notes the first token, the usage and a failure on the request's record as the events pass. */
async function* observe<E extends EngineEvent>(events: AsyncGenerator<E>, record: RequestRecord, failed: () => void): AsyncGenerator<E> {
  for await (const event of events) {
    if (event.type === "text" || event.type === "reasoning" || event.type === "tool_call") record.firstToken();
    else if (event.type === "usage") record.addUsage(event.usage);
    else if (event.type === "error") failed();
    yield event;
  }
}
