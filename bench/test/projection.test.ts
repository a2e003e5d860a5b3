// The projection to Lambda: a model on paper, checked here against hand-worked numbers.
import {
  DEFAULT_ASSUMPTIONS,
  deliveriesFor,
  describeAssumptions,
  project,
  projectAll,
  projectionFrom,
} from '../lib/projection';

const a = DEFAULT_ASSUMPTIONS;

describe('project', () => {
  it('is bounded by the CPU share when posts cost more CPU than the lanes can keep busy', () => {
    // 1,024 MB = 0.579 vCPU; 1.6 ms per post -> 362 posts/s per delivery (32 lanes at 20 ms allow 1,600/s).
    const p = project({
      design: 'pipeline',
      recipients: 10_000,
      cpuPerPostMs: 1.6,
      sendConcurrency: 32,
      parallelDeliveries: 4,
    });
    expect(p.vcpu).toBeCloseTo(0.5789, 3);
    expect(p.postsPerSecondPerDelivery).toBeCloseTo(361.8, 0);
    expect(p.deliveryLimitedBy).toBe('CPU');
    expect(p.limitedBy).toBe('CPU');
    expect(p.postsPerSecond).toBeCloseTo(4 * 361.8, -1);
    // 10,000 / 1,447 posts/s = 6.91 s of posting, plus 150 ms of hops and 30 ms of the delivery's own work.
    expect(p.wallMs).toBeCloseTo(150 + 30 + 6910, -2);
    // Four deliveries of 30 ms + 6.91 s each at 1 GB.
    expect(p.gbSeconds).toBeCloseTo(4 * (0.03 + 6.91), 1);
    expect(p.usdPerMillionMessages).toBeCloseTo(p.gbSeconds * a.usdPerGbSecond * 1e6, 6);
    // 10,000 requests/s / 361.8 posts/s per delivery.
    expect(p.deliveriesToReachThrottle).toBe(28);
    expect(p.exceedsTimeout).toBe(false);
  });

  it('is bounded by the round trip when posts are cheap', () => {
    // 0.1 ms per post -> 5,789 posts/s of CPU, but 32 lanes at 20 ms allow only 1,600/s.
    const p = project({
      design: 'lean',
      recipients: 10_000,
      cpuPerPostMs: 0.1,
      sendConcurrency: 32,
      parallelDeliveries: 2,
    });
    expect(p.deliveryLimitedBy).toBe('round trip');
    expect(p.postsPerSecondPerDelivery).toBe(1600);
    expect(p.postsPerSecond).toBe(3200);
    expect(p.deliveriesToReachThrottle).toBe(7);
  });

  it('caps all deliveries together at the account throttle', () => {
    const p = project({
      design: 'pipeline',
      recipients: 100_000,
      cpuPerPostMs: 1.6,
      sendConcurrency: 32,
      parallelDeliveries: 100,
    });
    expect(p.limitedBy).toBe('account throttle');
    expect(p.postsPerSecond).toBe(10_000);
    // 100,000 posts at 10,000/s: 10 s, however many deliveries run.
    expect(p.wallMs).toBeCloseTo(150 + 30 + 10_000, 6);
    // More parallel deliveries past the throttle only add GB-seconds: each waits its share of the 10 s.
    const fewer = project({
      design: 'pipeline',
      recipients: 100_000,
      cpuPerPostMs: 1.6,
      sendConcurrency: 32,
      parallelDeliveries: 28,
    });
    expect(fewer.wallMs).toBeCloseTo(p.wallMs, 6);
    expect(p.gbSeconds).toBeGreaterThan(fewer.gbSeconds);
  });

  it('flags a delivery that would outlast the function timeout', () => {
    const p = project({
      design: 'pipeline',
      recipients: 100_000,
      cpuPerPostMs: 1.6,
      sendConcurrency: 32,
      parallelDeliveries: 4,
    });
    expect(p.deliveryMs).toBeGreaterThan(60_000);
    expect(p.exceedsTimeout).toBe(true);
  });

  it('rejects a CPU per post that is not a positive number (a run that measured nothing)', () => {
    expect(() =>
      project({
        design: 'x',
        recipients: 10,
        cpuPerPostMs: Number.NaN,
        sendConcurrency: 32,
        parallelDeliveries: 1,
      }),
    ).toThrow(/CPU per post/);
    expect(() =>
      project({ design: 'x', recipients: 10, cpuPerPostMs: 1, sendConcurrency: 0, parallelDeliveries: 1 }),
    ).toThrow(/at least 1/);
  });
});

