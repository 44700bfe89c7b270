// Why a request's model could not be had: its load failed, it cannot fit in memory, or the server is stopping.

/** The model's load failed; every request that waited for it gets this, and the next one tries again. */
export class LoadFailedError extends Error {
  override name = "LoadFailedError";
  constructor(
    readonly model: string,
    cause: unknown,
  ) {
    super(`The model '${model}' could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The model would not fit within --memory-limit even with every other model unloaded. */
export class NoRoomError extends Error {
  override name = "NoRoomError";
  constructor(
    readonly model: string,
    readonly neededBytes: number,
    readonly limitBytes: number,
  ) {
    const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
    super(
      `The model '${model}' needs about ${mib(neededBytes)} of memory with its context, but --memory-limit allows ${mib(limitBytes)}. ` +
        "Serve it with a smaller ctx-size or parallel, or a larger --memory-limit.",
    );
  }
}

/** The server is shutting down: loads and waits end. */
export class PoolClosedError extends Error {
  override name = "PoolClosedError";
  constructor() {
    super("The server is shutting down.");
  }
}
