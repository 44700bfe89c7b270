import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { patchNames, PATCHES } from "../../scripts/patch-node-llama-cpp.ts";
import { describeMissingPatches, EXPECTED_PATCHES, LLAMA_CPP_PATCHES_OPTION, missingPatches } from "../../src/engine/patches.ts";

describe("which of oserve's patches the loaded engine carries", () => {
  test("the names oserve expects are the patches folders' files", () => {
    assert.deepEqual([...EXPECTED_PATCHES.nodeLlamaCpp], patchNames(PATCHES));
    assert.deepEqual([...EXPECTED_PATCHES.llamaCpp], patchNames(PATCHES.replace(/node-llama-cpp$/, "llama.cpp")));
  });

  test("a bundle that lacks some is named; an unbundled node-llama-cpp cannot be told; the prebuilt is not asked for llama.cpp's", () => {
    const all = [...EXPECTED_PATCHES.nodeLlamaCpp];
    const options = { [LLAMA_CPP_PATCHES_OPTION]: EXPECTED_PATCHES.llamaCpp.join(",") };
    assert.deepEqual(missingPatches(all, options, true), { nodeLlamaCpp: [], llamaCpp: [] });
    assert.equal(describeMissingPatches(missingPatches(all, options, true)), null);
    assert.deepEqual(missingPatches(undefined, {}, false), { nodeLlamaCpp: [], llamaCpp: [] });
    assert.match(describeMissingPatches(missingPatches([], {}, false))!, /^warning: node-llama-cpp lacks all of oserve's patches/);
    const partial = missingPatches(all.filter((name) => name !== "8-greedy-argmax"), { [LLAMA_CPP_PATCHES_OPTION]: "1-vocab-load" }, true);
    assert.equal(describeMissingPatches(partial), "warning: node-llama-cpp lacks oserve's patches 8-greedy-argmax; the engine build lacks llama.cpp patches 2-vocab-partition-linear (npm ci, or npx tsx scripts/patch-node-llama-cpp.ts and npm run build:engine, applies them)");
  });
});
