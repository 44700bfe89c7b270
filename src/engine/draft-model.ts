// A draft model (--model-draft, llama-server's): a smaller model of the same family that writes the
// next few tokens ahead, which the served model verifies in one decode (node-llama-cpp's
// DraftSequenceTokenPredictor). It gets a context of its own, as long as the served model's, with
// one sequence for each of its sequences: each drafter follows its sequence's tokens from turn to turn.
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, TokenPredictor } from "node-llama-cpp";
import type { NodeLlamaCppModule } from "./node-llama-cpp.ts";

export class DraftModel {
  private readonly drafters = new Map<LlamaContextSequence, TokenPredictor>();

  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
  ) {}

  /** Loads the draft model on `llama` with a context like the served model's; nothing is left loaded where it fails. */
  static async load(llama: Llama, options: { modelPath: string; gpuLayers: number | "auto"; repack: boolean; contextSize: number; sequences: number; threads: number; signal?: AbortSignal }): Promise<DraftModel> {
    const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: options.gpuLayers, repack: options.repack, ...(options.signal ? { loadSignal: options.signal } : {}) });
    try {
      options.signal?.throwIfAborted();
      const context = await model.createContext({ contextSize: options.contextSize, sequences: options.sequences, threads: { ideal: options.threads, min: 1 } });
      return new DraftModel(model, context);
    } catch (error) {
      await model.dispose();
      throw error;
    }
  }

  /** What drafts for `sequence` (the served model's), made on first use, one sequence of the draft context each. */
  drafterFor(lib: NodeLlamaCppModule, sequence: LlamaContextSequence, maxTokens: number): TokenPredictor {
    let drafter = this.drafters.get(sequence);
    if (!drafter) {
      // Each decode waits for a whole draft (as llama-server drafts before it verifies); one the draft
      // model is unsure of ends early (node-llama-cpp's confidence floor, 0.6).
      drafter = new lib.DraftSequenceTokenPredictor(this.context.getSequence(), { minTokens: maxTokens, maxTokens });
      this.drafters.set(sequence, drafter);
    }
    return drafter;
  }

  async dispose(): Promise<void> {
    for (const drafter of this.drafters.values()) await drafter.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }
}
