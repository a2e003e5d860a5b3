// Per-connection rate limits as GCRA (the generic cell rate algorithm): a token bucket that stores
// one number, the "theoretical arrival time" (TAT), instead of a token count and a refill time.
// A request at `now` conforms when TAT <= now + tolerance; it then moves TAT one interval on.
// Refill needs no multiplication: an idle bucket simply has its TAT in the past. That makes every
// change expressible as one DynamoDB conditional update (only + and comparisons), see BucketStep.

/** The buckets a connection has: what each one bounds is in docs/protocol.md ("Rate limits"). */
export type RateBucket = 'public' | 'private' | 'name';

export const RATE_BUCKETS: readonly RateBucket[] = ['public', 'private', 'name'];

export interface RateLimit {
  /** Requests accepted at once from a full bucket. */
  burst: number;
  /** One token comes back every `intervalMs` (1000 / rate per second). */
  intervalMs: number;
}

export type RateLimits = Record<RateBucket, RateLimit>;

export const perSecond = (burst: number, rate: number): RateLimit => ({ burst, intervalMs: 1000 / rate });
export const perMinute = (burst: number, rate: number): RateLimit => ({ burst, intervalMs: 60_000 / rate });

/** How far ahead of `now` TAT may be and still accept a request: burst - 1 intervals. */
export const toleranceMs = (limit: RateLimit): number => (limit.burst - 1) * limit.intervalMs;

/**
 * One atomic change to a bucket, with the condition that makes it valid. A store applies it in a
 * single conditional write (the DynamoDB store as a conditional UpdateItem); if the condition does
 * not hold any more (another request of the same connection moved the bucket), nothing is written.
 * - `restart`: the bucket is full (TAT absent or in the past): set TAT to `tat`.
 * - `advance`: TAT is in [`from`, `upTo`]: add `by` to it. The addition is relative, so concurrent
 *   requests that all see a partly used bucket each take their own token, up to the burst.
 */
export type BucketStep =
  | { bucket: RateBucket; kind: 'restart'; before: number; tat: number }
  | { bucket: RateBucket; kind: 'advance'; from: number; upTo: number; by: number };

export type BucketDecision = { allowed: true; step: BucketStep } | { allowed: false; retryAfterMs: number };

/** What to try for one request, given the TAT last read (`undefined`: never used). */
export function decide(
  bucket: RateBucket,
  tat: number | undefined,
  now: number,
  limit: RateLimit,
): BucketDecision {
  if (tat === undefined || tat < now) {
    return { allowed: true, step: { bucket, kind: 'restart', before: now, tat: now + limit.intervalMs } };
  }
  const upTo = now + toleranceMs(limit);
  if (tat <= upTo) {
    return { allowed: true, step: { bucket, kind: 'advance', from: now, upTo, by: limit.intervalMs } };
  }
  // The next request conforms once now' + tolerance >= TAT.
  return { allowed: false, retryAfterMs: Math.max(1, Math.ceil(tat - upTo)) };
}

/**
 * The step's semantics on a plain value: the new TAT, or `undefined` when its condition fails.
 * The DynamoDB store expresses exactly this as a ConditionExpression; in-memory stores call it.
 */
export function applyStep(tat: number | undefined, step: BucketStep): number | undefined {
  if (step.kind === 'restart') return tat === undefined || tat < step.before ? step.tat : undefined;
  return tat !== undefined && tat >= step.from && tat <= step.upTo ? tat + step.by : undefined;
}
