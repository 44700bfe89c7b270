// The per-request keepalive: `x-oserve-keepalive: chunk|comment|off[; interval=S]` overrides the
// server's mode and interval for one request (a header, so that strict upstream schemas never see it).
import { invalidParam } from "../errors/api-error.ts";
import { KEEPALIVE_MODES, type KeepaliveMode, type KeepalivePolicy } from "../stream/keepalive-policy.ts";

export const KEEPALIVE_HEADER = "x-oserve-keepalive";
const MIN_SECONDS = 0.1;
const MAX_SECONDS = 300;

/** The policy for a request: the header's, where it sends one, else `fallback`. Malformed: a 400. */
export function keepalivePolicyFor(header: string | undefined, fallback: KeepalivePolicy): KeepalivePolicy {
  if (header === undefined) return fallback;
  const [modePart = "", ...params] = header.split(";").map((part) => part.trim());
  const mode = modePart.toLowerCase() as KeepaliveMode;
  if (!KEEPALIVE_MODES.includes(mode)) throw malformed(header, `the mode must be one of ${KEEPALIVE_MODES.join(", ")}`);
  let intervalMs = fallback.intervalMs;
  for (const param of params) {
    const match = /^interval\s*=\s*(\d+(?:\.\d+)?)$/i.exec(param);
    if (!match) throw malformed(header, `'${param}' is not 'interval=SECONDS'`);
    const seconds = Number(match[1]);
    if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) throw malformed(header, `the interval must be from ${MIN_SECONDS} to ${MAX_SECONDS} seconds`);
    intervalMs = Math.round(seconds * 1000);
  }
  return { mode, intervalMs };
}

function malformed(header: string, why: string) {
  return invalidParam(KEEPALIVE_HEADER, `The ${KEEPALIVE_HEADER} header '${header}' is malformed: ${why} (e.g. 'comment; interval=5').`, "invalid_header");
}
