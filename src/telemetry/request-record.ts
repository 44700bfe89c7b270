// What one request did, filled in as it goes and read once it ends: for the access log and metrics.
// The request's scope (http/request-scope.ts) holds it; telemetry only reads it.

/** How a request ended: answered whole, its client gone first, or failed (an error status or an error frame). */
export type Outcome = "done" | "client_gone" | "error";

export class RequestRecord {
  readonly startedAt = performance.now();
  /** The model that served it; null for a request no model served (health, metrics, a 404). */
  model: string | null = null;
  promptTokens: number | null = null;
  completionTokens: number | null = null;
  cachedTokens: number | null = null;
  /** Of the completion tokens, those spent thinking. */
  reasoningTokens: number | null = null;
  /** Tokens speculative decoding drafted and verified, and of them those the model wrote; null: none drafted. */
  draftTokens: number | null = null;
  acceptedDraftTokens: number | null = null;
  /** Milliseconds from the request to its first generated token. */
  ttftMs: number | null = null;
  outcome: Outcome = "done";

  firstToken(): void {
    this.ttftMs ??= performance.now() - this.startedAt;
  }

  addUsage(usage: { promptTokens: number; completionTokens: number; cachedTokens?: number; reasoningTokens?: number; drafts?: { drafted: number; accepted: number } }): void {
    // A request that drafted nothing says nothing of drafts (speculation is on by default).
    if (usage.drafts && usage.drafts.drafted > 0) {
      this.draftTokens = (this.draftTokens ?? 0) + usage.drafts.drafted;
      this.acceptedDraftTokens = (this.acceptedDraftTokens ?? 0) + usage.drafts.accepted;
    }
    this.promptTokens = (this.promptTokens ?? 0) + usage.promptTokens;
    this.completionTokens = (this.completionTokens ?? 0) + usage.completionTokens;
    this.cachedTokens = (this.cachedTokens ?? 0) + (usage.cachedTokens ?? 0);
    this.reasoningTokens = (this.reasoningTokens ?? 0) + (usage.reasoningTokens ?? 0);
  }
}
