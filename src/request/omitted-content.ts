// Images, documents and audio on a model that reads text only: each part becomes a short
// placeholder the model reads in its place, and the response names what was left out. Agents resend
// the whole history, so a 400 for one pasted screenshot would fail every later turn of the session.

export type OmittedKind = "image" | "document" | "audio";

/** Every API's part and block types that carry something other than text, by what they carry. */
const KINDS: Record<string, OmittedKind> = {
  image_url: "image", // chat completions
  input_image: "image", // Responses
  image: "image", // Messages
  file: "document", // chat completions
  input_file: "document", // Responses
  document: "document", // Messages
  input_audio: "audio", // chat completions
  audio: "audio",
};

/** What a part of this type carries, or null for a type that is neither text nor media. */
export function omittedKind(partType: string): OmittedKind | null {
  return Object.hasOwn(KINDS, partType) ? KINDS[partType]! : null;
}

/** What the model reads where a part was. */
export function placeholder(kind: OmittedKind): string {
  return `[${kind} omitted: this model reads text only]`;
}

/** The response header that names what a request's parts left out, as `x-oserve-ignored-tools` names tools. */
export const OMITTED_CONTENT_HEADER = "x-oserve-omitted-content";

/** Counts what one request left out, and says it as a header. */
export class OmittedContent {
  private readonly counts = new Map<OmittedKind, number>();

  /** The placeholder for one part, counted. */
  omit(kind: OmittedKind): string {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    return placeholder(kind);
  }

  get size(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  /** `image=2, document=1`; empty when nothing was left out. */
  toString(): string {
    return [...this.counts].map(([kind, count]) => `${kind}=${count}`).join(", ");
  }
}

/** The notice headers of a request: the tools it could not offer, the content it could not show. */
export function noticeHeaders(request: { ignoredTools?: readonly string[]; omitted?: OmittedContent }): Record<string, string> {
  const headers: Record<string, string> = {};
  if (request.ignoredTools && request.ignoredTools.length > 0) headers["x-oserve-ignored-tools"] = request.ignoredTools.join(", ");
  if (request.omitted && request.omitted.size > 0) headers[OMITTED_CONTENT_HEADER] = request.omitted.toString();
  return headers;
}
