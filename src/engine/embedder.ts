// Embeddings from the loaded model: node-llama-cpp's embedding context, made on first use and shared.
import type { LlamaEmbeddingContext, LlamaModel, Token } from "node-llama-cpp";

/** Input as text, or as token ids. */
export type EmbeddingInput = string | readonly number[];

export class Embedder {
  private context: Promise<LlamaEmbeddingContext> | null = null;

  constructor(
    private readonly model: LlamaModel,
    private readonly options: { contextSize: number; threads: number },
  ) {}

  /** Length of each vector. */
  get dimensions(): number {
    return this.model.embeddingVectorSize;
  }

  /** Tokens an input may hold (what node-llama-cpp's embedding context can evaluate in one go, less one). */
  get contextSize(): number {
    return this.options.contextSize;
  }

  /** The tokens an input takes as the embedding context evaluates it (beginning and end tokens included). */
  async measure(input: EmbeddingInput): Promise<number> {
    return (await this.open()).calculateInputLength(toInput(input));
  }

  /** The input's embedding, scaled to unit length (as llama-server and OpenAI give them). */
  async embed(input: EmbeddingInput): Promise<number[]> {
    const { vector } = await (await this.open()).getEmbeddingFor(toInput(input));
    const norm = Math.hypot(...vector);
    return norm === 0 ? [...vector] : vector.map((value) => value / norm);
  }

  async close(): Promise<void> {
    const context = this.context;
    this.context = null;
    if (context) await (await context.catch(() => null))?.dispose();
  }

  private open(): Promise<LlamaEmbeddingContext> {
    if (!this.context) {
      this.context = this.model.createEmbeddingContext({ contextSize: this.options.contextSize, threads: this.options.threads });
      // A failed creation is not kept: the next request tries again.
      this.context.catch(() => (this.context = null));
    }
    return this.context;
  }
}

function toInput(input: EmbeddingInput): string | Token[] {
  return typeof input === "string" ? input : ([...input] as Token[]);
}