describe('projectAll', () => {
  it('adds, for each design and audience, the number of deliveries that reaches the throttle', () => {
    const rows = projectAll(
      [10_000, 100_000],
      [
        { design: 'pipeline', cpuPerPostMs: 1.6, sendConcurrency: 32, parallelDeliveries: [4] },
        { design: 'naive', cpuPerPostMs: 0.64, sendConcurrency: 50, parallelDeliveries: [1], fixed: true },
      ],
    );
    expect(rows.map((r) => [r.recipients, r.design, r.parallelDeliveries])).toEqual([
      [10_000, 'pipeline', 4],
      [10_000, 'pipeline', 28],
      [10_000, 'naive', 1],
      [100_000, 'pipeline', 4],
      [100_000, 'pipeline', 28],
      [100_000, 'naive', 1],
    ]);
    expect(
      rows.filter((r) => r.parallelDeliveries > 4).every((r) => r.limitedBy === 'account throttle'),
    ).toBe(true);
    // The naive baseline is one invocation whatever the audience: it never gets to the throttle.
    expect(rows.find((r) => r.design === 'naive')?.deliveriesToReachThrottle).toBe(12);
    expect(rows.filter((r) => r.design === 'naive').every((r) => r.limitedBy === 'CPU')).toBe(true);
  });

  it('never projects more parallel deliveries than recipients', () => {
    const rows = projectAll(
      [10],
      [{ design: 'pipeline', cpuPerPostMs: 1.6, sendConcurrency: 32, parallelDeliveries: [4] }],
    );
    expect(rows.map((r) => r.parallelDeliveries)).toEqual([4, 10]);
  });
});

describe('describeAssumptions', () => {
  it('prints every number the model takes on trust', () => {
    const text = describeAssumptions(a).join(' ');
    for (const s of [
      '1024 MB',
      '0.58 vCPU',
      '20 ms',
      '10,000 requests/s',
      '150 ms',
      '30 ms',
      '0.0000133334',
    ]) {
      expect(text).toContain(s);
    }
  });
});

describe('projectionFrom', () => {
  it('splits the pipeline as audience-sized sharding does, within the broadcaster timeout', () => {
    const r = projectionFrom({
      points: [{ connections: 10000, medianBroadcasterCpuPerFrameMs: 0.55, medianNaiveCpuPerFrameMs: 0.6 }],
      shardCount: 1,
      sendConcurrency: 32,
      recipientsPerDelivery: 2000,
      maxParallelDeliveries: 100,
      deliveryTimeoutMs: 30_000,
    });
    const pipeline = (n: number) =>
      r?.rows.filter((p) => p.recipients === n && p.design === 'pipeline').map((p) => p.parallelDeliveries);
    // 10,000 / 2,000 = 5 parts; 100,000 / 2,000 = 50 (under the cap of 100); plus the throttle's count.
    expect(pipeline(10_000)).toContain(5);
    expect(pipeline(100_000)).toContain(50);
    expect(pipeline(100_000)).not.toContain(1);
    const at50 = r?.rows.find((p) => p.recipients === 100_000 && p.parallelDeliveries === 50);
    expect(at50?.exceedsTimeout).toBe(false);
    expect(deliveriesFor(100_000, { recipientsPerDelivery: 2000, maxParallelDeliveries: 10 })).toBe(10);
  });

  it("takes the CPU per post of the largest fan-out and the template's shard count and concurrency", () => {
    const r = projectionFrom({
      points: [
        { connections: 1000, medianBroadcasterCpuPerFrameMs: 1.5, medianNaiveCpuPerFrameMs: 0.52 },
        { connections: 10000, medianBroadcasterCpuPerFrameMs: 1.6, medianNaiveCpuPerFrameMs: 0.64 },
      ],
      shardCount: 4,
      sendConcurrency: 32,
    });
    expect(r?.measuredAtConnections).toBe(10000);
    expect(r?.designs.map((d) => [d.design, d.cpuPerPostMs, d.sendConcurrency])).toEqual([
      ['pipeline', 1.6, 32],
      ['naive', 0.64, 50],
    ]);
    expect(r?.rows.filter((p) => p.recipients === 100_000).map((p) => p.parallelDeliveries)).toEqual([
      4, 28, 1,
    ]);
  });

  it("holds the naive function to its own 900 s timeout, not the broadcaster's 60 s", () => {
    const r = projectionFrom({
      points: [{ connections: 10000, medianBroadcasterCpuPerFrameMs: 1.6, medianNaiveCpuPerFrameMs: 0.64 }],
      shardCount: 4,
      sendConcurrency: 32,
    });
    const at100k = r?.rows.filter((p) => p.recipients === 100_000) ?? [];
    // 100,000 posts at 908/s is 110 s: over 60 s, under 900 s.
    expect(at100k.find((p) => p.design === 'naive')?.exceedsTimeout).toBe(false);
    expect(at100k.find((p) => p.design === 'pipeline' && p.parallelDeliveries === 4)?.exceedsTimeout).toBe(
      true,
    );
  });

  it('is undefined when the run measured no CPU per post', () => {
    expect(
      projectionFrom({
        points: [
          { connections: 10, medianBroadcasterCpuPerFrameMs: Number.NaN, medianNaiveCpuPerFrameMs: 0 },
        ],
      }),
    ).toBeUndefined();
  });
});
