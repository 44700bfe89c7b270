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

/** Every frame of a streamed chat completion, comments included, in order. */
export async function readFrames(response: Response, startedAt = performance.now()): Promise<RawFrame[]> {
  const frames: RawFrame[] = [];
  const parser = new EventSourceParserStream({
    onComment: (comment) => frames.push({ data: null, comment: comment.trim(), at: performance.now() - startedAt }),
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(parser).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return frames;
    frames.push({ ...(value.event ? { event: value.event } : {}), data: value.data, comment: null, at: performance.now() - startedAt });
  }
}

export async function postChat(baseURL: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

export async function postJson(url: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });
}
