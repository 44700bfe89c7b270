// The request body of POST /v1/completions (OpenAI's legacy completions): raw prompts, no chat template.
import { z } from "zod";
import { invalidParam } from "../errors/api-error.ts";
import type { CompletionRequest } from "../engine/types.ts";
import { includeUsage, samplingFields, toSampling, toStops } from "./sampling-schema.ts";
import { validationError } from "../request/validation.ts";
import { checkCounts, LOGIT_BIAS, MAX_PROMPTS, PROMPTS, STOPS } from "../request/counts.ts";

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish();

const completionsRequestSchema = z.looseObject({
  model: z.string().optional(),
  prompt: z.union([z.string(), z.array(z.string()).min(1, "prompt must hold at least one string").max(MAX_PROMPTS)]),
  suffix: nullable(z.string()),
  max_tokens: nullable(z.int().min(1)),
  ...samplingFields,
  echo: nullable(z.boolean()),
  logprobs: nullable(z.int().min(0).max(5)),
  best_of: nullable(z.int().min(1)),
  n: nullable(z.int().min(1)),
  user: z.string().optional(),
});

export interface CompletionsRequest {
  /** One engine request per prompt: the choices of the answer, in order. */
  prompts: CompletionRequest[];
  stream: boolean;
  includeUsage: boolean;
}

export function parseCompletionsRequest(json: unknown): CompletionsRequest {
  checkCounts(json, { prompt: PROMPTS, logit_bias: LOGIT_BIAS, stop: STOPS });
  const parsed = completionsRequestSchema.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error);
  const body = parsed.data;
  if (body.echo === true) throw invalidParam("echo", "echo is not supported by this server: the answer holds the completion only.");
  if (body.logprobs != null && body.logprobs > 0) throw invalidParam("logprobs", "Log probabilities are not supported by this server.");
  if ((body.best_of ?? 1) > 1) throw invalidParam("best_of", "Only best_of=1 is supported: one completion per prompt.");
  if ((body.n ?? 1) > 1) throw invalidParam("n", "Only n=1 is supported: one completion per prompt (send several prompts for several choices).");
  const prompts = typeof body.prompt === "string" ? [body.prompt] : body.prompt;
  return {
    stream: body.stream === true,
    includeUsage: includeUsage(body),
    prompts: prompts.map((prompt) => ({
      prompt,
      suffix: body.suffix ?? null,
      maxTokens: body.max_tokens ?? null,
      stop: toStops(body.stop),
      sampling: toSampling(body),
    })),
  };
}
