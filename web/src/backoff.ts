// When to try again after the socket drops: exponential backoff with jitter, so a server restart
// does not see every browser reconnect in the same instant.

export interface BackoffOptions {
  /** Delay ceiling of the first retry, in milliseconds. */
  baseMs: number;
  /** No retry waits longer than this. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 30_000 };

/**
 * The wait before retry number `attempt` (1 for the first retry): the ceiling doubles each time up
 * to `maxMs`, and the wait is drawn from the upper half of it ("equal jitter"), so it never
 * collapses to zero and never exceeds the ceiling.
 */
export function reconnectDelayMs(
  attempt: number,
  random: () => number = Math.random,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2 ** exponent overflows to Infinity for huge attempts; min() keeps that harmless.
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  const jitter = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceiling / 2 + (jitter * ceiling) / 2);
}
