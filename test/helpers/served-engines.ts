// Engines loaded elsewhere (a test's, the benchmark's) as a pool the server serves, each under its
// model id, all loaded already: the pool's own load hands each its engine.
import type { Engine } from "../../src/engine/types.ts";
import { ModelPool } from "../../src/models/model-pool.ts";

export async function servedEngines(engines: readonly Engine[]): Promise<ModelPool<Engine>> {
  const byName = new Map(engines.map((engine) => [engine.modelId, engine]));
  const names = [...byName.keys()];
  const pool = new ModelPool<Engine>(
    names,
    { load: async (name) => byName.get(name)!, estimate: async () => 0, unload: async () => {} },
    { maxModels: names.length, memoryLimit: null, availableMemory: () => Infinity, idleUnloadMs: null },
  );
  await pool.preload(names);
  return pool;
}
