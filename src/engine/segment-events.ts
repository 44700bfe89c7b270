// Turns LlamaChat's response chunks (main text and segments, as the model's chat wrapper splits
// them: Qwen's `<think>`, Harmony's analysis and commentary channels, …) into engine events.
import type { Token } from "node-llama-cpp";
import type { EngineEvent } from "./events.ts";

/** Tokens kept as context for the detokenizer, as engine/text-stream.ts keeps them. */
const CONTEXT_TOKENS = 8;

/** What this file reads of node-llama-cpp's `LlamaChatResponseChunk`. */
export interface ResponseChunk {
  type: "segment" | undefined;
  segmentType: "thought" | "comment" | undefined;
  text: string;
  tokens: Token[];
  segmentEndTime?: Date;
}

/**
 * - a thought segment's text is reasoning, and its end says so (`reasoning_end`; a thought cut
 *   short by the token budget has none);
 * - a comment segment (gpt-oss's commentary preamble, meant for the user) and the main text are answer;
 * - the whitespace between a thought and the answer is neither, so a tool call right after a
 *   thought carries no stray "\n\n";
 * - the format's own tokens (engine/format-tokens.ts) never reach the answer: a model cut off by a
 *   thought budget may write the closing marker again after node-llama-cpp closed the thought for
 *   it, one lost in a long prompt may write Harmony's `<|start|>` where no message may start.
 */
export class SegmentEvents {
  private thought = false;
  /** A thought ended and no answer text has come since. */
  private afterThought = false;
  /** Tokens generated when the thought ended, markers included. */
  private thoughtEndedAt: number | null = null;
  /** The last answer tokens, as context for detokenizing a chunk whose format tokens are left out. */
  private lastTokens: Token[] = [];

  constructor(
    /** The chat format's own tokens (`</think>`, `<|channel|>`, `<|start|>`, …). */
    private readonly markers: ReadonlySet<Token>,
    /** The model's detokenizer (`lastTokens`: the tokens before), for a chunk whose format tokens must be left out. */
    private readonly detokenize: (tokens: Token[], lastTokens: Token[]) => string,
    /** Tokens generated so far (LlamaChat reports a segment's text, not its markers). */
    private readonly generated: () => number,
  ) {}

  /** Of `total` generated tokens, those the thought took: up to its end, or all of them while it is still open. */
  thoughtTokens(total: number): number {
    return this.thoughtEndedAt ?? (this.thought ? total : 0);
  }

  onChunk(chunk: ResponseChunk): EngineEvent[] {
    const events: EngineEvent[] = [];
    if (chunk.type === "segment" && chunk.segmentType === "thought") {
      this.thought = true;
      if (chunk.text !== "") events.push({ type: "reasoning", text: chunk.text });
      if (chunk.segmentEndTime !== undefined) events.push(...this.endThought());
      return events;
    }
    events.push(...this.endThought());
    const tokens = chunk.tokens.filter((token) => !this.markers.has(token));
    let text = tokens.length < chunk.tokens.length ? this.detokenize(tokens, this.lastTokens) : chunk.text;
    this.lastTokens = [...this.lastTokens, ...tokens].slice(-CONTEXT_TOKENS);
    if (this.afterThought) {
      text = text.trimStart();
      if (text !== "") this.afterThought = false;
    }
    if (text !== "") events.push({ type: "text", text });
    return events;
  }

  private endThought(): EngineEvent[] {
    if (!this.thought) return [];
    this.thought = false;
    this.thoughtEndedAt = this.generated();
    this.afterThought = true;
    return [{ type: "reasoning_end" }];
  }
}
