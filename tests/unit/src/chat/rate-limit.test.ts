import { applyStep, decide, perMinute, perSecond, toleranceMs } from '../../../../src/chat/rate-limit';

/** Runs requests at the given times against one bucket, as a store would apply them. */
function run(times: number[], limit = perSecond(3, 2)) {
  let tat: number | undefined;
  return times.map((now) => {
    const decision = decide('public', tat, now, limit);
    if (!decision.allowed) return `limited ${decision.retryAfterMs}`;
    tat = applyStep(tat, decision.step);
    return 'ok';
  });
}

describe('a GCRA rate limit', () => {
  it('accepts a burst at once, then one request per interval', () => {
    // burst 3, 2 per second: one token every 500 ms.
    expect(run([0, 0, 0, 0])).toEqual(['ok', 'ok', 'ok', 'limited 500']);
    expect(run([0, 0, 0, 499, 500, 500])).toEqual(['ok', 'ok', 'ok', 'limited 1', 'ok', 'limited 500']);
  });

  it('refills while idle, but never beyond the burst', () => {
    expect(run([0, 0, 0, 60_000, 60_000, 60_000, 60_000])).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'limited 500',
    ]);
  });

  it('accepts at most burst + rate × t over any span of t', () => {
    const limit = perSecond(10, 5);
    // One request every millisecond for 3 seconds.
    const results = run(
      Array.from({ length: 3000 }, (_, i) => i),
      limit,
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(10 + 3 * 5 - 1);
  });

  it('says how long to wait, and that wait is enough', () => {
    const limit = perMinute(2, 6); // one name change every 10 s, 2 at once
    const tat = 20_000; // two taken at 0
    const decision = decide('name', tat, 0, limit);
    expect(decision).toEqual({ allowed: false, retryAfterMs: 10_000 });
    expect(decide('name', tat, 10_000, limit).allowed).toBe(true);
    expect(toleranceMs(limit)).toBe(10_000);
  });

  it('applies a step only while its condition holds', () => {
    const limit = perSecond(3, 2);
    const fresh = decide('public', undefined, 1000, limit);
    if (!fresh.allowed) throw new Error('a new bucket is full');
    expect(fresh.step.kind).toBe('restart');
    expect(applyStep(undefined, fresh.step)).toBe(1500);
    // Another request restarted the bucket first: this restart no longer applies.
    expect(applyStep(1500, fresh.step)).toBeUndefined();

    const busy = decide('public', 1500, 1000, limit);
    if (!busy.allowed) throw new Error('one token was left');
    expect(busy.step).toEqual({ bucket: 'public', kind: 'advance', from: 1000, upTo: 2000, by: 500 });
    expect(applyStep(1500, busy.step)).toBe(2000);
    expect(applyStep(2000, busy.step)).toBe(2500);
    // The bucket is empty now: the same step no longer applies.
    expect(applyStep(2500, busy.step)).toBeUndefined();
  });
});
