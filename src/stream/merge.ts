// Several generations as one stream: each source's items as they come, tagged with its index.

/**
 * Yields `tag(item, i)` for the items of every source, in the order they arrive; ends when all
 * have ended. A consumer that leaves early closes every source still open.
 */
export async function* mergeTagged<T, R>(sources: ReadonlyArray<AsyncIterable<T>>, tag: (item: T, index: number) => R): AsyncGenerator<R> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number) => pending.set(index, iterators[index]!.next().then((result) => ({ index, result })));
  iterators.forEach((_, index) => pull(index));
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done) pending.delete(index);
      else {
        pull(index);
        yield tag(result.value, index);
      }
    }
  } finally {
    // Not awaited: a source still generating ends when its own abort signal fires (the caller aborts
    // what is left once the stream is over), and its pending step must not hold this one up.
    for (const index of pending.keys()) void iterators[index]!.return?.()?.catch(() => {});
  }
}
