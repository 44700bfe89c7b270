// Which model serves a request: the one its body names (ServerState.readyEngine), noted in its record
// for the access line and the metrics.
import type { Context } from "hono";
import type { Engine } from "../engine/types.ts";
import { modelOf } from "../request/read-json.ts";
import type { ServerState } from "../server-state.ts";
import { recordOf } from "../telemetry/request-record.ts";

export function engineFor(c: Context, state: ServerState, body: unknown, fallback: string | null = null): Engine {
  const engine = state.readyEngine(modelOf(body), fallback);
  recordOf(c.req.raw).model = engine.modelId;
  return engine;
}
