// Which models are loaded: each on first use (or at startup), one load at a time, the least recently
// used idle one unloaded first when the count or the memory is short, an idle one unloaded after a
// while. A request leases its model for as long as its response lasts, so nothing is unloaded under
// it. No node-llama-cpp and no HTTP here: the loader and the memory reading come from outside.
import { LoadFailedError, NoRoomError, PoolClosedError } from "./errors.ts";
import { deferred } from "./deferred.ts";
import { Pooled, type Lease, type ModelLoader, type ModelState, type PoolEvent, type PoolOptions, type UnloadReason, type Waiter } from "./pool-types.ts";

/** How often a load waiting for a place looks at the memory again. */
const RECHECK_MS = 1000;
/** After failed loads in a row, requests get the error at once for this long at most (the wait doubles from `loadRetryMs`). */
const MAX_RETRY_MS = 30_000;

/** What the routes use of the pool: E only comes out of it, so a pool of a narrower engine type serves as one of Engine. */
export type ServedModels<E> = Pick<ModelPool<E>, "has" | "state" | "loaded" | "engines" | "lastError" | "tryAcquire" | "acquire">;

export class ModelPool<E> {
  private readonly models = new Map<string, Pooled<E>>();
  /** Loads and unloads, one at a time, in the order asked. */
  private serial: Promise<unknown> = Promise.resolve();
  /** Resolved (and replaced) whenever a lease is released or a waiter leaves: a load waiting for a place looks again. */
  private changed = deferred<void>();
  private readonly closing = new AbortController();

  constructor(
    names: readonly string[],
    private readonly loader: ModelLoader<E>,
    private readonly options: PoolOptions,
  ) {
    for (const name of names) this.models.set(name, new Pooled<E>(name));
  }

  has(name: string): boolean {
    return this.models.has(name);
  }

  state(name: string): ModelState {
    return this.model(name).state;
  }

  /** Its engine, if it is loaded now. */
  loaded(name: string): E | null {
    const model = this.model(name);
    return model.state === "loaded" ? model.engine : null;
  }

  /** Every loaded model's engine. */
  engines(): E[] {
    return this.loadedModels().flatMap((model) => (model.engine ? [model.engine] : []));
  }

  /** Why its last load failed, if it did and has not loaded since. */
  lastError(name: string): Error | null {
    return this.model(name).lastError;
  }

  /** A lease at once where the model is loaded; null where it must load (or wait for a place) first. */
  tryAcquire(name: string): Lease<E> | null {
    const model = this.model(name);
    if (this.closing.signal.aborted) throw new PoolClosedError();
    return model.state === "loaded" ? this.lease(model) : null;
  }

  /** A lease once the model is loaded: at once, or after its load (shared with every request waiting for it). */
  acquire(name: string, signal?: AbortSignal): Promise<Lease<E>> {
    const now = this.tryAcquire(name);
    if (now) return Promise.resolve(now);
    const model = this.model(name);
    const { promise, resolve, reject } = deferred<Lease<E>>();
    const waiter: Waiter<E> = { resolve, reject };
    const leave = () => {
      if (!model.waiters.delete(waiter)) return;
      reject(signal?.reason ?? new Error("aborted"));
      this.wake();
    };
    if (signal?.aborted) return Promise.reject(signal.reason);
    // A model whose load just failed is not loaded again by every request (a missing or broken file
    // would be read again and again): its error stands until the backoff is over.
    if (model.state === "unloaded" && model.lastError && performance.now() < model.retryAt) return Promise.reject(model.lastError);
    signal?.addEventListener("abort", leave, { once: true });
    model.waiters.add(waiter);
    void promise.then(
      () => signal?.removeEventListener("abort", leave),
      () => signal?.removeEventListener("abort", leave),
    );
    // One being unloaded loads again once it is (unload's end sees the waiter).
    if (model.state === "unloaded") this.schedule(model);
    return promise;
  }

