// Reads a raw SSE response into its events, with a well-kept parser (not by hand).
import { EventSourceParserStream } from "eventsource-parser/stream";

export interface RawFrame {
  /** The `event:` name of a data frame, if it had one. */
  event?: string;
  /** `data` of a data frame, or null for a comment. */
  data: string | null;
  comment: string | null;
  /** Milliseconds since the request was sent. */
  at: number;
}

/**
 * Every frame of a stream, comments included, in order; `at` counts from `startedAt` (0: the clock's
 * origin, to compare across streams). `onFrame` sees the frames so far after each one arrives.
 */
export async function readFrames(response: Response, startedAt = performance.now(), onFrame?: (frames: readonly RawFrame[]) => void): Promise<RawFrame[]> {
  const frames: RawFrame[] = [];
  const add = (frame: RawFrame) => {
    frames.push(frame);
    onFrame?.(frames);
  };
  const parser = new EventSourceParserStream({
    onComment: (comment) => add({ data: null, comment: comment.trim(), at: performance.now() - startedAt }),
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(parser).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return frames;
    add({ ...(value.event ? { event: value.event } : {}), data: value.data, comment: null, at: performance.now() - startedAt });
  }
}

/** The data frames' JSON, in order: comments and the closing `[DONE]` left out. */
export function dataChunks(frames: readonly RawFrame[]): any[] {
  return frames.filter((f) => f.data !== null && f.data !== "[DONE]").map((f) => JSON.parse(f.data!));
}

export async function postChat(baseURL: string, body: unknown, signal?: AbortSignal, headers: Record<string, string> = {}): Promise<Response> {
  return postJson(`${baseURL}/chat/completions`, body, signal, headers);
}

export async function postJson(url: string, body: unknown, signal?: AbortSignal, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body), signal });
}

/**
 * The header that sets a request's keepalive mode (src/request/keepalive-header.ts): one server
 * serves every mode's tests. The server's own mode (chunk, its default) is sent no header, so the
 * flag's path is tested too.
 */
export function keepaliveHeaders(mode: string): Record<string, string> {
  return mode === "chunk" ? {} : { "x-oserve-keepalive": mode };
}
