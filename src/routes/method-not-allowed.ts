import type { Context } from "hono";
import { ApiError } from "../openai/errors.ts";

/** A handler for every other method on a route that takes only `allowed`: 405 with `Allow`. */
export function methodNotAllowed(allowed: string) {
  return (c: Context) => {
    c.header("allow", allowed);
    return c.json(new ApiError(405, `${c.req.path} takes ${allowed}, not ${c.req.method}.`, { code: "method_not_allowed" }).toBody(), 405);
  };
}
