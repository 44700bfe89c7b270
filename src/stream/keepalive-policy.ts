// What a keepalive is, decided once for the server: its mode and its interval.

/**
 * - `chunk`: a data-bearing event in the protocol's own vocabulary (a chat chunk, a Responses
 *   `response.in_progress`, an Anthropic `ping`), which idle timers that count only data reset on;
 * - `comment`: an SSE comment line, which every parser ignores;
 * - `off`: nothing.
 */
export const KEEPALIVE_MODES = ["chunk", "comment", "off"] as const;
export type KeepaliveMode = (typeof KEEPALIVE_MODES)[number];

export interface KeepalivePolicy {
  mode: KeepaliveMode;
  /** Milliseconds between keepalives while nothing else is sent. */
  intervalMs: number;
}

export const KEEPALIVE_COMMENT = "keep-alive";
