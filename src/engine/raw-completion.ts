// A raw completion (/v1/completions): no chat template; the prompt's tokens as LlamaCompletion
// evaluates them, and its run on a sequence, with fill-in-the-middle where a suffix is given.
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import type { EngineEvent, GenerationOutcome } from "./events.ts";
import type { EventQueue } from "./event-queue.ts";
import type { NodeLlamaCppModule } from "./node-llama-cpp.ts";
import { generationOptions, type SamplingDefaults } from "./sampling.ts";
import { finishReason } from "./stop-metadata.ts";
import type { CompletionRequest } from "./types.ts";

/** A raw completion's text as tokens, tokenized once when it is prepared. */
export interface RawPrompt {
  prompt: Token[];
  /** With a suffix, the model fills in the middle. */
  suffix: Token[] | null;
}

/** What LlamaCompletion evaluates for a prompt (and suffix): to count it and to pick the sequence that holds most of it. */
export function completionTokens(model: LlamaModel, { prompt, suffix }: RawPrompt): Token[] {
  const bos = model.tokens.shouldPrependBosToken && model.tokens.bos != null ? [model.tokens.bos] : [];
  // concat, not spread: a prompt of a million tokens is copied at once, not iterated (70 ms on the event loop).
  if (suffix === null) return bos.concat(prompt);
  // Infill: prefix token, the prompt, suffix token, the suffix, middle token (about what node-llama-cpp sends).
  const { prefix, suffix: suffixToken, middle } = model.tokens.infill;
  return bos.concat([prefix!], prompt, [suffixToken!], suffix, [middle!]);
}

/** What a completion runs with: node-llama-cpp, the model, the server's sampling defaults. */
export interface CompletionRunner {
  lib: NodeLlamaCppModule;
  model: LlamaModel;
  samplingDefaults: SamplingDefaults;
}

/** A raw completion through LlamaCompletion on `sequence`, its text pushed to `events` as it comes. */
export async function runCompletion(
  { lib, model, samplingDefaults }: CompletionRunner,
  request: CompletionRequest,
  text: RawPrompt,
  maxTokens: number,
  sequence: LlamaContextSequence,
  events: EventQueue<EngineEvent>,
  stop: AbortSignal,
): Promise<GenerationOutcome> {
  const completion = new lib.LlamaCompletion({ contextSequence: sequence });
  const options = { ...generationOptions(request.sampling, () => lib.TokenBias.for(model), samplingDefaults, request.stop, stop), maxTokens, onTextChunk: (chunk: string) => events.push({ type: "text", text: chunk }) };
  try {
    const { metadata } =
      text.suffix === null
        ? await completion.generateCompletionWithMeta(text.prompt, options)
        : await completion.generateInfillCompletionWithMeta(text.prompt, text.suffix, options);
    return { finish: finishReason(metadata, 0, request.stop), reasoningTokens: 0 };
  } finally {
    completion.dispose();
  }
}
