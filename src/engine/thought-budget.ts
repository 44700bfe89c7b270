// PURE: a thought's token budget, as llama.cpp's reasoning-budget sampler keeps it
// (common/reasoning-budget.cpp, which llama-server runs for `--reasoning-budget`): the format's
// start tag opens the count, one of its end tags closes it; when the budget is spent (and the last
// token completes a character) the end tag is written for the model, token by token, and the
// answer follows. A new start tag opens a new count.
import type { Token } from "node-llama-cpp";

export interface ThoughtBudgetTags {
  /** The start tag's tokens (`<think>`). */
  start: readonly Token[];
  /** Each end tag's tokens (`</think>`): any of them closes the thought. */
  ends: ReadonlyArray<readonly Token[]>;
  /** What is written for the model when the budget is spent: the first end tag. */
  forced: readonly Token[];
}

type State = "idle" | "counting" | "waiting_utf8" | "done";

export class ThoughtBudget {
  private state: State = "idle";
  private remaining = 0;
  /** Recent tokens, as long as the longest tag: a tag is matched as a suffix. */
  private recent: Token[] = [];
  private readonly window: number;

  constructor(
    private readonly tags: ThoughtBudgetTags,
    /** Most tokens the thought may take. */
    private readonly budget: number,
    /** Whether a token's text ends on a whole character (a budget spent mid-character waits for it). */
    private readonly completesCharacter: (token: Token) => boolean,
  ) {
    this.window = Math.max(tags.start.length, ...tags.ends.map((end) => end.length), 1);
  }

  /** Whether the thought is open (a call's trigger means nothing inside it). */
  get thinking(): boolean {
    return this.state === "counting" || this.state === "waiting_utf8";
  }

  /**
   * Reads a token the sequence holds (the generation prompt's, or one the model wrote); returns the
   * tokens to write for the model before it goes on (the end tag), or null.
   */
  accept(token: Token): readonly Token[] | null {
    this.recent.push(token);
    if (this.recent.length > this.window) this.recent.shift();
    switch (this.state) {
      case "idle":
      case "done":
        if (this.matches(this.tags.start)) return this.open();
        return null;
      case "counting":
      case "waiting_utf8": {
        if (this.tags.ends.some((end) => this.matches(end))) {
          this.state = "done";
          return null;
        }
        if (this.state === "counting") this.remaining--;
        if (this.remaining > 0) return null;
        if (!this.completesCharacter(token)) {
          this.state = "waiting_utf8";
          return null;
        }
        return this.force();
      }
    }
  }

  private open(): readonly Token[] | null {
    this.state = "counting";
    this.remaining = this.budget;
    return this.budget <= 0 ? this.force() : null;
  }

  private force(): readonly Token[] {
    this.state = "done";
    this.recent = [...this.tags.forced].slice(-this.window);
    return this.tags.forced;
  }

  private matches(tag: readonly Token[]): boolean {
    if (tag.length === 0 || tag.length > this.recent.length) return false;
    const offset = this.recent.length - tag.length;
    return tag.every((token, i) => this.recent[offset + i] === token);
  }
}
