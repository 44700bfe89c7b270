// Asserts that a request parser rejects a body with a 400 ApiError naming the offending parameter.
import assert from "node:assert/strict";
import { ApiError } from "../../src/errors/api-error.ts";

/** `parse(body)` fails with a 400 naming `param` (and saying `message`, if given). */
export function assertRejects(parse: (body: unknown) => unknown, body: unknown, param: string | null, message?: RegExp): void {
  assert.throws(
    () => parse(body),
    (error: unknown) => error instanceof ApiError && error.status === 400 && error.param === param && (!message || message.test(error.message)),
  );
}
