// When node-llama-cpp decodes what its sequences have queued. Its own schedule decodes on the next
// event-loop turn after the first sequence queues a token (or at once when every sequence of the
// context has). Streams' sampled tokens come back from node-llama-cpp's worker threads at different
// times, so with 4 streams most decodes carried only 3 of them (measured: 2.97 generated tokens per
// decode), although a decode costs nearly the same for 4 tokens as for 3. This window holds a
// decode until every generating stream has queued its next token: each stream says when it has
// asked for one (`asked`), so that nothing polls; a decode never waits longer than `maxWaitMs`.

/** Whether to decode now: every generating stream has queued its token. */
export function shouldDispatch(queued: number, generating: number): boolean {
  return queued >= generating;
}

export class BatchWindow {
  private generating = 0;
  private pending: (() => void) | null = null;
  private deadline: NodeJS.Timeout | null = null;
  private checkScheduled = false;

  /**
   * @param queued how many sequences have a decode queued now; null where node-llama-cpp does not
   *   say (then this decodes on the next turn, as node-llama-cpp's own schedule does).
   */
  constructor(
    private readonly queued: () => number | null,
    private readonly maxWaitMs = 5,
  ) {}

  /** A stream starts generating; the returned function says it has stopped (once). */
  begin(): () => void {
    this.generating++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.generating--;
      this.asked();
    };
  }

  /**
   * A stream has asked for its next token (node-llama-cpp queues the decode in the same turn):
   * look again once the turn's microtasks have run.
   */
  asked(): void {
    if (this.pending === null || this.checkScheduled) return;
    this.checkScheduled = true;
    setImmediate(() => {
      this.checkScheduled = false;
      this.check();
    });
  }

  /** node-llama-cpp's `batching.dispatchSchedule`. */
  readonly schedule = (dispatch: () => void): void => {
    if (this.queued() === null) {
      setImmediate(dispatch);
      return;
    }
    this.pending = dispatch;
    this.check();
    if (this.pending !== null && this.deadline === null) this.deadline = setTimeout(() => this.dispatch(), this.maxWaitMs);
  };

  private check(): void {
    if (this.pending !== null && shouldDispatch(this.queued() ?? 0, this.generating)) this.dispatch();
  }

  private dispatch(): void {
    const dispatch = this.pending;
    this.pending = null;
    if (this.deadline !== null) clearTimeout(this.deadline);
    this.deadline = null;
    dispatch?.();
  }
}
