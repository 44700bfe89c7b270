// The sampling fields chat completions and completions share: their schema and their engine terms.
import { z } from "zod";
import type { Sampling } from "../engine/types.ts";
import { sampling } from "../request/sampling.ts";
import { MAX_STOPS } from "../request/counts.ts";

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish();

export const samplingFields = {
  temperature: nullable(z.number().min(0).max(2)),
  top_p: nullable(z.number().min(0).max(1)),
  top_k: nullable(z.int().min(0)),
  min_p: nullable(z.number().min(0).max(1)),
  seed: nullable(z.int()),
  stop: nullable(z.union([z.string(), z.array(z.string()).max(MAX_STOPS)])),
  logit_bias: nullable(z.record(z.string().regex(/^\d+$/, "logit_bias keys are token ids"), z.number().min(-100).max(100))),
  presence_penalty: nullable(z.number().min(-2).max(2)),
  frequency_penalty: nullable(z.number().min(-2).max(2)),
  stream: nullable(z.boolean()),
  stream_options: nullable(z.looseObject({ include_usage: z.boolean().optional() })),
};

type SamplingBody = z.infer<z.ZodObject<typeof samplingFields>>;

export function toSampling(body: SamplingBody): Sampling {
  return sampling({
    temperature: body.temperature,
    topP: body.top_p,
    topK: body.top_k,
    minP: body.min_p,
    seed: body.seed,
    presencePenalty: body.presence_penalty,
    frequencyPenalty: body.frequency_penalty,
    logitBias: Object.entries(body.logit_bias ?? {}).map(([token, bias]) => ({ token: Number(token), bias })),
  });
}

/** `stop` as a list, empty strings left out. */
export function toStops(stop: SamplingBody["stop"]): string[] {
  return stop == null ? [] : (typeof stop === "string" ? [stop] : stop).filter((s) => s !== "");
}

/** Usage as a last chunk only counts for streams. */
export function includeUsage(body: SamplingBody): boolean {
  return body.stream === true && body.stream_options?.include_usage === true;
}
