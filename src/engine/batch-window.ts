// When node-llama-cpp decodes what its sequences have queued. Its own schedule decodes on the next
// event-loop turn after the first sequence queues a token (or at once when every sequence of the
// context has). Streams' sampled tokens come back from node-llama-cpp's worker threads at different
// times, so with 4 streams most decodes carried only 3 of them (measured: 2.97 generated tokens per
// decode), although a decode costs nearly the same for 4 tokens as for 3. This window holds a
// decode until every generating stream has queued its next token: each stream says when it has
// asked for one, so that nothing polls.
//
// A stream whose token is in the decode now running comes back when that decode ends: the window
// waits for it however long the decode takes. Giving up on it early (as a fixed deadline did) split
// 4 streams into a decode of 3 and one of 1, step after step (measured on the 0.5B model: a third
// of the decodes carried 3 tokens, a sixth 1). Only a stream that is neither queued nor in the
// running decode (one erasing its old tokens before its prompt) is waited for at most `maxWaitMs`.

/** What the window does when a stream has queued: decode now, or wait (with or without a deadline). */
export type WindowDecision = "dispatch" | "wait-for-decode" | "wait-with-deadline";

/**
 * @param queued sequences with a decode queued now
 * @param generating streams the window knows of
 * @param inDecode of those, streams whose token is in the decode now running
 */
export function decide(queued: number, generating: number, inDecode: number): WindowDecision {
  if (queued >= generating) return "dispatch";
  return inDecode > 0 ? "wait-for-decode" : "wait-with-deadline";
}

/** One generating stream, as the window tracks it. */
export interface WindowStream {
  /** The stream has asked for its next token (node-llama-cpp queues it in the same turn). */
  asked(): void;
  /** The stream has stopped generating (idempotent). */
  end(): void;
}

type StreamState = "working" | "asked" | "in-decode";

export class BatchWindow {
  private readonly streams = new Map<object, StreamState>();
  private pending: (() => void) | null = null;
  private deadline: NodeJS.Timeout | null = null;
  private checkScheduled = false;
  /** When the armed deadline fires (performance.now()); Infinity when none is armed. */
  private armedFor = Infinity;

  /**
   * @param queued how many sequences have a decode queued now; null where node-llama-cpp does not
   *   say (then this decodes on the next turn, as node-llama-cpp's own schedule does).
   * @param maxWaitMs the longest a decode waits for a stream that is neither queued nor decoding.
   * @param safetyMs the longest a decode waits at all, whatever the window believes.
   */
  constructor(
    private readonly queued: () => number | null,
    private readonly maxWaitMs = 5,
    private readonly safetyMs = 1000,
    /** Called just before each decode goes (the decode threads' count is set there). */
    private readonly beforeDispatch: () => void = () => {},
  ) {}

  begin(): WindowStream {
    const key = {};
    this.streams.set(key, "working");
    return {
      asked: () => {
        if (!this.streams.has(key)) return;
        this.streams.set(key, "asked");
        this.recheck();
      },
      end: () => {
        if (!this.streams.delete(key)) return;
        this.recheck();
      },
    };
  }

  /** node-llama-cpp's `batching.dispatchSchedule`. */
  readonly schedule = (dispatch: () => void): void => {
    if (this.queued() === null) {
      setImmediate(() => {
        this.beforeDispatch();
        dispatch();
      });
      return;
    }
    this.pending = dispatch;
    this.check();
    // Streams that asked before this decode was scheduled (several sampled by one decode come back
    // together) queue their tokens in this same turn, without telling the window again: look once more.
    this.recheck();
  };

  /** Look again once the turn's microtasks have run (the stream's token is queued by then). */
  private recheck(): void {
    if (this.pending === null || this.checkScheduled) return;
    this.checkScheduled = true;
    setImmediate(() => {
      this.checkScheduled = false;
      this.check();
    });
  }

  private check(): void {
    if (this.pending === null) return;
    let inDecode = 0;
    for (const state of this.streams.values()) if (state === "in-decode") inDecode++;
    const decision = decide(this.queued() ?? 0, this.streams.size, inDecode);
    if (decision === "dispatch") return this.dispatch();
    this.arm(decision === "wait-for-decode" ? this.safetyMs : this.maxWaitMs);
  }

  /** (Re)arms the deadline to at most `ms` from now. */
  private arm(ms: number): void {
    const at = performance.now() + ms;
    if (this.deadline !== null && this.armedFor <= at) return;
    if (this.deadline !== null) clearTimeout(this.deadline);
    this.armedFor = at;
    this.deadline = setTimeout(() => this.dispatch(), ms);
  }

  private dispatch(): void {
    const dispatch = this.pending;
    this.pending = null;
    if (this.deadline !== null) clearTimeout(this.deadline);
    this.deadline = null;
    this.armedFor = Infinity;
    // What has asked goes into this decode and comes back when it ends.
    for (const [key, state] of this.streams) if (state === "asked") this.streams.set(key, "in-decode");
    if (dispatch) this.beforeDispatch();
    dispatch?.();
  }
}
