// PURE: one access line per request, as text or JSON.
import type { RequestRecord } from "./request-record.ts";

export interface AccessEntry {
  time: string;
  method: string;
  route: string;
  status: number;
  requestId: string;
  record: RequestRecord;
  durationMs: number;
}

export function accessLine(entry: AccessEntry, format: "text" | "json"): string {
  const { record } = entry;
  const fields = {
    time: entry.time,
    method: entry.method,
    route: entry.route,
    status: entry.status,
    request_id: entry.requestId,
    model: record.model,
    prompt_tokens: record.promptTokens,
    completion_tokens: record.completionTokens,
    cached_tokens: record.cachedTokens,
    draft_tokens: record.draftTokens,
    draft_accepted: record.acceptedDraftTokens,
    ttft_ms: record.ttftMs === null ? null : Math.round(record.ttftMs),
    duration_ms: Math.round(entry.durationMs),
    end: record.outcome,
  };
  if (format === "json") return JSON.stringify(fields);
  const rest = Object.entries(fields)
    .slice(4)
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${key}=${typeof value === "string" ? field(value) : value}`);
  return [fields.time, field(fields.method), field(fields.route), fields.status, ...rest].join(" ");
}

/**
 * A client's text as one field of a text line: control characters, spaces and `%` percent-encoded,
 * so that a path with `%0A` in it (decoded, a newline) or a request id with spaces cannot forge a
 * line or a field.
 */
function field(text: string): string {
  return text.replace(/[\x00-\x20\x7f%]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}
