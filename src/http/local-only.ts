// Local by default means local: with no API key, a request must name this machine in its Host (a
// page on another site reached through DNS rebinding names its own), and a browser's request must
// come from an allowed Origin (a page's cross-site POST of text/plain needs no preflight). Both are
// refused with a 403 that names the flag that allows them, before anything else runs. As Ollama's
// allowed hosts and origins (OLLAMA_ORIGINS), whose keyless default had this as a CVE.
import { hostname } from "node:os";
import { isIP } from "node:net";
import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "../errors/api-error.ts";

/** Names of this machine a Host may carry besides IP addresses: loopback names and the machine's own. */
const LOCAL_SUFFIXES = [".localhost", ".local", ".internal"];

/** PURE: whether a Host header (with or without its port) names this machine, or is one of `allowed` (`*`: any). */
export function isLocalHost(header: string | undefined, allowed: readonly string[], machine: string): boolean {
  if (header === undefined || header === "") return true;
  if (allowed.includes("*")) return true;
  const host = hostOf(header).toLowerCase();
  // An address is not something a rebinding page can put there: the browser sends the page's name.
  if (isIP(host) !== 0) return true;
  if (host === "localhost" || host === machine.toLowerCase() || LOCAL_SUFFIXES.some((suffix) => host.endsWith(suffix))) return true;
  return allowed.some((name) => name.toLowerCase() === host);
}

/** PURE: whether a browser's Origin may call: a page served from this machine (any port), or one `--cors` allows (`*`: any). */
export function isAllowedOrigin(origin: string | undefined, cors: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (cors.includes("*") || cors.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (a sandboxed frame, a file): no page of this machine's
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host.endsWith(".localhost") || host === "127.0.0.1" || host === "::1" || host === "0.0.0.0";
}

/** "host:port", "[::1]:port", "::1" → the name or address alone. */
function hostOf(header: string): string {
  if (header.startsWith("[")) return header.slice(1, header.indexOf("]") === -1 ? undefined : header.indexOf("]"));
  if (isIP(header) === 6) return header;
  const colon = header.lastIndexOf(":");
  return colon === -1 ? header : header.slice(0, colon);
}

export function localOnly(options: { allowedHosts: readonly string[]; cors: readonly string[] }, reject: (c: Context, error: ApiError) => Response): MiddlewareHandler {
  const machine = hostname();
  return async (c, next) => {
    if (!isLocalHost(c.req.header("host"), options.allowedHosts, machine)) {
      return reject(
        c,
        new ApiError(403, `This server answers requests for this machine only, not for host '${c.req.header("host")}'. Start it with --allowed-hosts NAME (or an --api-key) to serve that name.`, {
          type: "permission_error",
          code: "host_not_allowed",
        }),
      );
    }
    if (!isAllowedOrigin(c.req.header("origin"), options.cors)) {
      return reject(
        c,
        new ApiError(403, `Browser pages from '${c.req.header("origin")}' may not call this server. Start it with --cors ORIGIN (or an --api-key) to allow them.`, {
          type: "permission_error",
          code: "origin_not_allowed",
        }),
      );
    }
    return next();
  };
}
