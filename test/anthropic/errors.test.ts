// Anthropic's error shape for every status oserve answers with on /v1/messages: the type its SDKs
// and Claude Code branch on (413, 429, 500, 503 and the queue's 529 among them).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { anthropicErrorBody, anthropicStatus } from "../../src/anthropic/errors.ts";
import { ApiError } from "../../src/errors/api-error.ts";

describe("anthropicErrorBody", () => {
  const cases: Array<[ApiError, number, string]> = [
    [new ApiError(400, "Bad field.", { param: "messages[0].role" }), 400, "invalid_request_error"],
    [new ApiError(401, "No key."), 401, "authentication_error"],
    [new ApiError(404, "No such model."), 404, "not_found_error"],
    [new ApiError(413, "Body too large."), 413, "request_too_large"],
    [new ApiError(429, "Slow down."), 429, "rate_limit_error"],
    [new ApiError(429, "The queue is full.", { code: "queue_full" }), 529, "overloaded_error"],
    [new ApiError(500, "Decode failed."), 500, "api_error"],
    [new ApiError(503, "Still loading.", { code: "model_loading" }), 503, "overloaded_error"],
  ];
  for (const [error, status, type] of cases) {
    test(`${error.status}${error.code ? ` (${error.code})` : ""}: ${status} ${type}`, () => {
      assert.equal(anthropicStatus(error), status);
      const body = anthropicErrorBody(error);
      assert.deepEqual([body.type, body.error.type], ["error", type]);
      assert.match(body.error.message, new RegExp(error.message.replace(".", "\\.")));
    });
  }

  test("the field at fault, which Anthropic's shape has no place for, leads the message", () => {
    assert.equal(anthropicErrorBody(new ApiError(400, "Unknown role.", { param: "messages[0].role" })).error.message, "messages[0].role: Unknown role.");
  });
});
