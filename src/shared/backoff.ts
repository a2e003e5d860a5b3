export type Sleep = (ms: number) => Promise<void>;

export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * "Full jitter" exponential backoff: a random delay up to base * 2^(attempt-1), capped, so many
 * throttled senders spread their retries instead of retrying in lockstep.
 */
export const backoffDelay = (
  attempt: number,
  options: { baseMs: number; maxMs: number },
  random: () => number = Math.random,
): number => Math.floor(random() * Math.min(options.maxMs, options.baseMs * 2 ** (attempt - 1)));
