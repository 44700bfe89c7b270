import { ApiError } from "../api-error.ts";

/** The request body as JSON; 400 when it is empty or not JSON. */
export async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === "") throw new ApiError(400, "The request body is empty; send a JSON object.", { code: "invalid_json" });
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
