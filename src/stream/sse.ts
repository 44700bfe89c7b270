// The one place that formats SSE frames: nothing else builds `event:` or `data:` lines.

/**
 * One SSE frame: an optional `event:` line, then the data, one `data:` line per line of it
 * (a JSON text never holds a newline, but a literal may).
 */
export function sseFrame(data: unknown, event?: string): string {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  if (event !== undefined && /[\r\n]/.test(event)) throw new Error("an SSE event name must not contain \\r or \\n");
  const head = event === undefined ? "" : `event: ${event}\n`;
  return `${head}${text.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join("")}\n`;
}

/** A comment frame; SSE parsers ignore it, proxies see bytes flowing. */
export function commentFrame(text: string): string {
  if (/[\r\n]/.test(text)) throw new Error("an SSE comment must not contain \\r or \\n");
  return `: ${text}\n\n`;
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  // Tells nginx-style proxies not to hold frames back.
  "x-accel-buffering": "no",
} as const;
