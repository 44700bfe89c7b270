// A second engine in one process (npm run bench --thread-sweep, a test file that loads twice) with
// other threads shares the first's node-llama-cpp Llama (no thread cap of its own); a second Llama
// (another kind of binary, a test's own) has a logger that replaces the first's in the addon, and
// without patches/node-llama-cpp/9-logger-callback-replaced.patch the old logger's finalizer then
// switched llama.cpp's logs away from JS for good: printed raw on the console, and no weights line.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadLlamaEngine } from "../../../src/engine/llama-load.ts";
import { RANDOM } from "../../helpers/test-server.ts";
import { needsEngineBuild } from "../../helpers/needs-engine-build.ts";

const options = { modelPath: RANDOM, modelId: "random", contextSize: 256, gpuLayers: 0, parallel: 1, maxQueue: 1, repack: true } as const;

test("a second engine loaded in the same process still reads where llama.cpp put its weights", async (t) => {
  const first = await loadLlamaEngine({ ...options, threads: 2 });
  const build = first.build;
  assert.ok(first.weights.length > 0, "the first load found no weight buffers");
  await first.close();
  // The old logger is finalized on a later turn of the event loop; give it that turn.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const second = await loadLlamaEngine({ ...options, threads: 1 });
  try {
    assert.equal(second.threads, 1, "its own thread count on the shared Llama");
    // The prebuilt addon has node-llama-cpp's logger bug (patch 9 fixes it in the engine build).
    if (!needsEngineBuild(t, build)) return;
    assert.deepEqual(
      second.weights.map((buffer) => buffer.name),
      first.weights.map((buffer) => buffer.name),
    );
  } finally {
    await second.close();
  }
});
