// PURE: a whole generation's events as one `response` object, by the same rules as the stream.
import type { EngineEvent } from "../engine/events.ts";
import { responsesEncoder, responseSnapshot, terminalStatus, type ResponsesEncoderOptions } from "./responses-encoder.ts";
import type { ResponseEcho, ResponseObject } from "./responses-types.ts";

export function collectResponse(echo: ResponseEcho, options: ResponsesEncoderOptions, events: readonly EngineEvent[]): ResponseObject {
  const encoder = responsesEncoder(echo, options);
  let { state } = encoder.start();
  for (const event of events) ({ state } = encoder.event(state, event));
  return responseSnapshot(echo, state, state.finish ? terminalStatus(state.finish) : "failed");
}
