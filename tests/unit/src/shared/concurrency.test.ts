import { forEachConcurrent } from '../../../../src/shared/concurrency';

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function* pages(count: number, pageSize: number, pulled: number[]) {
  for (let page = 0; page < count; page++) {
    pulled.push(page);
    await tick();
    for (let i = 0; i < pageSize; i++) yield page * pageSize + i;
  }
}

describe('forEachConcurrent', () => {
  it('processes every item with at most the given number in flight', async () => {
    let inFlight = 0;
    let max = 0;
    const seen: number[] = [];

    await forEachConcurrent(pages(5, 7, []), 4, async (item) => {
      inFlight += 1;
      max = Math.max(max, inFlight);
      await tick();
      seen.push(item);
      inFlight -= 1;
    });

    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 35 }, (_, i) => i));
    expect(max).toBe(4);
  });

  it('reads a paginated source lazily, a page at a time', async () => {
    const pulled: number[] = [];
    const processedWhenPulled: number[] = [];
    let processed = 0;
    const source = pages(3, 10, pulled);
    const wrapped = {
      async *[Symbol.asyncIterator]() {
        for await (const item of source) {
          if (item % 10 === 0) processedWhenPulled.push(processed);
          yield item;
        }
      },
    };

    await forEachConcurrent(wrapped, 2, async () => {
      await tick();
      processed += 1;
    });

    expect(pulled).toEqual([0, 1, 2]);
    // Page 2 is only read after most of page 1 has been processed.
    expect(processedWhenPulled[1]).toBeGreaterThanOrEqual(8);
  });

  it('stops starting work after a failure, waits for what started, and throws the first error', async () => {
    const started: number[] = [];
    let finished = 0;

    await expect(
      forEachConcurrent(
        Array.from({ length: 20 }, (_, i) => i),
        3,
        async (item) => {
          started.push(item);
          await tick();
          if (item === 0) throw new Error('boom 0');
          await tick();
          await tick();
          if (item === 1) throw new Error('boom 1');
          finished += 1;
        },
      ),
    ).rejects.toThrow('boom 0');

    expect(started).toEqual([0, 1, 2]);
    expect(finished).toBe(1); // item 2 ran to the end; item 1 failed too, but only the first error is thrown
  });

  it('rejects a concurrency below one', async () => {
    await expect(forEachConcurrent([1], 0, async () => undefined)).rejects.toThrow(RangeError);
  });
});
