// src/engine/prompt-tokens.ts: a raw prompt tokenized off the event loop (the engine build's
// tokenizer on libuv's thread pool) gives the tokens node-llama-cpp's own `tokenize(text, true,
// "trimLeadingSpace")` gives (what LlamaCompletion used to be handed), on every test model and on
// llama.cpp's own vocabulary-only models of SentencePiece families (whose tokenizers add a space
// before a text): texts with leading spaces and newlines, special tokens' text, words a
// detokenizer cleans up.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Llama, LlamaModel } from "node-llama-cpp";
import { engineBuild } from "../../../src/engine/engine-build.ts";
import { importNodeLlamaCpp } from "../../../src/engine/node-llama-cpp.ts";
import { rawPromptTokens } from "../../../src/engine/prompt-tokens.ts";
import { RANDOM, TINY_CHAT, TINY_CODER, TINY_HARMONY, TINY_THINK } from "../../helpers/test-server.ts";
import { releaseVocabularies } from "../../fixtures/templates/release-templates.ts";
import { needsEngineBuild } from "../../helpers/needs-engine-build.ts";

const TEXTS = [
  "a",
  "Once upon a time",
  " Once upon a time",
  "   three spaces",
  " ",
  "    ",
  "\nafter a newline",
  "\n\n  two newlines, two spaces",
  "\t a tab",
  " 's cleaned up, isn't it",
  "  . , ! ?",
  "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
  " <|im_end|> a special token after a space",
  "<|endoftext|>",
  "Ünïcödé 東京 🙂",
  `${" ".repeat(40)}forty spaces`,
  "word ".repeat(2000),
];

describe("raw prompt tokens off the event loop", { timeout: 120_000 }, () => {
  let llama: Llama;
  const models: LlamaModel[] = [];
  const folder = mkdtempSync(join(tmpdir(), "oserve-vocab-"));
  before(async () => {
    const lib = await importNodeLlamaCpp();
    llama = await lib.getLlama({ gpu: false, build: "never", logLevel: lib.LlamaLogLevel.error });
    const sentencePiece = releaseVocabularies(folder, ["llama-spm", "gemma-4"]);
    for (const modelPath of [TINY_CHAT, TINY_THINK, TINY_CODER, TINY_HARMONY, RANDOM, ...sentencePiece]) models.push(await llama.loadModel({ modelPath, vocabOnly: true }));
  });
  after(async () => {
    for (const model of models) await model.dispose();
    rmSync(folder, { recursive: true, force: true });
  });

  test("the same tokens as node-llama-cpp's trimLeadingSpace tokenization, on every test model", async (t) => {
    if (!needsEngineBuild(t, engineBuild(llama))) return;
    for (const model of models) {
      for (const text of TEXTS) {
        assert.deepEqual(await rawPromptTokens(model, text), model.tokenize(text, true, "trimLeadingSpace"), `${model.filename}: ${JSON.stringify(text.slice(0, 60))}`);
      }
    }
  });
});
