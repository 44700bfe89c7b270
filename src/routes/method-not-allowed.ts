import type { Context } from "hono";
import { ApiError } from "../errors/api-error.ts";

/** A handler for every other method on a route that takes only `allowed`: 405 with `Allow`. */
export function methodNotAllowed(allowed: string) {
  return (c: Context): never => {
    c.header("allow", allowed);
    throw new ApiError(405, `${c.req.path} takes ${allowed}, not ${c.req.method}.`, { code: "method_not_allowed" });
  };
}
