// The tokens of a turn rendered by llama.cpp's chat layer, read as llama-server reads them: the
// format's preserved tokens (`<tool_call>`, `<think>`, Harmony's `<|channel|>`) as text, other
// control tokens left out, stop strings cut, and the text so far parsed again by the model's own
// parser, whose diffs become events (thought, answer, tool calls as soon as they are known).
import type { Token } from "node-llama-cpp";
import type { EngineEvent, FinishReason, GenerationOutcome } from "../events.ts";
import type { EventQueue } from "../event-queue.ts";
import type { TokenSink } from "../direct-chat.ts";
import { Detokenizer, StopStrings, type Detokenize } from "../text-stream.ts";
import { DiffEvents, type MessageDiff } from "./diff-events.ts";
import type { ChatParser } from "./native.ts";

export interface ParserTurn {
  /** Tokens to leave out of the text (control tokens the format does not preserve). */
  hidden: ReadonlySet<Token>;
  /** The client's stop strings (a match is reported as such). */
  stopStrings: readonly string[];
  /** The format's own stop strings (a match is the turn's normal end). */
  formatStops: readonly string[];
  parser: ChatParser;
  /** Most tool calls the answer may make (the turn ends where another begins); null: any number. */
  maxCalls: number | null;
  /**
   * The format's thought tags where each is one token: one thought a turn, so a tag where none
   * belongs (a second `<think>`, a `</think>` where no thought is open) is left out, as on the
   * wrappers' path. `open`: the prompt opened the thought. Null: tags of several tokens, or none.
   */
  thoughtTags: { start: Token; ends: ReadonlySet<Token>; open: boolean } | null;
  newCallId: () => string;
}

export class ParserSink implements TokenSink {
  private readonly detokenizer: Detokenizer;
  private readonly stops: StopStrings;
  private readonly diffs: DiffEvents;
  private generated = 0;
  /** Tokens up to the thought's end, once it ended. */
  private thoughtTokens: number | null = null;
  private thinking = false;
  /** The text the parser read, and whether it gave anything: a message it reads as empty is the text itself (llama-server's rule). */
  private parsedText = "";
  private gave = false;
  /** Where the turn is with its one thought, by its tags (ParserTurn.thoughtTags). */
  private thought: "before" | "open" | "closed";
  /** The final parse failed: the raw text is not the answer (it holds the format's markup). */
  private unreadable = false;

  constructor(
    detokenize: Detokenize,
    private readonly turn: ParserTurn,
    private readonly events: EventQueue<EngineEvent>,
  ) {
    this.detokenizer = new Detokenizer(detokenize);
    this.stops = new StopStrings([...turn.stopStrings, ...turn.formatStops]);
    this.diffs = new DiffEvents(turn.newCallId);
    this.thought = turn.thoughtTags?.open ? "open" : "before";
  }

  token(token: Token): GenerationOutcome | null {
    this.generated++;
    if (this.turn.hidden.has(token) || this.misplacedTag(token)) return null;
    const scan = this.stops.push(this.detokenizer.push(token));
    if (this.parse(scan.text, true)) return this.end({ type: "tool_calls" }, false);
    return scan.stop === null ? null : this.end(this.stopped(scan.stop), false);
  }

  end(reason: FinishReason, flush = true): GenerationOutcome {
    let finish = reason;
    if (flush) {
      const scan = this.stops.push(this.detokenizer.flush());
      if (scan.stop !== null) finish = this.stopped(scan.stop);
      this.parse(scan.text + (scan.stop === null ? this.stops.flush() : ""), false);
    } else {
      this.parse("", false);
    }
    if (!this.gave && !this.unreadable && this.parsedText !== "") this.events.push({ type: "text", text: this.parsedText });
    if (this.diffs.count > 0 && finish.type !== "length") finish = { type: "tool_calls" };
    return { finish, reasoningTokens: this.thoughtTokens ?? (this.thinking ? this.generated : 0) };
  }

  /** Whether a token is a thought tag where none belongs (one thought a turn: opened once, closed once, closed only where it was opened). */
  private misplacedTag(token: Token): boolean {
    const tags = this.turn.thoughtTags;
    if (tags === null) return false;
    if (token === tags.start) {
      if (this.thought !== "before") return true;
      this.thought = "open";
    } else if (tags.ends.has(token)) {
      if (this.thought !== "open") return true;
      this.thought = "closed";
    }
    return false;
  }

  /** Parses what was added; true where a tool call past the most allowed began (the turn ends there). */
  private parse(text: string, partial: boolean): boolean {
    if (text === "" && partial) return false;
    const { maxCalls } = this.turn;
    const all = this.read(text, partial);
    const diffs = maxCalls === null ? all : all.filter((diff) => diff.index < maxCalls);
    const events = this.diffs.push(diffs, !partial || diffs.length < all.length);
    this.parsedText += text;
    for (const event of events) {
      this.gave = true;
      if (event.type === "reasoning") this.thinking = true;
      else if (event.type === "reasoning_end") this.thoughtTokens = this.generated;
      this.events.push(event);
    }
    return diffs.length < all.length;
  }

  /**
   * The parser's diffs. Text it cannot read yet (a partial parse that fails) waits for more; a
   * final parse that fails, once the turn was cut inside a call past the most allowed, adds nothing.
   * Output that does not end in the format (a model that drifted out of it) is read as far as it
   * goes, as a partial message: llama-server answers a 500 there, and the client loses the turn.
   */
  private read(text: string, partial: boolean): MessageDiff[] {
    try {
      return this.turn.parser.update(text, partial);
    } catch {
      if (partial || this.diffs.count > 0) return [];
      this.unreadable = true;
      try {
        return this.turn.parser.update("", true);
      } catch {
        return [];
      }
    }
  }

  private stopped(matched: string): FinishReason {
    return this.turn.stopStrings.includes(matched) ? { type: "stop_sequence", sequence: matched } : { type: "end" };
  }
}
