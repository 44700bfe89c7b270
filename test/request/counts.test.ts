import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ApiError } from "../../src/errors/api-error.ts";
import { checkCounts, MAX_MESSAGES, MESSAGES, LOGIT_BIAS, MAX_LOGIT_BIAS } from "../../src/request/counts.ts";

describe("checkCounts", () => {
  const limits = { messages: MESSAGES, logit_bias: LOGIT_BIAS };

  test("an array or an object past its limit is a 400 naming the field, the count and the limit", () => {
    const over = { messages: new Array(MAX_MESSAGES + 1).fill({ role: "user", content: "hi" }) };
    assert.throws(() => checkCounts(over, limits), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 400);
      assert.match(error.message, new RegExp(`${MAX_MESSAGES + 1} messages is more than this server takes in one request \\(${MAX_MESSAGES}\\)`));
      return true;
    });
    const bias = { logit_bias: Object.fromEntries(Array.from({ length: MAX_LOGIT_BIAS + 1 }, (_, i) => [String(i), 1])) };
    assert.throws(() => checkCounts(bias, limits), /logit_bias entries/);
  });

  test("at the limit, absent, or not a collection: left to the schema", () => {
    checkCounts({ messages: new Array(MAX_MESSAGES).fill(0) }, limits);
    checkCounts({}, limits);
    checkCounts({ messages: "hi", logit_bias: 3 }, limits);
    checkCounts(null, limits);
    checkCounts([1, 2], limits);
  });
});
