// PURE: a conversation made to fit a template's own rules where the template refuses it as sent.
// Mistral's templates (Mistral Small 3.2, Nemo, Ministral) raise unless every tool call id is 9
// letters and digits, the ids Mistral's API makes; every other client (OpenAI's `call_…`,
// Anthropic's `toolu_…`) sends longer ones, so every agent turn after a call would be refused (as
// llama-server refuses it). Each id is mapped to 9 characters derived from it: the same id always
// gives the same characters, so a conversation's earlier turns render the same way every time and
// their cached tokens are reused.
import { createHash } from "node:crypto";
import type { ChatInputs } from "./inputs.ts";

const NINE_CHARACTER_IDS = /Tool call IDs should be alphanumeric strings with length 9/;

/** The inputs adapted to the rule the template's error names; null where no rule applies (or it already holds). */
export function adaptToTemplate(inputs: ChatInputs, error: string): ChatInputs | null {
  if (!NINE_CHARACTER_IDS.test(error)) return null;
  if (inputs.messages.every((message) => (message.tool_calls ?? []).every((call) => isNineCharacters(call.id)) && (message.tool_call_id === undefined || isNineCharacters(message.tool_call_id)))) return null;
  return {
    ...inputs,
    messages: inputs.messages.map((message) => ({
      ...message,
      ...(message.tool_calls ? { tool_calls: message.tool_calls.map((call) => ({ ...call, id: nineCharacters(call.id) })) } : {}),
      ...(message.tool_call_id !== undefined ? { tool_call_id: nineCharacters(message.tool_call_id) } : {}),
    })),
  };
}

/** A tool call id as 9 letters and digits: itself where it already is, else derived from it. */
export function nineCharacters(id: string): string {
  if (isNineCharacters(id)) return id;
  return createHash("sha256").update(id).digest("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 9);
}

function isNineCharacters(id: string): boolean {
  return /^[A-Za-z0-9]{9}$/.test(id);
}
