// An error as the client's API family shapes it: Anthropic's under /v1/messages (and /v1/models
// asked by an Anthropic client), else OpenAI's; a 429 says when to retry.
import type { Context } from "hono";
import { anthropicErrorBody, anthropicStatus } from "../anthropic/errors.ts";
import { CLIENT_GONE_STATUS, type ApiError } from "../errors/api-error.ts";
import { openAiErrorBody } from "../openai/errors.ts";

/** Seconds a client is told to wait when the queue is full. */
const RETRY_AFTER_SECONDS = 1;

/** Anthropic's clients send `anthropic-version` on every request; OpenAI's never do. */
export function isAnthropic(c: Context): boolean {
  return c.req.header("anthropic-version") !== undefined;
}

/** An error in the shape of the route's API family: Anthropic's under /v1/messages, else OpenAI's. */
export function errorResponse(c: Context, error: ApiError): Response {
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
