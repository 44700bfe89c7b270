// --api-key: every route but /health (and CORS preflights) needs the key; compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "../errors/api-error.ts";

const OPEN_PATHS = new Set(["/health"]);

export function requireKey(key: string, reject: (c: Context, error: ApiError) => Response): MiddlewareHandler {
  const expected = digest(key);
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path) || c.req.method === "OPTIONS") return next();
    // OpenAI's clients send a bearer token; Anthropic's send x-api-key. Either is taken anywhere.
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1]?.trim();
    const given = bearer ?? c.req.header("x-api-key");
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return next();
    return reject(
      c,
      new ApiError(401, given === undefined ? "This server needs an API key: send 'Authorization: Bearer KEY'." : "The API key is not this server's.", {
        type: "authentication_error",
        code: "invalid_api_key",
      }),
    );
  };
}

/** Hashes of equal length, so that comparing them takes the same time whatever the key's length. */
function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
