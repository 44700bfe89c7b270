// Errors in the shape Anthropic's clients parse: {"type": "error", "error": {type, message}}.
import { ApiError } from "../errors/api-error.ts";
import type { ContextOverflowError } from "../engine/errors.ts";

export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error";

export interface AnthropicErrorBody {
  type: "error";
  error: { type: AnthropicErrorType; message: string };
}

/**
 * The status an Anthropic client acts on: a full queue is Anthropic's 529 `overloaded_error`, which
 * its SDKs and Claude Code retry (a 429 there means the account's rate limit, which Claude Code
 * reports rather than waits out).
 */
export function anthropicStatus(error: ApiError): number {
  return error.code === "queue_full" ? 529 : error.status;
}

/** Anthropic's error type by status; the field at fault, which its shape has no place for, goes in the message. */
export function anthropicErrorBody(error: ApiError): AnthropicErrorBody {
  const message = error.param && !error.message.includes(error.param) ? `${error.param}: ${error.message}` : error.message;
  return { type: "error", error: { type: anthropicErrorType(anthropicStatus(error)), message } };
}

export function anthropicErrorType(status: number): AnthropicErrorType {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_error";
  if (status === 503 || status === 529) return "overloaded_error";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

/**
 * Anthropic's own words for a prompt over the window, `prompt is too long: N tokens > M maximum`:
 * Claude Code matches them, compacts the conversation and sends it again.
 */
export function promptTooLong(error: ContextOverflowError): ApiError {
  // No param: the message must stay as it is, with nothing put in front of it.
  return new ApiError(400, `prompt is too long: ${error.promptTokens} tokens > ${error.maxPromptTokens} maximum`, { code: "context_length_exceeded" });
}
