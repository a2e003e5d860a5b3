// The SVG charts rendered from a results file: well-formed SVG, the right series, the right shapes.
import { chartsFromResults } from '../lib/charts';
import type { LatencySummary } from '../lib/percentiles';
import type { BenchResults } from '../lib/report';
import { logTicks, wrap } from '../lib/svg-chart';

/** Throws unless `svg` is well-formed XML: balanced tags, quoted attributes, escaped text. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let at = 0;
  while (at < svg.length) {
    const lt = svg.indexOf('<', at);
    const text = svg.slice(at, lt === -1 ? svg.length : lt);
    if (/>|&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`unescaped text: ${text}`);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(svg);
    if (!m) throw new Error(`malformed tag at ${lt}: ${svg.slice(lt, lt + 60)}`);
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (!selfClosing) stack.push(name as string);
    at = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(', ')}`);
}

const latency = (p50: number, p95: number, p99: number): LatencySummary => ({
  count: 100,
  min: p50 / 2,
  p50,
  p95,
  p99,
  max: p99,
  mean: p50,
});

function results(): BenchResults {
  const step = (offered: number, delivered: number, l: LatencySummary) => ({
    offeredFramesPerSecond: offered,
    sentFramesPerSecond: offered,
    deliveredFramesPerSecond: delivered,
    messagesPerSecond: offered / 100,
    messages: offered / 10,
    expectedDeliveries: offered * 10,
    delivered: offered * 10,
    lost: 0,
    duplicated: 0,
    latencyMs: l,
  });
  const point = (connections: number, pipeline: number, naive: number, cpuB: number, cpuN: number) =>
    ({
      connections,
      runs: 3,
      medianPipelineMs: pipeline,
      medianNaiveMs: naive,
      medianBroadcasterCpuPerFrameMs: cpuB,
      medianNaiveCpuPerFrameMs: cpuN,
      cpuSource: 'thread',
    }) as unknown as NonNullable<BenchResults['fanOut']>['points'][number];
  return {
    meta: {
      date: '2026-12-01',
      startedAt: '2026-12-01T00:00:00.000Z',
      durationMs: 1000,
      commit: 'a<b&c',
      node: 'v24.0.0',
      cpus: 2,
      cpuModel: 'test',
      quick: false,
      options: {},
      stageMs: {},
    },
    prices: { region: 'us-east-1', currency: 'USD', prices: {} as BenchResults['prices']['prices'] },
    failures: [],
    curve: {
      options: {
        clients: 100,
        alreadyConnected: 0,
        named: 100,
        loads: [100, 200, 400, 800],
        secondsPerStep: 8,
        payloadBytes: 100,
        concurrency: 16,
        p99LimitMs: 100,
        stopAboveP99Ms: 1000,
      },
      senders: 100,
      steps: [
        step(100, 100, latency(30, 50, 60)),
        step(200, 199, latency(35, 60, 80)),
        step(400, 390, latency(60, 140, 190)),
        step(800, 450, latency(2000, 3500, 4000)),
      ],
      sustainedFramesPerSecond: 199,
      peakDeliveredFramesPerSecond: 450,
    },
    floor: [
      { connections: 1000, medianFanOutMs: 44 },
      { connections: 10000, medianFanOutMs: 186 },
    ] as BenchResults['floor'],
    fanOut: {
      callbackLatencyMs: 20,
      points: [point(1000, 984, 833, 1.51, 0.52), point(10000, 10524, 9083, 1.6, 0.64)],
    },
  };
}

const byFile = (r: BenchResults) => new Map(chartsFromResults(r).map((c) => [c.file, c.svg]));
/** The y pixel of every circle of one series, in x order. */
const seriesYs = (svg: string, name: string): number[] => {
  const group = new RegExp(`<g data-series="${name}">(.*?)</g>`).exec(svg)?.[1] ?? '';
  return [...group.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
};

describe('chartsFromResults', () => {
  it('renders the three charts as well-formed SVG with no missing numbers', () => {
    const charts = chartsFromResults(results());
    expect(charts.map((c) => c.file)).toEqual([
      'latency-vs-load.svg',
      'fanout-vs-connections.svg',
      'cpu-per-frame.svg',
    ]);
    for (const c of charts) {
      expect(c.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(() => assertWellFormed(c.svg)).not.toThrow();
      expect(c.svg).not.toMatch(/NaN|undefined|Infinity/);
      // The commit is printed, escaped.
      expect(c.svg).toContain('a&lt;b&amp;c');
    }
  });

  it('draws p50, p95 and p99 against offered load, one point per step, with the p99 limit', () => {
    const svg = byFile(results()).get('latency-vs-load.svg') as string;
    for (const k of ['p50', 'p95', 'p99']) expect(seriesYs(svg, `${k} latency`)).toHaveLength(4);
    // Higher latency is higher on the chart (smaller y), at every step.
    const p50 = seriesYs(svg, 'p50 latency');
    const p99 = seriesYs(svg, 'p99 latency');
    p50.forEach((y, i) => {
      expect(p99[i]).toBeLessThan(y);
    });
    expect(svg).toContain('data-reference="p99 limit 100 ms"');
    expect(svg).toContain('Sustained with p99 under 100 ms: 199 frames/s');
  });

  it('draws the pipeline, the naive baseline and the floor against connections, the floor lowest', () => {
    const svg = byFile(results()).get('fanout-vs-connections.svg') as string;
    const pipeline = seriesYs(svg, 'our pipeline');
    const naive = seriesYs(svg, 'naive baseline');
    const floor = seriesYs(svg, 'raw ws floor');
    expect([pipeline.length, naive.length, floor.length]).toEqual([2, 2, 2]);
    floor.forEach((y, i) => {
      expect(y).toBeGreaterThan(naive[i] as number);
    });
    // Log scales: 984 -> 10,524 ms over 1,000 -> 10,000 connections climbs about a decade.
    expect(svg).toContain('connections (log)');
    expect(svg).toContain('>10,524<');
  });

  it('draws CPU per delivered frame as bars, broadcaster against naive, with the target', () => {
    const svg = byFile(results()).get('cpu-per-frame.svg') as string;
    const heights = (name: string) =>
      [
        ...(new RegExp(`<g data-series="${name}">(.*?)</g>`).exec(svg)?.[1] ?? '').matchAll(
          /height="([\d.]+)"/g,
        ),
      ].map((m) => Number(m[1]));
    const b = heights('broadcaster');
    const n = heights('naive function');
    expect(b).toHaveLength(2);
    expect(n).toHaveLength(2);
    // 1.51 ms against 0.52 ms: about three times as tall.
    expect((b[0] as number) / (n[0] as number)).toBeCloseTo(1.51 / 0.52, 1);
    expect(svg).toContain('data-reference="target 0.25 ms"');
  });

  it('gives no chart for a stage the run skipped', () => {
    const r = results();
    delete r.fanOut;
    delete r.floor;
    expect(chartsFromResults(r).map((c) => c.file)).toEqual(['latency-vs-load.svg']);
  });

  it('falls back to the first latency run for results from before the curve stage', () => {
    const r = results();
    delete r.curve;
    r.latency = [
      {
        options: { clients: 100 },
        offeredFramesPerSecond: 400,
        framesPerSecond: 402,
        latencyMs: latency(138, 188, 223),
      } as unknown as NonNullable<BenchResults['latency']>[number],
    ];
    const svg = byFile(r).get('latency-vs-load.svg') as string;
    expect(() => assertWellFormed(svg)).not.toThrow();
    expect(svg).toContain('No load curve in this results file');
    expect(seriesYs(svg, 'p99 latency')).toHaveLength(1);
  });
});

describe('the join chart', () => {
  const join = (settleMs: number | undefined) =>
    ({
      clients: 1000,
      target: { clients: 1000, settleMs: 10_000 },
      joinMs: 30_000,
      ...(settleMs === undefined ? {} : { settleMs }),
      settleTimeoutMs: 120_000,
      frames: { total: 3000, bytes: 1, byType: {} },
    }) as unknown as NonNullable<BenchResults['join']>;
  const heights = (svg: string, name: string) =>
    [
      ...(new RegExp(`<g data-series="${name}">(.*?)</g>`).exec(svg)?.[1] ?? '').matchAll(
        /height="([\d.]+)"/g,
      ),
    ].map((m) => Number(m[1]));

  it('draws the whole join and the settle time in seconds, with the settle target', () => {
    const svg = byFile({ ...results(), join: join(4000) }).get('join-burst.svg') as string;
    expect(() => assertWellFormed(svg)).not.toThrow();
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    const [whole] = heights(svg, 'whole join');
    const [settle] = heights(svg, 'settle');
    expect((whole as number) / (settle as number)).toBeCloseTo(30 / 4, 1);
    expect(svg).toContain('data-reference="settle target 10 s for 1,000"');
  });

  it('draws no settle bar for lists that never became exact, and says so', () => {
    const svg = byFile({ ...results(), join: join(undefined) }).get('join-burst.svg') as string;
    expect(() => assertWellFormed(svg)).not.toThrow();
    expect(heights(svg, 'settle')).toEqual([]);
    expect(svg).toContain('NOT EXACT after 120 s');
  });
});

describe('the chart helpers', () => {
  it('bounds a log axis at the nearest 1-2-5 values around the data', () => {
    const t = logTicks(44, 10_524);
    expect([t.lo, t.hi]).toEqual([20, 20_000]);
    expect(t.ticks).toEqual([20, 100, 1000, 10_000, 20_000]);
    expect(logTicks(100, 800).ticks).toEqual([100, 200, 500, 1000]);
  });

  it('wraps a long subtitle at word boundaries', () => {
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
  });
});
