// The pool's vocabulary: a model's state, the loader it is given, its options and events, a lease,
// and what it keeps of each model.

export type ModelState = "unloaded" | "loading" | "loaded" | "unloading";

/** Why a model was unloaded: a place for another (count or memory), idleness, or the server stopping. */
export type UnloadReason = "max_models" | "memory" | "idle" | "shutdown";

export interface ModelLoader<E> {
  /** Loads the model named; the signal aborts a load the server no longer needs (shutdown). */
  load(name: string, signal: AbortSignal): Promise<E>;
  /**
   * Bytes of memory the model and its context are expected to take, worked out before loading (it
   * finds the file: a missing one throws); the signal aborts it as it does a load.
   */
  estimate(name: string, signal: AbortSignal): Promise<number>;
  /** Frees a loaded model. */
  unload(engine: E): Promise<void>;
}

export interface PoolOptions {
  /** Most models loaded at once. */
  maxModels: number;
  /** Bytes the loaded models may take together (their estimates); null: what the machine has available now. */
  memoryLimit: number | null;
  /** Bytes the machine has available now (read when memoryLimit is null). */
  availableMemory(): number;
  /** A model that served nothing for this long is unloaded; null: never. */
  idleUnloadMs: number | null;
  /** After a failed load, its error answers requests at once for this long (doubled at each failure in a row, to 30 s); default 1 s. */
  loadRetryMs?: number;
  /** Told of every load and unload, for the logs and metrics. */
  onEvent?(event: PoolEvent): void;
}

export type PoolEvent =
  | { type: "loaded"; name: string; seconds: number; bytes: number }
  | { type: "load_failed"; name: string; seconds: number; error: Error }
  | { type: "unloaded"; name: string; reason: UnloadReason };

/** A model held for one request: not unloaded until released. */
export interface Lease<E> {
  readonly engine: E;
  /** Idempotent. */
  release(): void;
}

export interface Waiter<E> {
  resolve(lease: Lease<E>): void;
  reject(error: unknown): void;
}

export class Pooled<E> {
  state: ModelState = "unloaded";
  engine: E | null = null;
  /** Requests holding it. */
  leases = 0;
  /** Requests waiting for it to load. */
  readonly waiters = new Set<Waiter<E>>();
  /** Loaded at startup's asking, whether or not a request waits. */
  wanted = false;
  /** When its last lease was released (or it loaded): the least recently used goes first. */
  lastUsed = 0;
  /** What it was estimated to take when it loaded. */
  bytes = 0;
  idleTimer: ReturnType<typeof setTimeout> | null = null;
  /** The last load's failure, until a load works. */
  lastError: Error | null = null;
  /** Loads that failed in a row, and when the next may begin (performance.now()). */
  failures = 0;
  retryAt = 0;
  constructor(readonly name: string) {}
}
