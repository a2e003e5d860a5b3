/**
 * AWS behaviours that are normal in production and surprising in tests, which the local stack
 * reproduces on demand (all off by default): see docs/local-stack.md, "AWS quirks on demand".
 */
export interface QuirkOptions {
  /** Writes reach global secondary indexes this many milliseconds after the table. */
  gsiLagMs?: number;
  /** The share (0 to 1) of dropped sockets whose `$disconnect` route never runs. */
  lostDisconnectShare?: number;
  /** The share (0 to 1) of EventBridge deliveries to a target that happen twice. */
  eventDuplicateShare?: number;
  /** Each EventBridge delivery waits a random 0 to this many milliseconds: deliveries are unordered. */
  eventJitterMs?: number;
  /** The random source; tests pass their own. Default Math.random. */
  random?: () => number;
}

/** Quirk options that make no sense (a share outside 0..1, a negative delay). */
export class QuirkOptionsError extends RangeError {
  override readonly name = 'QuirkOptionsError';
}

/** Throws QuirkOptionsError for a value out of range; returns the options. */
export function checkQuirks(quirks: QuirkOptions = {}): QuirkOptions {
  for (const name of ['lostDisconnectShare', 'eventDuplicateShare'] as const) {
    const share = quirks[name];
    if (share !== undefined && !(Number.isFinite(share) && share >= 0 && share <= 1))
      throw new QuirkOptionsError(`${name} must be a share between 0 and 1, got ${String(share)}`);
  }
  for (const name of ['gsiLagMs', 'eventJitterMs'] as const) {
    const ms = quirks[name];
    if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0))
      throw new QuirkOptionsError(`${name} must be a number of milliseconds >= 0, got ${String(ms)}`);
  }
  return quirks;
}

const percent = (share: number): string => `${Math.round(share * 1000) / 10}%`;

/** One phrase per quirk that is on, for the startup banner; empty when none is. */
export function describeQuirks(quirks: QuirkOptions = {}): string[] {
  const on: string[] = [];
  if (quirks.gsiLagMs) on.push(`GSI lag ${quirks.gsiLagMs} ms`);
  if (quirks.lostDisconnectShare)
    on.push(`$disconnect lost for ${percent(quirks.lostDisconnectShare)} of drops`);
  if (quirks.eventDuplicateShare)
    on.push(`EventBridge delivers ${percent(quirks.eventDuplicateShare)} of events twice`);
  if (quirks.eventJitterMs) on.push(`EventBridge deliveries unordered (0-${quirks.eventJitterMs} ms jitter)`);
  return on;
}

const ENVIRONMENT_KEYS: Record<string, keyof Omit<QuirkOptions, 'random'>> = {
  'gsi-lag': 'gsiLagMs',
  'lost-disconnect': 'lostDisconnectShare',
  'event-duplicates': 'eventDuplicateShare',
  'event-jitter': 'eventJitterMs',
};

/**
 * Quirks from LOCAL_STACK_QUIRKS, e.g. `gsi-lag=500,lost-disconnect=0.3` (the start flags' names),
 * so a whole test suite can run with a quirk on without changing its code.
 */
export function quirksFromEnvironment(value = process.env.LOCAL_STACK_QUIRKS): QuirkOptions {
  const quirks: QuirkOptions = {};
  for (const part of (value ?? '').split(',')) {
    if (!part.trim()) continue;
    const [name = '', raw = ''] = part.split('=').map((piece) => piece.trim());
    const key = ENVIRONMENT_KEYS[name];
    if (!key || raw === '' || Number.isNaN(Number(raw)))
      throw new QuirkOptionsError(
        `LOCAL_STACK_QUIRKS: "${part}" is not one of ${Object.keys(ENVIRONMENT_KEYS).join(', ')} = <number>`,
      );
    quirks[key] = Number(raw);
  }
  return checkQuirks(quirks);
}
