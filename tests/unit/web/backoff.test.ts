import { reconnectDelayMs } from '../../../web/src/backoff';

describe('reconnectDelayMs', () => {
  const options = { baseMs: 1000, maxMs: 30_000 };

  it('doubles the ceiling with each attempt, waiting between half of it and all of it', () => {
    expect([1, 2, 3, 4].map((attempt) => reconnectDelayMs(attempt, () => 0, options))).toEqual([
      500, 1000, 2000, 4000,
    ]);
    expect([1, 2, 3, 4].map((attempt) => reconnectDelayMs(attempt, () => 1, options))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
  });

  it('never waits longer than the maximum, however many attempts failed', () => {
    expect(reconnectDelayMs(6, () => 1, options)).toBe(30_000);
    expect(reconnectDelayMs(10_000, () => 1, options)).toBe(30_000);
    expect(reconnectDelayMs(10_000, () => 0, options)).toBe(15_000);
  });

  it('spreads clients out with jitter', () => {
    expect(reconnectDelayMs(3, () => 0.5, options)).toBe(3000);
  });

  it('treats a first attempt of zero or less like the first retry', () => {
    expect(reconnectDelayMs(0, () => 1, options)).toBe(1000);
  });
});
