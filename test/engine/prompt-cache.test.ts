import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { MIN_CACHED_TOKENS, PromptCache, PromptCacheBudget } from "../../src/engine/prompt-cache.ts";

/** A sequence whose state file is its tokens, `bytesPerToken` a token. */
function fakeSequence(tokens: Token[], bytesPerToken = 1): LlamaContextSequence {
  const sequence = {
    contextTokens: tokens,
    async saveStateToFile(path: string) {
      writeFileSync(path, JSON.stringify(sequence.contextTokens));
      return { fileSize: sequence.contextTokens.length * bytesPerToken };
    },
    async loadStateFromFile(path: string) {
      const { readFileSync } = await import("node:fs");
      sequence.contextTokens = JSON.parse(readFileSync(path, "utf8"));
    },
  };
  return sequence as unknown as LlamaContextSequence;
}

const run = (start: number, length: number) => Array.from({ length }, (_, i) => start + i) as Token[];
const t = (...ids: number[]) => ids as Token[];
/** Sets what a stand-in sequence holds. */
const hold = (sequence: LlamaContextSequence, tokens: Token[]) => ((sequence as unknown as { contextTokens: Token[] }).contextTokens = tokens);

describe("prompts kept beyond the sequences", () => {
  const cacheIn = (bytes: number, persistent = false) => {
    const root = mkdtempSync(join(tmpdir(), "oserve-prompt-cache-"));
    const budget = new PromptCacheBudget(bytes);
    return { root, budget, cache: new PromptCache({ root, dir: join(root, "m"), budget, persistent }) };
  };

  test("a sequence's long prompt is kept before another overwrites it, and loaded back for its conversation", async () => {
    const { cache } = cacheIn(1e9);
    const main = run(0, 2000);
    const sequence = fakeSequence(main);
    const other = run(10_000, 2000);
    await cache.keepBeforeReuse(sequence, other);
    assert.equal(cache.summary().entries, 1);
    hold(sequence, other);
    assert.equal(await cache.restoreInto(sequence, [...main, ...t(1, 2, 3)]), true);
    assert.deepEqual(sequence.contextTokens, main);
    assert.deepEqual({ restores: cache.summary().restores, restoredTokens: cache.summary().restoredTokens }, { restores: 1, restoredTokens: 2000 });
  });

  test("nothing is kept that is short, or that the next prompt keeps anyway; nothing is loaded that gives less than the sequence has", async () => {
    const { cache } = cacheIn(1e9);
    await cache.keepBeforeReuse(fakeSequence(run(0, MIN_CACHED_TOKENS - 1)), run(5000, 600));
    const long = run(0, 2000);
    await cache.keepBeforeReuse(fakeSequence(long), [...long, ...t(7)]);
    assert.equal(cache.summary().entries, 0);
    await cache.save(fakeSequence(long));
    assert.equal(await cache.restoreInto(fakeSequence(run(0, 1900)), [...long, ...t(7)]), false, "100 tokens more is not worth a load");
  });

  test("a prompt that extends a kept one replaces it; the budget drops the least recently used, across models", async () => {
    const { root, budget, cache } = cacheIn(5000);
    const second = new PromptCache({ root, dir: join(root, "n"), budget, persistent: false });
    await cache.save(fakeSequence(run(0, 1000)));
    await cache.save(fakeSequence(run(0, 1500)));
    assert.equal(cache.summary().entries, 1, "the longer prompt replaced the one it extends");
    await second.save(fakeSequence(run(20_000, 2000)));
    await cache.save(fakeSequence(run(40_000, 2000)));
    // 1500 + 2000 + 2000 = 5500 > 5000: the oldest (1500 tokens) went.
    assert.equal(cache.summary().entries, 1);
    assert.equal(cache.summary().bytes + second.summary().bytes, 4000);
    cache.close();
    second.close();
    assert.deepEqual(readdirSync(root), [], "a process's own folders are removed");
  });

  test("a persistent folder keeps its prompts for the next cache over it", async () => {
    const { root, budget, cache } = cacheIn(1e9, true);
    await cache.save(fakeSequence(run(0, 1200)));
    cache.close();
    const again = new PromptCache({ root, dir: join(root, "m"), budget, persistent: true });
    assert.equal(again.summary().entries, 1);
    const sequence = fakeSequence(run(9000, 10));
    assert.equal(await again.restoreInto(sequence, [...run(0, 1200), ...t(5)]), true);
    assert.equal(sequence.contextTokens.length, 1200);
  });
});
