// The model pool with a scripted loader: shared loads, failures, eviction by count and memory, leases
// that keep a model in place, idle unloading, shutdown. Loads finish when the test says so.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LoadFailedError, NoRoomError, PoolClosedError } from "../../src/models/errors.ts";
import { ModelPool } from "../../src/models/model-pool.ts";
import type { PoolEvent, PoolOptions } from "../../src/models/pool-types.ts";

interface Fake {
  name: string;
}

/** A loader whose loads wait for `finish(name)` (or fail with `fail(name)`), and which records what it did. */
function scripted(sizes: Record<string, number> = {}) {
  const pending = new Map<string, { resolve: (engine: Fake) => void; reject: (error: Error) => void }>();
  const log: string[] = [];
  const loader = {
    estimate: async (name: string) => sizes[name] ?? 1,
    load: (name: string) =>
      new Promise<Fake>((resolve, reject) => {
        log.push(`load ${name}`);
        pending.set(name, { resolve, reject });
      }),
    unload: async (engine: Fake) => {
      log.push(`unload ${engine.name}`);
      await unloadGate;
    },
  };
  /** Unloads wait for `openUnloads()` once `holdUnloads()` was called. */
  let unloadGate: Promise<void> = Promise.resolve();
  let openGate = () => {};
  const holdUnloads = () => (unloadGate = new Promise<void>((resolve) => (openGate = resolve)));
  const openUnloads = () => openGate();
  /** Resolves once a load of `name` has begun. */
  const begun = async (name: string) => {
    for (let i = 0; i < 1000 && !pending.has(name); i++) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(pending.has(name), `a load of ${name} began`);
  };
  const finish = async (name: string) => {
    await begun(name);
    pending.get(name)!.resolve({ name });
    pending.delete(name);
  };
  const fail = async (name: string, message: string) => {
    await begun(name);
    pending.get(name)!.reject(new Error(message));
    pending.delete(name);
  };
  return { loader, log, finish, fail, begun, holdUnloads, openUnloads, loading: () => [...pending.keys()] };
}

