import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { describeWeights, isRepacked, parseWeightBuffer } from "../../src/engine/weights.ts";

describe("weights", () => {
  test("reads llama.cpp's buffer lines and nothing else", () => {
    assert.deepEqual(parseWeightBuffer("load_tensors:          AMX model buffer size =   559.41 MiB\n"), { name: "AMX", mib: 559.41 });
    assert.deepEqual(parseWeightBuffer("load_tensors:   CPU_Mapped model buffer size =   486.73 MiB"), { name: "CPU_Mapped", mib: 486.73 });
    assert.equal(parseWeightBuffer("llama_kv_cache:        CPU KV buffer size =   192.00 MiB"), null);
    assert.equal(parseWeightBuffer("sched_reserve:        CPU compute buffer size =   300.25 MiB"), null);
  });

  test("repacked: AMX and llama.cpp's CPU_* layouts; not the mapped file, plain CPU memory or a GPU's", () => {
    const named = (name: string) => isRepacked({ name, mib: 1 });
    assert.deepEqual(["AMX", "CPU_REPACK", "CPU_KLEIDIAI"].map(named), [true, true, true]);
    assert.deepEqual(["CPU_Mapped", "CPU", "CUDA0", "Metal"].map(named), [false, false, false, false]);
  });

  test("the startup line names each buffer and marks the repacked ones", () => {
    assert.equal(
      describeWeights([{ name: "AMX", mib: 559.41 }, { name: "CPU_Mapped", mib: 486.73 }]),
      "weights: AMX 559 MiB (repacked for this CPU), CPU_Mapped 487 MiB",
    );
    assert.equal(describeWeights([]), "weights: buffers not reported by this engine");
  });
});
