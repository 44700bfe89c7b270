// patches/node-llama-cpp/8-greedy-argmax.patch: with the engine build, greedy sampling (temperature 0,
// nothing else in the chain) reads the highest logit straight from the logits. Asking for the token's
// confidence takes the sampler chain's path over every candidate; both must pick the same tokens.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaModel, type Token } from "node-llama-cpp";
import { engineBuild, type EngineBuild } from "../../../src/engine/engine-build.ts";
import { RANDOM, TINY_CHAT } from "../../helpers/test-server.ts";
import { needsEngineBuild } from "../../helpers/needs-engine-build.ts";

/** Up to `limit` tokens at temperature 0 after `prompt`, through the fast path or (with confidence) the chain. */
async function greedyTokens(model: LlamaModel, context: LlamaContext, prompt: Token[], limit: number, confidence: boolean): Promise<Token[]> {
  const sequence = context.getSequence();
  try {
    const tokens: Token[] = [];
    for await (const { token } of sequence.evaluateWithMetadata(prompt, { confidence }, { temperature: 0, yieldEogToken: true })) {
      tokens.push(token);
      if (model.isEogToken(token) || tokens.length === limit) break;
    }
    return tokens;
  } finally {
    sequence.dispose();
  }
}

describe("greedy sampling on the logits", () => {
  let llama: Llama | undefined;
  let model: LlamaModel | undefined;
  let context: LlamaContext | undefined;
  let build: EngineBuild;

  before(async () => {
    // The prebuilt samples both ways through the chain (the test could not fail there): the engine build is the one tested.
    llama = await getLlama({ build: "never", gpu: false, maxThreads: 1, logLevel: LlamaLogLevel.error });
    build = engineBuild(llama);
    model = await llama.loadModel({ modelPath: TINY_CHAT });
    context = await model.createContext({ contextSize: 512, sequences: 2, threads: 1 });
  });

  after(async () => {
    await context?.dispose();
    await model?.dispose();
  });

  for (const prompt of [
    "<|im_start|>user\nWhat is the weather in Oslo?<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>user\nHello! Tell me about yourself.<|im_end|>\n<|im_start|>assistant\n",
  ]) {
    test(`the same tokens as the sampler chain: ${JSON.stringify(prompt.slice(22, 50))}`, async (t) => {
      if (!needsEngineBuild(t, build)) return;
      const tokens = model!.tokenize(prompt, true);
      const fast = await greedyTokens(model!, context!, tokens, 48, false);
      const chain = await greedyTokens(model!, context!, tokens, 48, true);
      assert.ok(fast.length > 3, `only ${fast.length} tokens`);
      assert.deepEqual(fast, chain, `${model!.detokenize(fast)}\n---\n${model!.detokenize(chain)}`);
    });
  }

  test("a random model's long generation too", async (t) => {
    if (!needsEngineBuild(t, build)) return;
    const random = await llama!.loadModel({ modelPath: RANDOM });
    const randomContext = await random.createContext({ contextSize: 512, sequences: 1, threads: 1 });
    try {
      const tokens = random.tokenize("Once upon a time");
      assert.deepEqual(await greedyTokens(random, randomContext, tokens, 64, false), await greedyTokens(random, randomContext, tokens, 64, true));
    } finally {
      await randomContext.dispose();
      await random.dispose();
    }
  });
});
