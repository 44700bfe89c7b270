import type { Sampling } from "../engine/types.ts";


/** The engine's sampling from whatever subset of parameters an API has; the rest keep the model's defaults. */
export function sampling(given: Partial<Record<Exclude<keyof Sampling, "logitBias">, number | null | undefined>> & { logitBias?: Sampling["logitBias"] }): Sampling {
  return {
    temperature: given.temperature ?? null,
    topP: given.topP ?? null,
    topK: given.topK ?? null,
    minP: given.minP ?? null,
    seed: given.seed ?? null,
    presencePenalty: given.presencePenalty ?? null,
    frequencyPenalty: given.frequencyPenalty ?? null,
    logitBias: given.logitBias ?? [],
  };
}
