import { ApiError } from "../errors/api-error.ts";
import { countJsonKeys } from "./json-keys.ts";

/**
 * Most object keys one request body may hold: a long agent session (tools with their schemas, a
 * few thousand messages) holds some tens of thousands; JSON.parse of this many distinct keys takes
 * under 100 ms.
 */
export const MAX_JSON_KEYS = 100_000;
/** Bodies shorter than this cannot hold MAX_JSON_KEYS keys (`"k":0,` is six characters), and are not scanned. */
const SCAN_FROM = MAX_JSON_KEYS * 6;

/** The request body as JSON; 400 when it is empty, not JSON, or holds more than MAX_JSON_KEYS keys. */
export async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === "") throw new ApiError(400, "The request body is empty; send a JSON object.", { code: "invalid_json" });
  if (text.length >= SCAN_FROM && countJsonKeys(text, MAX_JSON_KEYS) > MAX_JSON_KEYS) {
    throw new ApiError(400, `The request body holds more than ${MAX_JSON_KEYS} object keys, this server's limit for one request.`, { code: "too_many_keys" });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, `The request body is not valid JSON: ${(error as Error).message}`, { code: "invalid_json" });
  }
}

/** The `model` a request body names, if it names one; which model serves it (ServerState.readyEngine). */
export function modelOf(body: unknown): string | undefined {
  const model = typeof body === "object" && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === "string" ? model : undefined;
}
