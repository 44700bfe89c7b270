// PURE: a whole generation's events as one Anthropic `message`, by the same rules as the stream.
import type { EngineEvent } from "../engine/events.ts";
import { messageOf, messagesEncoder, type MessageIdentity, type MessagesEncoderOptions } from "./messages-encoder.ts";
import type { Message } from "./messages-types.ts";

export function collectMessage(identity: MessageIdentity, options: MessagesEncoderOptions, events: readonly EngineEvent[]): Message {
  const encoder = messagesEncoder(identity, options);
  let { state } = encoder.start();
  for (const event of events) ({ state } = encoder.event(state, event));
  return messageOf(identity, state, options);
}