  /** Loads these at once (startup's preload); rejects with the first that fails. */
  async preload(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const model = this.model(name);
      model.wanted = true;
      const lease = await this.acquire(name);
      lease.release();
    }
  }

  /**
   * A loaded model is about to take `bytes` more (an embedding context, made on its first use): room
   * is made for them as for a load (the least recently used idle others unloaded), else NoRoomError;
   * they count with the model's own until it is unloaded.
   */
  grow(name: string, bytes: number): Promise<void> {
    const model = this.model(name);
    return this.exclusive(async () => {
      if (model.state !== "loaded") return;
      const limit = this.options.memoryLimit;
      for (;;) {
        const fits = limit === null ? bytes <= this.options.availableMemory() : this.bytesInUse() + bytes <= limit;
        // Without a limit, what still does not fit once no idle model is left is node-llama-cpp's to
        // judge, as a model's own load is; under one, it is refused.
        const idle = fits ? undefined : this.oldestIdle(model);
        if (fits || (limit === null && !idle)) {
          model.bytes += bytes;
          return;
        }
        if (limit !== null && (model.bytes + bytes > limit || !idle)) throw new NoRoomError(model.name, model.bytes + bytes, limit);
        await this.unload(idle!, "memory");
      }
    });
  }

  /** Stops: waiting requests get PoolClosedError, a load under way is aborted, every model is unloaded. */
  async close(): Promise<void> {
    this.closing.abort(new PoolClosedError());
    for (const model of this.models.values()) {
      for (const waiter of model.waiters) waiter.reject(new PoolClosedError());
      model.waiters.clear();
    }
    this.wake();
    await this.exclusive(async () => {
      for (const model of this.models.values()) if (model.state === "loaded") await this.unload(model, "shutdown");
    });
  }

  private model(name: string): Pooled<E> {
    const model = this.models.get(name);
    if (!model) throw new Error(`no model named '${name}'`);
    return model;
  }

  private lease(model: Pooled<E>): Lease<E> {
    model.leases++;
    if (model.idleTimer) clearTimeout(model.idleTimer);
    model.idleTimer = null;
    let released = false;
    return {
      engine: model.engine!,
      release: () => {
        if (released) return;
        released = true;
        model.leases--;
        model.lastUsed = performance.now();
        if (model.leases === 0) this.armIdle(model);
        this.wake();
      },
    };
  }

  private armIdle(model: Pooled<E>): void {
    const ms = this.options.idleUnloadMs;
    if (ms === null || this.closing.signal.aborted) return;
    if (model.idleTimer) clearTimeout(model.idleTimer);
    model.idleTimer = setTimeout(() => {
      model.idleTimer = null;
      void this.exclusive(async () => {
        if (model.state === "loaded" && model.leases === 0 && performance.now() - model.lastUsed >= ms - 1) await this.unload(model, "idle");
      });
    }, ms);
    model.idleTimer.unref?.();
  }

  /** Tells onEvent; a listener that throws changes nothing here. */
  private emit(event: PoolEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch (error) {
      console.error(`oserve: ${event.name}: ${(error as Error)?.message ?? error}`);
    }
  }

  private wake(): void {
    const { resolve } = this.changed;
    this.changed = deferred<void>();
    resolve();
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.serial.then(task);
    this.serial = run.catch(() => {});
    return run;
  }

  /** Its load, behind every load and unload asked for before it. */
  private schedule(model: Pooled<E>): void {
    if (model.state === "loading") return;
    model.state = "loading";
    void this.exclusive(() => this.loadWhenWanted(model));
  }

  private async loadWhenWanted(model: Pooled<E>): Promise<void> {
    // Everyone who wanted it may have left while earlier loads ran.
    if (model.waiters.size === 0 && !model.wanted) return void (model.state = "unloaded");
    const started = performance.now();
    try {
      if (this.closing.signal.aborted) throw new PoolClosedError();
      // Estimated only where something is checked against it (reading a GGUF's metadata takes a while).
      let bytes = 0;
      let estimated = false;
      const need = async () => (estimated ? bytes : ((estimated = true), (bytes = await this.loader.estimate(model.name, this.closing.signal))));
      // Where another model would make way for this one, the file is found first: a model that cannot
      // load unloads nothing.
      if (this.options.memoryLimit !== null || this.loadedModels().length > 0) await need();
      if (!(await this.makeRoom(model, need))) {
        model.state = "unloaded";
        // A request that came while makeRoom returned found it still loading, and scheduled nothing.
        if (model.waiters.size > 0) this.schedule(model);
        return;
      }
      const engine = await this.loader.load(model.name, this.closing.signal);
      if (this.closing.signal.aborted) {
        await this.loader.unload(engine);
        throw new PoolClosedError();
      }
      Object.assign(model, { engine, bytes, state: "loaded", lastError: null, failures: 0, wanted: false, lastUsed: performance.now() });
      this.emit({ type: "loaded", name: model.name, seconds: (performance.now() - started) / 1000, bytes });
      for (const waiter of model.waiters) waiter.resolve(this.lease(model));
      model.waiters.clear();
      if (model.leases === 0) this.armIdle(model);
    } catch (caught) {
      const closed = caught instanceof PoolClosedError || this.closing.signal.aborted;
      const error = closed ? new PoolClosedError() : caught instanceof NoRoomError ? caught : new LoadFailedError(model.name, caught);
      Object.assign(model, { state: "unloaded", engine: null, wanted: false });
      if (error instanceof LoadFailedError) {
        model.lastError = error;
        model.failures++;
        model.retryAt = performance.now() + Math.min(MAX_RETRY_MS, (this.options.loadRetryMs ?? 1000) * 2 ** (model.failures - 1));
        this.emit({ type: "load_failed", name: model.name, seconds: (performance.now() - started) / 1000, error });
      }
      for (const waiter of model.waiters) waiter.reject(error);
      model.waiters.clear();
    }
  }

  /**
   * Unloads the least recently used idle models until `model` fits (the count, and the memory); with
   * none idle, waits for one to be. False where nobody wants the model any more; NoRoomError where
   * it could never fit.
   */
  private async makeRoom(model: Pooled<E>, need: () => Promise<number>): Promise<boolean> {
    for (;;) {
      if (this.closing.signal.aborted) throw new PoolClosedError();
      if (model.waiters.size === 0 && !model.wanted) return false;
      const loaded = this.loadedModels();
      const countFits = loaded.length < this.options.maxModels;
      const limit = this.options.memoryLimit;
      const inUse = this.bytesInUse();
      // Without a limit, the first model is node-llama-cpp's to judge (its own checks refuse what cannot
      // fit); where the count does not fit, one goes anyway, and the memory is looked at after.
      const memoryFits = !countFits || (limit === null ? loaded.length === 0 || (await need()) <= this.options.availableMemory() : inUse + (await need()) <= limit);
      if (countFits && memoryFits) return true;
      // One that could never fit under the limit unloads nothing for nothing.
      if (limit !== null && (await need()) > limit) throw new NoRoomError(model.name, await need(), limit);
      const idle = this.oldestIdle();
      if (idle) {
        await this.unload(idle, countFits ? "memory" : "max_models");
        continue;
      }
      // Every loaded model serves a request: wait for one to finish, or for this one's requests to
      // leave; memory freed elsewhere tells nobody, so look again every second too.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.changed.promise, new Promise((resolve) => (timer = setTimeout(resolve, RECHECK_MS)))]);
      clearTimeout(timer);
    }
  }

  /** Bytes the loaded models take together (their estimates). */
  private bytesInUse(): number {
    return this.loadedModels().reduce((sum, model) => sum + model.bytes, 0);
  }

  /** The least recently used loaded model (but `except`) that serves no request: the first to make way. */
  private oldestIdle(except?: Pooled<E>): Pooled<E> | undefined {
    return this.loadedModels().filter((model) => model !== except && model.leases === 0).sort((a, b) => a.lastUsed - b.lastUsed)[0];
  }

  private loadedModels(): Array<Pooled<E>> {
    return [...this.models.values()].filter((model) => model.state === "loaded");
  }

  private async unload(model: Pooled<E>, reason: UnloadReason): Promise<void> {
    const engine = model.engine!;
    if (model.idleTimer) clearTimeout(model.idleTimer);
    Object.assign(model, { state: "unloading", idleTimer: null });
    try {
      await this.loader.unload(engine);
    } finally {
      Object.assign(model, { state: "unloaded", engine: null, bytes: 0 });
      this.emit({ type: "unloaded", name: model.name, reason });
      // A request that came for it while it was unloading loads it again.
      if (model.waiters.size > 0) this.schedule(model);
    }
  }
}
