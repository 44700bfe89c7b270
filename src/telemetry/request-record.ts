// What one request did, filled in as it goes and read once it ends: for the access log and metrics.

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
  /** Milliseconds from the request to its first generated token. */
  ttftMs: number | null = null;
  outcome: Outcome = "done";
  /** The response body is still being written (a stream, a kept-alive answer): the request ends with it. */
  private pending: Promise<void> | null = null;
  private resolveEnd: (() => void) | null = null;
  private readonly overTasks: Array<() => void> = [];

  /** The body goes on after the handler returned; `end()` is called when it is over. */
  continues(): void {
    this.pending ??= new Promise((resolve) => (this.resolveEnd = resolve));
  }

  end(outcome?: Outcome): void {
    if (outcome && this.outcome === "done") this.outcome = outcome;
    this.resolveEnd?.();
  }

  /** Runs `task` once the request is over (its response written or abandoned): a model lease is released so. */
  onOver(task: () => void): void {
    this.overTasks.push(task);
  }

  /** The request is over: the access log says so once, after `ended`. */
  over(): void {
    for (const task of this.overTasks.splice(0)) task();
  }

  /** Resolves once the response is over (at once where the handler's return was the end). */
  get ended(): Promise<void> {
    return this.pending ?? Promise.resolve();
  }

  firstToken(): void {
    this.ttftMs ??= performance.now() - this.startedAt;
  }

  addUsage(usage: { promptTokens: number; completionTokens: number; cachedTokens?: number; reasoningTokens?: number }): void {
    this.promptTokens = (this.promptTokens ?? 0) + usage.promptTokens;
    this.completionTokens = (this.completionTokens ?? 0) + usage.completionTokens;
    this.cachedTokens = (this.cachedTokens ?? 0) + (usage.cachedTokens ?? 0);
    this.reasoningTokens = (this.reasoningTokens ?? 0) + (usage.reasoningTokens ?? 0);
  }
}

const records = new WeakMap<object, RequestRecord>();

/**
 * The record of a request, by the object that lives as long as it (hono's context, the same in every
 * middleware and handler; not its Request, which a middleware may replace: a chunked body's limit
 * does, and a lease tied to the replaced one was never released): made by the logging middleware,
 * filled in by the generation wiring.
 */
export function recordOf(request: object): RequestRecord {
  let record = records.get(request);
  if (!record) records.set(request, (record = new RequestRecord()));
  return record;
}
