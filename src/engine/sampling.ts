// OpenAI's sampling parameters as node-llama-cpp's generation options.
import type { LLamaChatGenerateResponseOptions, Token, TokenBias } from "node-llama-cpp";
import type { Sampling } from "./types.ts";

type SamplingOptions = Pick<
  LLamaChatGenerateResponseOptions,
  "temperature" | "topP" | "topK" | "minP" | "seed" | "repeatPenalty" | "tokenBias"
>;

/** The server's default temperature unless --temp sets another: llama-server's and Ollama's; OpenAI's is 1. */
export const DEFAULT_TEMPERATURE = 0.8;

/** The engine's sampling defaults: the temperature of requests that send none (--temp). */
export interface SamplingDefaults {
  temperature: number;
}

/** `newTokenBias` makes an empty TokenBias for the model (node-llama-cpp's class, loaded at run time). */
export function samplingOptions(sampling: Sampling, newTokenBias: () => TokenBias, defaults: SamplingDefaults): SamplingOptions {
  const penalize = sampling.presencePenalty !== null || sampling.frequencyPenalty !== null;
  return {
    temperature: sampling.temperature ?? defaults.temperature,
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
    tokenBias: sampling.logitBias.length > 0 ? logitBias(sampling.logitBias, newTokenBias()) : undefined,
  };
}

/** OpenAI's logit_bias: added to the logits; -100 bans the token outright. */
function logitBias(entries: Sampling["logitBias"], bias: TokenBias): TokenBias {
  for (const { token, bias: value } of entries) bias.set(token as Token, value <= -100 ? "never" : { logit: value });
  return bias;
}

/** Sampling with the client's stop strings and the abort signal, as LlamaChat and LlamaCompletion take them. */
export function generationOptions(sampling: Sampling, newTokenBias: () => TokenBias, defaults: SamplingDefaults, stops: string[], stop: AbortSignal) {
  return {
    ...samplingOptions(sampling, newTokenBias, defaults),
    customStopTriggers: stops.length > 0 ? stops : undefined,
    signal: stop,
    stopOnAbortSignal: true,
  };
}
