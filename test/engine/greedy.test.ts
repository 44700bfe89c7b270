// patches/node-llama-cpp/8-greedy-argmax.patch: with the engine build, greedy sampling (temperature 0,
// nothing else in the chain) reads the highest logit straight from the logits. Asking for the token's
// confidence takes the sampler chain's path over every candidate; both must pick the same tokens.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { getLlama, LlamaLogLevel, type LlamaContext, type LlamaModel, type Token } from "node-llama-cpp";
import { RANDOM, TINY_CHAT } from "../e2e/server.ts";

describe("greedy sampling on the logits", () => {
  let model: LlamaModel | undefined;
  let context: LlamaContext | undefined;

  before(async () => {
    const llama = await getLlama({ build: "never", gpu: false, maxThreads: 1, logLevel: LlamaLogLevel.error });
    // The prebuilt samples both ways through the chain; the engine build (npm run build:engine) is the one tested.
    model = await llama.loadModel({ modelPath: TINY_CHAT });
    context = await model.createContext({ contextSize: 512, sequences: 2, threads: 1 });
  });

  after(async () => {
    await context?.dispose();
    await model?.dispose();
  });

  async function generate(prompt: string, withConfidence: boolean): Promise<Token[]> {
    const sequence = context!.getSequence();
    try {
      const tokens: Token[] = [];
      const options = { temperature: 0, yieldEogToken: true };
      for await (const { token } of sequence.evaluateWithMetadata(model!.tokenize(prompt, true), { confidence: withConfidence }, options)) {
        tokens.push(token);
        if (model!.isEogToken(token) || tokens.length === 48) break;
      }
      return tokens;
    } finally {
      sequence.dispose();
    }
  }

  for (const prompt of [
    "<|im_start|>user\nWhat is the weather in Oslo?<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>user\nHello! Tell me about yourself.<|im_end|>\n<|im_start|>assistant\n",
  ]) {
    test(`the same tokens as the sampler chain: ${JSON.stringify(prompt.slice(22, 50))}`, async () => {
      const fast = await generate(prompt, false);
      const chain = await generate(prompt, true);
      assert.ok(fast.length > 3, `only ${fast.length} tokens`);
      assert.deepEqual(fast, chain, `${model!.detokenize(fast)}\n---\n${model!.detokenize(chain)}`);
    });
  }

  test("a random model's long generation too (no early end of text)", async () => {
    const random = await (await getLlama({ build: "never", gpu: false, maxThreads: 1, logLevel: LlamaLogLevel.error })).loadModel({ modelPath: RANDOM });
    const randomContext = await random.createContext({ contextSize: 512, sequences: 1, threads: 1 });
    try {
      const run = async (confidence: boolean) => {
        const sequence = randomContext.getSequence();
        try {
          const tokens: Token[] = [];
          for await (const { token } of sequence.evaluateWithMetadata(random.tokenize("Once upon a time"), { confidence }, { temperature: 0 })) {
            tokens.push(token);
            if (tokens.length === 64) break;
          }
          return tokens;
        } finally {
          sequence.dispose();
        }
      };
      assert.deepEqual(await run(false), await run(true));
    } finally {
      await randomContext.dispose();
      await random.dispose();
    }
  });
});
