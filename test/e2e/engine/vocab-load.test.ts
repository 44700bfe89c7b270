// patches/llama.cpp/1-vocab-load.patch: the engine build compiles the patched llama-vocab.cpp into its
// addon, whose copies of llama_vocab's functions take the place of libllama's (ELF symbol
// interposition, scripts/build-engine.ts), so a vocabulary's load finds its special tokens by lookup
// instead of comparing every token's text with some 40 others in each of three passes, and builds its
// merges and its token pieces with fewer copies and lookups. Each model's vocabulary is loaded in a
// fresh node on the engine build and on node-llama-cpp's prebuilt (its libllama unpatched, nothing
// interposed): the engine's load must be the patched one (it says so in llama.cpp's debug log), and
// both must find the same special tokens, the same end-of-generation tokens, the same attributes and
// text (piece) of every token, and tokenize a text alike (the merges).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, test } from "node:test";
import { RANDOM, TINY_CHAT, TINY_HARMONY, TINY_THINK } from "../../helpers/test-server.ts";

const ROOT = resolve(import.meta.dirname, "../../..");

interface Vocabulary {
  buildType: string;
  patched: boolean;
  tokens: number;
  eog: number[];
  tokenized: number[];
  /** A text of many end-of-generation tokens' texts among words, tokenized with special tokens read as such. */
  withSpecials: number[];
  /** Milliseconds to tokenize 12,000 special tokens' texts among words, and a text as long without them. */
  specialsMs: number;
  plainMs: number;
  special: Record<string, number | null>;
  digest: string;
}

/**
 * Loads `modelPath`'s vocabulary (vocabOnly) in a fresh node, on the engine build or on the prebuilt
 * (custom CMake options name a local build that does not exist, so node-llama-cpp takes its prebuilt).
 */
async function vocabulary(modelPath: string, build: "engine" | "prebuilt"): Promise<Vocabulary> {
  const probe = `
import { createHash } from "node:crypto";
const lib = await import(${JSON.stringify(pathToFileURL(resolve(ROOT, "node_modules/node-llama-cpp/dist/index.js")).href)});
const lines = [];
const llama = await lib.getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: lib.LlamaLogLevel.debug, logger: (_level, line) => lines.push(line)${build === "prebuilt" ? ', cmakeOptions: { OSERVE_TEST: "prebuilt" }' : ""} });
const model = await llama.loadModel({ modelPath: ${JSON.stringify(modelPath)}, vocabOnly: true });
const tokens = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
const hash = createHash("sha256");
const eog = [];
for (let token = 0; token < tokens; token++) {
  const isEog = model.isEogToken(token);
  if (isEog) eog.push(token);
  hash.update(token + ":" + model.getTokenAttributes(token)._attributes + ":" + isEog + ":" + JSON.stringify(model.detokenize([token], true)) + ";");
}
const text = "Hello! What's the weather in Paris, 2 + 2 = 4? Ünïcödé, 東京, emoji 🙂, code: const x = [1, 2];\\n\\tindented <|im_end|>";
const tokenized = [...model.tokenize(text, false)];
const pieces = eog.map((token) => model.detokenize([token], true));
const mixed = Array.from({ length: 400 }, (_, i) => pieces[i % pieces.length] + (i % 3 ? " word" + i + " " : "\\n")).join("");
const withSpecials = [...model.tokenize(mixed, true)];
const many = Array.from({ length: 12000 }, (_, i) => pieces[i % pieces.length] + " w" + (i % 10)).join("");
let began = performance.now();
model.tokenize(many, true);
const specialsMs = performance.now() - began;
const plain = "x".repeat(pieces[0].length).concat(" w0").repeat(12000);
began = performance.now();
model.tokenize(plain, true);
const plainMs = performance.now() - began;
const t = model.tokens;
console.log(JSON.stringify({
  buildType: llama.buildType,
  patched: lines.some((line) => line.includes("oserve: special tokens found by lookup")),
  tokens, eog, tokenized, withSpecials, specialsMs, plainMs,
  special: { bos: t.bos, eos: t.eos, eot: t.eot, sep: t.sep, nl: t.nl, prefix: t.infill.prefix, middle: t.infill.middle, suffix: t.infill.suffix },
  digest: hash.digest("hex"),
}));
await model.dispose();
await llama.dispose();`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", probe], { cwd: ROOT, maxBuffer: 16 * 2 ** 20 });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Vocabulary;
}

describe("llama.cpp patches 1 and 2: a vocabulary's faster load, special tokens split in linear time", { timeout: 120_000 }, () => {
  for (const model of [TINY_CHAT, TINY_THINK, TINY_HARMONY, RANDOM]) {
    test(`${model.split("/").at(-1)}: the engine build's patched load finds what the prebuilt's finds`, async (t) => {
      const engine = await vocabulary(model, "engine");
      if (engine.buildType !== "localBuild") {
        const why = `node-llama-cpp loaded its ${engine.buildType} binary, not oserve's engine build (npm run build:engine)`;
        if (process.env.CI === "true") assert.fail(`CI builds the engine, yet ${why}`);
        return t.skip(why);
      }
      const prebuilt = await vocabulary(model, "prebuilt");
      assert.equal(prebuilt.buildType, "prebuilt");
      assert.equal(engine.patched, true, "the engine build's vocabulary load is libllama's own: the patched one did not take its place");
      assert.equal(prebuilt.patched, false);
      assert.ok(engine.tokens > 1000 && engine.eog.length > 0, JSON.stringify(engine));
      const { buildType: _e, patched: _ep, specialsMs: _es, plainMs: _epl, ...found } = engine;
      const { buildType: _p, patched: _pp, specialsMs: _ps, plainMs: _ppl, ...expected } = prebuilt;
      assert.deepEqual(found, expected);
      // patches/llama.cpp/2-vocab-partition-linear.patch: special tokens split a text in time linear
      // in their number. The prebuilt (libllama's own partition, quadratic) shows the difference.
      const ratio = (v: Vocabulary) => v.specialsMs / Math.max(v.plainMs, 1);
      t.diagnostic(`12,000 special tokens over a text as long without: engine ${ratio(engine).toFixed(1)}x, prebuilt ${ratio(prebuilt).toFixed(1)}x`);
      assert.ok(ratio(engine) < 10, `the engine build took ${engine.specialsMs.toFixed(0)} ms for 12,000 special tokens, ${engine.plainMs.toFixed(0)} ms without`);
      assert.ok(engine.specialsMs < prebuilt.specialsMs, `engine ${engine.specialsMs.toFixed(0)} ms, prebuilt ${prebuilt.specialsMs.toFixed(0)} ms`);
    });
  }
});
