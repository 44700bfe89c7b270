// Generated tokens as streamed text, for the direct generation path (engine/direct-chat.ts): whole
// characters only, stop strings cut where they start and never half-sent, and a leading thought
// segment (`<think>…</think>`) split from the answer. Pure: the model's detokenizer is passed in.
import type { Token } from "node-llama-cpp";

/** Tokens to text; `lastTokens` are the tokens before, for tokenizers whose text depends on them. */
export type Detokenize = (tokens: readonly Token[], lastTokens: readonly Token[]) => string;

/** Most tokens one character may span (a 4-byte UTF-8 sequence, one byte a token). */
const MAX_TOKENS_PER_CHARACTER = 4;
/** Tokens kept as context for the detokenizer. */
const CONTEXT_TOKENS = 8;

/**
 * Token by token to text, holding back tokens that end inside a character (byte-fallback
 * tokenizers split characters across tokens) until the character is whole.
 */
export class Detokenizer {
  private pending: Token[] = [];
  private context: Token[] = [];

  constructor(private readonly detokenize: Detokenize) {}

  push(token: Token): string {
    this.pending.push(token);
    const text = this.detokenize(this.pending, this.context);
    if (!text.endsWith("\uFFFD")) return this.emit(this.pending.length, text);
    // The end is a character still incomplete, or a real U+FFFD followed by one: what comes before
    // the incomplete end goes out where the tokens split cleanly there (each side reads the same apart).
    for (let kept = 1; kept < this.pending.length; kept++) {
      const head = this.pending.slice(0, -kept);
      const headText = this.detokenize(head, this.context);
      if (headText + this.detokenize(this.pending.slice(-kept), [...this.context, ...head]) === text) return this.emit(head.length, headText);
    }
    return this.pending.length < MAX_TOKENS_PER_CHARACTER ? "" : this.emit(this.pending.length, text);
  }

  /** The first `count` pending tokens, read as `text`, go out; the rest stay pending. */
  private emit(count: number, text: string): string {
    this.context = [...this.context, ...this.pending.slice(0, count)].slice(-CONTEXT_TOKENS);
    this.pending = this.pending.slice(count);
    return text;
  }

  /** What is held back at the end, as it is. */
  flush(): string {
    if (this.pending.length === 0) return "";
    const text = this.detokenize(this.pending, this.context);
    this.pending = [];
    return text;
  }
}

/** Characters at the end of `text` that begin some stop string (and could grow into it). */
export function partialStopLength(text: string, stops: readonly string[]): number {
  let longest = 0;
  for (const stop of stops) {
    for (let length = Math.min(stop.length - 1, text.length); length > longest; length--) {
      if (text.endsWith(stop.slice(0, length))) {
        longest = length;
        break;
      }
    }
  }
  return longest;
}

/** What to send now, and the stop string that ended the answer, if one did. */
export interface StopScan {
  text: string;
  stop: string | null;
}

/**
 * Finds stop strings in streamed text. Text that could still become a stop string is held back,
 * so a client never sees part of one; the answer ends before the earliest stop found.
 */
export class StopStrings {
  private held = "";

  constructor(private readonly stops: readonly string[]) {}

  push(text: string): StopScan {
    const all = this.held + text;
    let at = -1;
    let stop: string | null = null;
    for (const candidate of this.stops) {
      const found = all.indexOf(candidate);
      if (found >= 0 && (at < 0 || found < at)) [at, stop] = [found, candidate];
    }
    if (stop !== null) {
      this.held = "";
      return { text: all.slice(0, at), stop };
    }
    const keep = partialStopLength(all, this.stops);
    this.held = all.slice(all.length - keep);
    return { text: all.slice(0, all.length - keep), stop: null };
  }

  /** At the end without a stop: what was held back is answer after all. */
  flush(): string {
    const rest = this.held;
    this.held = "";
    return rest;
  }
}

/** Text split by where it belongs: the thought, or the answer after it. */
export interface ThoughtSplit {
  thought: string;
  answer: string;
  /** The thought's end was found in this text: what follows is answer. */
  ended: boolean;
}

/**
 * Splits a thought segment at the very start of the answer from it, as LlamaChat splits segments
 * from its text chunks: from `prefix` (the answer's first characters) to `suffix`; with a null
 * prefix the answer starts inside the thought (the prompt opened it). Neither marker is part of
 * either text, nor is the whitespace between thought and answer. Text is judged as it comes: while
 * it may still turn into the prefix or the suffix, it is held back.
 */
export class LeadingThought {
  private state: "undecided" | "thought" | "after-thought" | "answer";
  private held = "";

  private readonly prefix: string;
  private readonly suffix: string;

  constructor(segment: { prefix: string | null; suffix: string } | null) {
    this.prefix = segment?.prefix ?? "";
    this.suffix = segment?.suffix ?? "";
    this.state = segment === null || this.suffix === "" ? "answer" : segment.prefix === null ? "thought" : "undecided";
  }

  /** Whether the answer proper has begun (special tokens may then be rendered as the answer wants them). */
  get answering(): boolean {
    return this.state === "answer" || this.state === "after-thought";
  }

  /** Whether the text so far may still open a thought. */
  get opening(): boolean {
    return this.state === "undecided";
  }

  /** Whether the text so far is inside a thought. */
  get thinking(): boolean {
    return this.state === "thought";
  }

  push(text: string): ThoughtSplit {
    if (this.state === "answer") return { thought: "", answer: text, ended: false };
    if (this.state === "after-thought") return { thought: "", answer: this.skipWhitespace(text), ended: false };
    this.held += text;
    if (this.state === "undecided") {
      const start = this.held;
      if (start.startsWith(this.prefix)) {
        this.state = "thought";
        this.held = start.slice(this.prefix.length);
      } else if (this.prefix.startsWith(start)) {
        return { thought: "", answer: "", ended: false };
      } else {
        this.state = "answer";
        this.held = "";
        return { thought: "", answer: start, ended: false };
      }
    }
    const end = this.held.indexOf(this.suffix);
    if (end < 0) {
      // Hold back only what could be the start of the suffix; the rest is thought.
      const keep = partialStopLength(this.held, [this.suffix]);
      const thought = this.held.slice(0, this.held.length - keep);
      this.held = this.held.slice(this.held.length - keep);
      return { thought, answer: "", ended: false };
    }
    const thought = this.held.slice(0, end);
    const after = this.held.slice(end + this.suffix.length);
    this.state = "after-thought";
    this.held = "";
    return { thought, answer: this.skipWhitespace(after), ended: true };
  }

  /** The whitespace between a thought and the answer is neither. */
  private skipWhitespace(text: string): string {
    const answer = text.trimStart();
    if (answer !== "") this.state = "answer";
    return answer;
  }

  /** At the end: an undecided start was answer after all; an unfinished thought keeps what it held. */
  flush(): ThoughtSplit {
    const rest = this.held;
    this.held = "";
    if (this.state === "undecided") return { thought: "", answer: rest, ended: false };
    if (this.state === "thought") return { thought: rest, answer: "", ended: false };
    return { thought: "", answer: "", ended: false };
  }
}
