// The one place that formats SSE frames: nothing else builds `data: …\n\n` strings.

/** A `data:` frame holding one JSON value (or a literal such as `[DONE]`). */
export function dataFrame(payload: unknown): string {
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  return `data: ${text}\n\n`;
}

/** A comment frame; SSE parsers ignore it, proxies see bytes flowing. */
export function commentFrame(text: string): string {
  if (/[\r\n]/.test(text)) throw new Error("an SSE comment must not contain \\r or \\n");
  return `: ${text}\n\n`;
}

export const DONE_FRAME = dataFrame("[DONE]");
