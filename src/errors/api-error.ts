// An error meant for the client, in no protocol's shape yet: each route family renders it its way
// (OpenAI's `{"error": {…}}`, Anthropic's `{"type": "error", "error": {…}}`).
import { ContextOverflowError, FormatGrammarError, InvalidInputError, QueueFullError } from "../engine/errors.ts";
import { SchemaError } from "../engine/json-schema.ts";
import { LoadFailedError, NoRoomError, PoolClosedError } from "../models/errors.ts";
import { redactForClient } from "./redact.ts";

/** The kind of failure, in OpenAI's words (its error `type`); other protocols map from these. */
export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "server_error"
  | "service_unavailable_error";

export class ApiError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  /** The request field at fault, as OpenAI writes it (`messages[0].role`); null for the whole request. */
  readonly param: string | null;
  readonly code: string | null;

  constructor(status: number, message: string, options: { type?: ErrorType; param?: string | null; code?: string | null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = options.type ?? (status >= 500 ? "server_error" : "invalid_request_error");
    this.param = options.param ?? null;
    this.code = options.code ?? null;
  }
}

/** 400 for a client mistake in one request parameter. */
export function invalidParam(param: string, message: string, code: string | null = null): ApiError {
  return new ApiError(400, message, { param, code });
}

/**
 * Status 499 (nginx's "client closed request"): the client left before its answer was ready. It
 * never reaches anyone; it only keeps such requests out of the server-failure log.
 */
export const CLIENT_GONE_STATUS = 499;

/** Where a route's request keeps what the engine's errors are about, in its own field names. */
export interface RequestParams {
  /** The prompt: `messages`, `input`, `prompt`. */
  prompt: string;
  /** The output format's schema: `response_format.json_schema.schema`, `text.format.schema`. */
  format: string;
}

const CHAT_PARAMS: RequestParams = { prompt: "messages", format: "response_format.json_schema.schema" };

/** Any thrown value as an ApiError; the engine's own errors keep their meaning for the client. */
export function toApiError(error: unknown, params: RequestParams = CHAT_PARAMS): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ContextOverflowError) return new ApiError(400, error.message, { param: params.prompt, code: "context_length_exceeded" });
  if (error instanceof FormatGrammarError) return new ApiError(400, error.message, { param: params.format, code: "invalid_schema" });
  if (error instanceof InvalidInputError) return new ApiError(400, error.message, { param: error.param });
  if (error instanceof SchemaError) return new ApiError(400, `Unsupported schema: ${error.message}.`, { code: "invalid_schema" });
  // The load's reason, less where the server keeps its models (the full text is on stderr).
  if (error instanceof LoadFailedError) return new ApiError(500, redactForClient(error.message), { param: "model", code: "model_load_failed" });
  if (error instanceof NoRoomError) return new ApiError(503, error.message, { type: "service_unavailable_error", param: "model", code: "insufficient_memory" });
  if (error instanceof PoolClosedError) return new ApiError(503, error.message, { type: "service_unavailable_error", code: "shutting_down" });
  if (error instanceof QueueFullError) return new ApiError(429, error.message, { type: "rate_limit_error", code: "queue_full" });
  return new ApiError(500, error instanceof Error ? error.message : String(error));
}
