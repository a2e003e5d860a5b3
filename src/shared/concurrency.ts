/**
 * Runs `worker` over every item of `source` with at most `concurrency` calls in flight, pulling
 * items lazily (a paginated source is read one page at a time). Every started call is awaited
 * before returning; if any failed, no new items are started and the first error is thrown.
 */
export const forEachConcurrent = async <T>(
  source: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  worker: (item: T) => Promise<void>,
): Promise<void> => {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be >= 1');
  const iterator =
    Symbol.asyncIterator in source
      ? source[Symbol.asyncIterator]()
      : (source as Iterable<T>)[Symbol.iterator]();
  let failed = false;
  let firstError: unknown;
  // Async generators queue concurrent next() calls, but a plain iterator may not: serialise them.
  let pulling: Promise<unknown> = Promise.resolve();
  const next = (): Promise<IteratorResult<T>> => {
    const result = pulling.then(() => iterator.next());
    pulling = result.catch(() => undefined);
    return result;
  };

  const lane = async (): Promise<void> => {
    while (!failed) {
      const item = await next();
      if (item.done) return;
      try {
        await worker(item.value);
      } catch (error) {
        if (!failed) firstError = error;
        failed = true;
      }
    }
  };

  const lanes = await Promise.allSettled(Array.from({ length: concurrency }, lane));
  const sourceFailure = lanes.find((lane) => lane.status === 'rejected');
  if (failed) {
    await iterator.return?.();
    throw firstError;
  }
  if (sourceFailure) throw (sourceFailure as PromiseRejectedResult).reason;
};
