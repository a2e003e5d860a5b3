/** What a failed attempt is counted as: a system error's code (ECONNRESET), else the error's name. */
const causeOf = (error: unknown): string => {
  const { code, phase } = (error ?? {}) as { code?: unknown; phase?: unknown };
  if (typeof code === 'string') return code;
  const name = error instanceof Error ? error.name : typeof error;
  // A timeout says where the call was: one cut off after it was sent may have been delivered.
  return typeof phase === 'string' ? `${name}:${phase}` : name;
};

export interface RetriedPosts {
  retriedPosts: number;
  /** Retries by cause, e.g. { 'TimeoutError:sent': 3, ECONNRESET: 1 }; absent when nothing was retried. */
  retryCauses?: Record<string, number>;
}

/**
 * Posts retried since the last take(), by cause, for an invocation's summary log. A retry after a
 * timeout or a reset is ambiguous: the first attempt may have reached API Gateway, so the recipient
 * can get the frame twice (clients drop it by id, docs/protocol.md). The count makes that visible.
 */
export class RetryTally {
  #byCause = new Map<string, number>();

  readonly record = (_connectionId: string, error: unknown): void => {
    const cause = causeOf(error);
    this.#byCause.set(cause, (this.#byCause.get(cause) ?? 0) + 1);
  };

  take(): RetriedPosts {
    if (this.#byCause.size === 0) return { retriedPosts: 0 };
    const retryCauses = Object.fromEntries(this.#byCause);
    this.#byCause = new Map();
    return { retriedPosts: Object.values(retryCauses).reduce((sum, n) => sum + n, 0), retryCauses };
  }
}
