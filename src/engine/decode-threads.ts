// How many threads a context's decodes take, chosen by measuring them: decode threads wait for each
// other at every step, so where other processes keep the cores busy (a build or a test run beside
// the agent, in a session of its own) the step goes as slow as whichever thread they preempt, and
// fewer threads go faster (beside two busy loops on 2 cores: 12 ms a step with 2 threads, 2-3 ms with
// 1); alone, more go faster (1.2 ms against 2). So the decodes run with the threads that did best
// lately: most of the time with the incumbent, now and then a few steps with the other count, and
// the faster one is kept.

/** Decoding time with the incumbent before the first trial of the challenger; each trial lost in a row doubles it. */
const INCUMBENT_MS = 250;
/** The most decoding time between two trials: how long the cores freed again may go unused. */
const MAX_INCUMBENT_MS = 8000;
/** Steps a trial runs, and the incumbent's steps it is held against. */
const TRIAL_STEPS = 24;
/** A trial ends early, lost, where its first steps took this much longer than the incumbent's. */
const EARLY_STEPS = 6;
const CLEARLY_SLOWER = 1.5;
/** A challenger takes over where its steps were this much faster. */
const MARGIN = 0.9;
/** A gap longer than this between two decodes is idleness or a new request, not a step. */
const MAX_STEP_MS = 250;

/** PURE: which thread count decodes next, from the time each step took. */
export class ThreadTrial {
  /** The count most steps run with. */
  private incumbent: number;
  /** The count the step now timed ran with. */
  private current: number;
  /** Steps of the trial running; the incumbent's decoding time since the last trial, between trials. */
  private steps = 0;
  private incumbentMs = 0;
  /** Trials lost in a row: the incumbent runs longer before the next. */
  private lost = 0;
  private trying = false;
  private incumbentTimes: number[] = [];
  private trialTimes: number[] = [];

  constructor(
    /** The most threads a decode may take (every core). */
    private readonly max: number,
  ) {
    this.incumbent = max;
    this.current = max;
  }

  /** The other count a trial runs: 1 against many, the most against 1. */
  private get challenger(): number {
    return this.incumbent === 1 ? this.max : 1;
  }

  /**
   * The step just ended took `ms` (from one decode going to the next), run with the threads this
   * last returned; returns the threads for the next step.
   */
  step(ms: number): number {
    const timed = ms <= MAX_STEP_MS;
    if (!this.trying) {
      if (timed) {
        this.incumbentTimes.push(ms);
        this.incumbentMs += ms;
      }
      const due = Math.min(MAX_INCUMBENT_MS, INCUMBENT_MS * 2 ** this.lost);
      if (this.incumbentMs < due || this.incumbentTimes.length < TRIAL_STEPS) return this.current;
      this.trying = true;
      this.steps = 0;
      this.trialTimes = [];
      this.current = this.challenger;
      return this.current;
    }
    if (timed) this.trialTimes.push(ms);
    this.steps++;
    const recent = this.incumbentTimes.slice(-TRIAL_STEPS * 2);
    const lostEarly = this.trialTimes.length >= EARLY_STEPS && median(this.trialTimes) > median(recent) * CLEARLY_SLOWER;
    if (!lostEarly && this.steps < TRIAL_STEPS) return this.current;
    const won = !lostEarly && this.trialTimes.length >= TRIAL_STEPS / 2 && median(this.trialTimes) < median(recent) * MARGIN;
    if (won) this.incumbent = this.current;
    this.lost = won ? 0 : this.lost + 1;
    this.trying = false;
    this.incumbentMs = 0;
    this.incumbentTimes = [];
    this.current = this.incumbent;
    return this.current;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * A context's decode threads: each decode step timed (from one decode going to the next) and the count
 * the trial picks handed to `set` where it changes. With one thread at most, or a count the user gave,
 * there is nothing to choose.
 */
export class DecodeThreads {
  private readonly trial: ThreadTrial | null;
  private readonly now: () => number;
  private last = -Infinity;
  private count: number;

  constructor(
    /** The most threads a decode may take (--threads). */
    max: number,
    /** Makes the context's next decodes take this many threads. */
    private readonly set: (threads: number) => void,
    { measured = true, now = () => performance.now() }: {
      /** false: always `max` (a --threads the user gave). */
      measured?: boolean;
      now?: () => number;
    } = {},
  ) {
    this.now = now;
    this.trial = measured && max > 1 ? new ThreadTrial(max) : null;
    this.count = max;
  }

  /** The threads the context's decodes take now. */
  get current(): number {
    return this.count;
  }

  /** Called as each decode goes (the batch window's dispatch). */
  readonly beforeDecode = (): void => {
    if (!this.trial) return;
    const now = this.now();
    const next = this.trial.step(now - this.last);
    this.last = now;
    if (next !== this.count) this.set((this.count = next));
  };
}