function pool(names: string[], loader: ReturnType<typeof scripted>["loader"], options: Partial<PoolOptions> = {}) {
  const events: PoolEvent[] = [];
  const made = new ModelPool<Fake>(names, loader, {
    maxModels: names.length,
    memoryLimit: null,
    availableMemory: () => Infinity,
    idleUnloadMs: null,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { pool: made, events };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("model pool", () => {
  test("requests for a model that is not loaded share one load; a loaded one is leased at once", async () => {
    const fake = scripted();
    const { pool: models, events } = pool(["a", "b"], fake.loader);
    assert.equal(models.tryAcquire("a"), null);
    const first = models.acquire("a");
    const second = models.acquire("a");
    assert.equal(models.state("a"), "loading");
    await fake.finish("a");
    const [one, two] = await Promise.all([first, second]);
    assert.deepEqual([one.engine, two.engine], [{ name: "a" }, { name: "a" }]);
    assert.deepEqual(fake.log, ["load a"], "one load for both");
    assert.ok(models.tryAcquire("a"), "loaded: at once");
    assert.deepEqual(events.map((e) => e.type), ["loaded"]);
  });

  test("a failed load answers every waiter with the model named and why; the next request after the backoff tries again", async () => {
    const fake = scripted();
    const { pool: models } = pool(["a"], fake.loader, { loadRetryMs: 0 });
    const waiters = [models.acquire("a"), models.acquire("a")];
    await fake.fail("a", "failed to read key-value pairs");
    for (const waiter of waiters) {
      await assert.rejects(waiter, (error: unknown) => error instanceof LoadFailedError && /The model 'a' could not be loaded: failed to read key-value pairs/.test(error.message));
    }
    assert.equal(models.state("a"), "unloaded");
    assert.match(models.lastError("a")!.message, /key-value/);
    const again = models.acquire("a");
    await fake.finish("a");
    assert.deepEqual((await again).engine, { name: "a" });
    assert.equal(models.lastError("a"), null, "a load that works clears the failure");
  });

  test("within the backoff after a failed load, a request gets its error at once: the file is not read again by every request", async () => {
    const fake = scripted();
    const { pool: models } = pool(["a"], fake.loader);
    const first = models.acquire("a");
    await fake.fail("a", "no such file");
    await assert.rejects(first, LoadFailedError);
    await assert.rejects(models.acquire("a"), (error: unknown) => error instanceof LoadFailedError && /no such file/.test(error.message));
    await settle();
    assert.deepEqual(fake.log, ["load a"], "one load, not one a request");
  });

  test("a model whose file cannot be found unloads nothing to make way for it (--max-models 1)", async () => {
    const fake = scripted();
    const estimate = fake.loader.estimate;
    const { pool: models } = pool(["a", "b"], { ...fake.loader, estimate: async (name: string) => (name === "b" ? Promise.reject(new Error("ENOENT: b.gguf")) : estimate(name)) }, { maxModels: 1 });
    const a = models.acquire("a");
    await fake.finish("a");
    (await a).release();
    await assert.rejects(models.acquire("b"), (error: unknown) => error instanceof LoadFailedError && /ENOENT/.test(error.message));
    assert.equal(models.state("a"), "loaded", "a stayed");
    assert.deepEqual(fake.log, ["load a"]);
  });

  test("--max-models 1: the idle model is unloaded for the next; one in use is not, and the next waits for it", async () => {
    const fake = scripted();
    const { pool: models, events } = pool(["a", "b"], fake.loader, { maxModels: 1 });
    const a = models.acquire("a");
    await fake.finish("a");
    const leaseA = await a;
    const b = models.acquire("b");
    await settle();
    assert.deepEqual(fake.log, ["load a"], "a is in use: b waits");
    assert.equal(models.state("a"), "loaded");
    leaseA.release();
    await fake.finish("b");
    const leaseB = await b;
    assert.deepEqual(fake.log, ["load a", "unload a", "load b"]);
    assert.deepEqual(events.filter((e) => e.type === "unloaded"), [{ type: "unloaded", name: "a", reason: "max_models" }]);
    leaseB.release();
    leaseB.release(); // twice is once
    const again = models.acquire("a");
    await fake.finish("a");
    (await again).release();
    assert.deepEqual(fake.log, ["load a", "unload a", "load b", "unload b", "load a"]);
  });

  test("the least recently used idle model goes first", async () => {
    const fake = scripted();
    const { pool: models } = pool(["a", "b", "c"], fake.loader, { maxModels: 2 });
    for (const name of ["a", "b"]) {
      const lease = models.acquire(name);
      await fake.finish(name);
      (await lease).release();
    }
    (await models.acquire("a")).release(); // a is now the more recent
    const c = models.acquire("c");
    await fake.finish("c");
    await c;
    assert.deepEqual(fake.log, ["load a", "load b", "unload b", "load c"]);
  });

  test("memory: idle models are unloaded until the next fits; one that could never fit is refused at once, naming both sizes", async () => {
    const fake = scripted({ a: 600, b: 600, huge: 5000 });
    const { pool: models, events } = pool(["a", "b", "huge"], fake.loader, { memoryLimit: 1000 });
    const a = models.acquire("a");
    await fake.finish("a");
    (await a).release();
    const b = models.acquire("b");
    await fake.finish("b");
    (await b).release();
    assert.deepEqual(fake.log, ["load a", "unload a", "load b"]);
    assert.equal(events.find((e) => e.type === "unloaded")?.type === "unloaded" && (events.find((e) => e.type === "unloaded") as { reason: string }).reason, "memory");
    await assert.rejects(models.acquire("huge"), (error: unknown) => error instanceof NoRoomError && /needs about 0 MiB/.test(error.message) && /--memory-limit allows/.test(error.message));
    assert.equal(models.state("b"), "loaded", "nothing was unloaded for it");
    assert.equal(models.state("huge"), "unloaded");
  });

  test("a loaded model that grows (an embedding context) unloads idle others to fit, counts the bytes from then on, and is refused where it never could fit", async () => {
    const fake = scripted({ a: 400, b: 400 });
    const { pool: models } = pool(["a", "b"], fake.loader, { memoryLimit: 1000 });
    for (const name of ["a", "b"]) {
      const lease = models.acquire(name);
      await fake.finish(name);
      (await lease).release();
    }
    assert.deepEqual([models.state("a"), models.state("b")], ["loaded", "loaded"]);
    await models.grow("b", 300);
    assert.equal(models.state("a"), "unloaded", "the idle one made way");
    assert.deepEqual(fake.log, ["load a", "load b", "unload a"]);
    // a (400) no longer fits beside b's 700: b, idle, goes for it.
    const again = models.acquire("a");
    await fake.finish("a");
    (await again).release();
    assert.equal(models.state("b"), "unloaded");
    await assert.rejects(models.grow("a", 700), (error: unknown) => error instanceof NoRoomError && /'a' needs about 0 MiB/.test(error.message));
    assert.equal(models.state("a"), "loaded", "a refusal unloads nothing");
  });

  test("without --memory-limit, what the machine has available decides; the first model is node-llama-cpp's to judge", async () => {
    const fake = scripted({ a: 600, b: 600 });
    let available = 100;
    const { pool: models } = pool(["a", "b"], fake.loader, { availableMemory: () => available });
    const a = models.acquire("a");
    await fake.finish("a");
    (await a).release();
    available = 500;
    const b = models.acquire("b");
    await fake.finish("b");
    await b;
    assert.deepEqual(fake.log, ["load a", "unload a", "load b"], "a was unloaded to make room");
  });

  test("a waiter that leaves stops waiting; a load nobody waits for any more is not started", async () => {
    const fake = scripted();
    const { pool: models } = pool(["a", "b"], fake.loader, { maxModels: 1 });
    const a = models.acquire("a");
    await fake.finish("a");
    const leaseA = await a;
    const client = new AbortController();
    const b = models.acquire("b", client.signal);
    client.abort(new Error("the client disconnected"));
    await assert.rejects(b, /the client disconnected/);
    leaseA.release();
    await settle();
    await settle();
    assert.deepEqual(fake.log, ["load a"], "b never loaded, a never unloaded");
    assert.equal(models.state("b"), "unloaded");
  });

  test("--idle-unload: a model nobody used for that long is unloaded; a lease keeps it", async () => {
    const fake = scripted();
    const { pool: models, events } = pool(["a"], fake.loader, { idleUnloadMs: 20 });
    const a = models.acquire("a");
    await fake.finish("a");
    const lease = await a;
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(models.state("a"), "loaded", "in use: kept");
    lease.release();
    for (let i = 0; i < 200 && models.state("a") !== "unloaded"; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(models.state("a"), "unloaded");
    assert.deepEqual(events.at(-1), { type: "unloaded", name: "a", reason: "idle" });
  });

  test("close: waiters get PoolClosedError, loaded models are unloaded", async () => {
    const fake = scripted();
    const { pool: models } = pool(["a", "b"], fake.loader, { maxModels: 1 });
    const a = models.acquire("a");
    await fake.finish("a");
    await a;
    const b = models.acquire("b");
    const closed = models.close();
    await assert.rejects(b, PoolClosedError);
    await closed;
    assert.deepEqual(fake.log, ["load a", "unload a"]);
    assert.throws(() => models.tryAcquire("a"), PoolClosedError);
  });

  test("a request for a model while it is being unloaded loads it again, once, after the unload", async () => {
    const fake = scripted();
    const { pool: models } = pool(["a", "b"], fake.loader, { maxModels: 1 });
    const a = models.acquire("a");
    await fake.finish("a");
    (await a).release();
    fake.holdUnloads();
    const b = models.acquire("b"); // unloads a, which waits
    await settle();
    assert.equal(models.state("a"), "unloading");
    const again = models.acquire("a");
    fake.openUnloads();
    await fake.finish("b");
    (await b).release();
    await fake.finish("a");
    (await again).release();
    await settle();
    assert.deepEqual(fake.log, ["load a", "unload a", "load b", "unload b", "load a"], "one load of a after its unload");
    assert.equal(models.state("a"), "loaded");
    assert.equal(models.state("b"), "unloaded");
  });
});
