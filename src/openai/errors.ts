// Errors in the shape OpenAI's clients parse: {"error": {message, type, param, code}}.
import type { ApiError, ErrorType } from "../errors/api-error.ts";

export interface ErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: string | null };
}

export function openAiErrorBody(error: ApiError): ErrorBody {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

/** The body of an error frame sent inside an already started stream. */
export function serverErrorBody(message: string, code: string | null = null): ErrorBody {
  return { error: { message, type: "server_error", param: null, code } };
}
