/**
 * What every service of the local stack offers the stack around it: counters that `resetStats`
 * zeroes (so a benchmark or a test can count one action), `drain` to wait until the work it has
 * accepted is done, and `close` to stop it.
 */
export interface LocalService<Stats> {
  stats(): Stats;
  resetStats(): void;
  /** Resolves when nothing it accepted is still pending (retries included). */
  drain(): Promise<void>;
  close(): Promise<void> | void;
}
