import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { describeEngine, ENGINE_MARKER, engineBuild } from "../../src/engine/engine-build.ts";
import { patchNodeLlamaCpp } from "../../scripts/patch-node-llama-cpp.ts";

describe("engineBuild", () => {
  test("tells oserve's build from the prebuilt and from someone else's local build", () => {
    assert.equal(engineBuild({ buildType: "localBuild", cmakeOptions: { ...ENGINE_MARKER }, gpu: false }), "persistent-threads");
    assert.equal(engineBuild({ buildType: "prebuilt", cmakeOptions: {}, gpu: false }), "prebuilt");
    assert.equal(engineBuild({ buildType: "localBuild", cmakeOptions: { GGML_CUDA: "1" }, gpu: "cuda" }), "local-build");
  });

  test("a GPU prebuilt (loaded before oserve's CPU build where its GPU works) is named as such, not as the slow CPU one", () => {
    assert.equal(engineBuild({ buildType: "prebuilt", cmakeOptions: {}, gpu: "cuda" }), "gpu-prebuilt");
    assert.match(describeEngine("gpu-prebuilt", "cuda"), /prebuilt for CUDA .*--gpu-layers 0/);
    assert.doesNotMatch(describeEngine("gpu-prebuilt", "vulkan"), /restart every token/);
  });

  test("the startup line names the engine, and for the prebuilt how to get the faster one", () => {
    assert.match(describeEngine("prebuilt"), /restart every token.*npm run build:engine/);
    assert.match(describeEngine("persistent-threads"), /persistent decode threads/);
  });
});

describe("patches/node-llama-cpp", () => {
  const installed = resolve(import.meta.dirname, "../../node_modules/node-llama-cpp");

  test("npm's postinstall applied every patch to the installed node-llama-cpp (a second run changes nothing)", () => {
    const lines = patchNodeLlamaCpp(installed);
    assert.ok(lines.length >= 3, lines.join("\n"));
    for (const line of lines) assert.match(line, /already patched$/);
  });

  test("a node-llama-cpp of another version is refused, not patched blindly", () => {
    const dir = mkdtempSync(join(tmpdir(), "oserve-nlc-"));
    try {
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "node-llama-cpp", version: "9.9.9" }));
      assert.throws(() => patchNodeLlamaCpp(dir), /patches are for node-llama-cpp 3\.22\.1, but .* is 9\.9\.9/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
