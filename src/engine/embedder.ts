// Embeddings from the loaded model: node-llama-cpp's embedding context, made on first use and shared
// by requests in turn (it has one sequence), with a bounded queue.
import type { LlamaEmbeddingContext, LlamaModel, Token } from "node-llama-cpp";
import { promptTokens } from "./prompt-tokens.ts";
import { SlotPool } from "./slots.ts";

/** Input as text, or as token ids. */
export type EmbeddingInput = string | readonly number[];

export class Embedder {
  private context: Promise<LlamaEmbeddingContext> | null = null;
  /** The context's one sequence, held by one request at a time. */
  private readonly turn: SlotPool<"context">;

  constructor(
    private readonly model: LlamaModel,
    private readonly options: {
      contextSize: number;
      threads: number;
      maxQueue: number;
      /** Asked for the context's bytes before it is made (the memory budget's say); rejects where they cannot be had. */
      reserve?: (bytes: number) => Promise<void>;
    },
  ) {
    this.turn = new SlotPool(["context"], options.maxQueue);
  }

  async hold(signal: AbortSignal): Promise<(() => void) | null> {
    this.turn.checkCapacity();
    const held = await this.turn.acquire(signal);
    if (held === null) return null;
    let released = false;
    return () => {
      if (!released) this.turn.release(held);
      released = true;
    };
  }

  async tokenize(input: EmbeddingInput): Promise<readonly number[]> {
    // As node-llama-cpp's embedding context reads text: special tokens' text as text, no beginning token.
    return typeof input === "string" ? promptTokens(this.model, input, { addSpecial: false, parseSpecial: false }) : input;
  }

  /** Length of each vector. */
  get dimensions(): number {
    return this.model.embeddingVectorSize;
  }

  /** Tokens an input may hold (what node-llama-cpp's embedding context can evaluate in one go, less one). */
  get contextSize(): number {
    return this.options.contextSize;
  }

  /** The tokens an input takes as the embedding context evaluates it (beginning and end tokens included). */
  async measure(tokens: readonly number[]): Promise<number> {
    return (await this.open()).calculateInputLength(tokens as Token[]);
  }

  /** The input's embedding, scaled to unit length (as llama-server and OpenAI give them). */
  async embed(tokens: readonly number[]): Promise<number[]> {
    const { vector } = await (await this.open()).getEmbeddingFor(tokens as Token[]);
    const norm = Math.hypot(...vector);
    return norm === 0 ? [...vector] : vector.map((value) => value / norm);
  }

  /** What the embedding context should take in memory, from node-llama-cpp's estimate; 0 where it cannot tell. */
  private estimate(): number {
    try {
      return this.model.fileInsights.estimateContextResourceRequirements({ contextSize: this.options.contextSize, modelGpuLayers: 0, sequences: 1, isEmbeddingContext: true }).cpuRam;
    } catch {
      return 0;
    }
  }

  async close(): Promise<void> {
    const context = this.context;
    this.context = null;
    if (context) await (await context.catch(() => null))?.dispose();
  }

  private open(): Promise<LlamaEmbeddingContext> {
    if (!this.context) {
      this.context = (async () => {
        await this.options.reserve?.(this.estimate());
        return this.model.createEmbeddingContext({ contextSize: this.options.contextSize, threads: this.options.threads });
      })();
      // A failed creation is not kept: the next request tries again.
      this.context.catch(() => (this.context = null));
    }
    return this.context;
  }
}
