/**
 * Runs `worker` over every item of `source` with at most `concurrency` calls in flight, pulling
 * items lazily (a paginated source is read one page at a time). Every started call is awaited
 * before returning; if any failed, no new items are started and the first error is thrown.
 */
export declare const forEachConcurrent: <T>(source: AsyncIterable<T> | Iterable<T>, concurrency: number, worker: (item: T) => Promise<void>) => Promise<void>;
