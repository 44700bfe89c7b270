// OpenAI's sampling parameters as node-llama-cpp's generation options.
import type { LLamaChatGenerateResponseOptions } from "node-llama-cpp";
import type { Sampling } from "./types.ts";

type SamplingOptions = Pick<
  LLamaChatGenerateResponseOptions,
  "temperature" | "topP" | "topK" | "minP" | "seed" | "repeatPenalty"
>;

export function samplingOptions(sampling: Sampling): SamplingOptions {
  const penalize = sampling.presencePenalty !== null || sampling.frequencyPenalty !== null;
  return {
    temperature: sampling.temperature,
    topP: sampling.topP ?? undefined,
    topK: sampling.topK ?? undefined,
    minP: sampling.minP ?? undefined,
    seed: sampling.seed ?? undefined,
    // OpenAI's penalties only; llama.cpp's multiplicative repeat penalty stays off (1) as in llama-server.
    repeatPenalty: penalize
      ? {
          penalty: 1,
          presencePenalty: sampling.presencePenalty ?? 0,
          frequencyPenalty: sampling.frequencyPenalty ?? 0,
        }
      : false,
  };
}
