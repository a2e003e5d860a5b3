/**
 * The bench's pictures, rendered from a results object: latency percentiles against offered load,
 * fan-out time against connections (pipeline, naive baseline, raw-ws floor, log scales) and CPU per
 * delivered frame, and the join burst against its target. Written next to docs/benchmarks.md by the bench and by `npm run bench:charts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchResults } from './report';
import { barChart, type LineSeries, lineChart } from './svg-chart';

export interface Chart {
  file: string;
  svg: string;
}

/** The issue's target for the broadcaster's CPU per delivered frame (issue 8). */
const CPU_TARGET_MS = 0.25;

function runLabel(r: BenchResults): string {
  const m = r.meta;
  return `bench ${m.date}, commit ${m.commit}, ${m.cpus} cores, Node ${m.node}${m.quick ? ', QUICK run' : ''}`;
}

function latencyChart(r: BenchResults): Chart | undefined {
  const pct = ['p50', 'p95', 'p99'] as const;
  if (r.curve?.steps.length) {
    const c = r.curve;
    const series: LineSeries[] = pct.map((k) => ({
      name: `${k} latency`,
      valueLabels: k === 'p99',
      points: c.steps.map((s) => ({
        x: s.offeredFramesPerSecond,
        y: s.latencyMs[k],
        label: `${k} ${Math.round(s.latencyMs[k])} ms at ${s.offeredFramesPerSecond} offered frames/s (${Math.round(s.deliveredFramesPerSecond)} delivered)`,
      })),
    }));
    const sustained = c.sustainedFramesPerSecond;
    return {
      file: 'latency-vs-load.svg',
      svg: lineChart({
        title: `Latency against offered load, ${c.options.clients} clients`,
        subtitle: `Send to every recipient. Sustained with p99 under ${c.options.p99LimitMs} ms: ${sustained === null ? 'none' : `${Math.round(sustained)} frames/s`}; peak delivered ${Math.round(c.peakDeliveredFramesPerSecond)} frames/s. ${runLabel(r)}.`,
        xLabel: 'offered frames/s (log)',
        yLabel: 'latency ms (log)',
        xScale: 'log',
        yScale: 'log',
        series,
        references: [{ y: c.options.p99LimitMs, label: `p99 limit ${c.options.p99LimitMs} ms` }],
      }),
    };
  }
  // Results from before the curve stage: the first latency run (the issue's 100 named clients) is
  // one offered load, so the chart is one point per percentile until a run with the curve replaces it.
  const l = r.latency?.[0];
  if (!l) return undefined;
  return {
    file: 'latency-vs-load.svg',
    svg: lineChart({
      title: `Latency at one offered load, ${l.options.clients} clients`,
      subtitle: `No load curve in this results file (it predates the curve stage): the latency run only, ${Math.round(l.framesPerSecond)} frames/s delivered. ${runLabel(r)}.`,
      xLabel: 'offered frames/s',
      yLabel: 'latency ms (log)',
      xScale: 'linear',
      yScale: 'log',
      xMax: l.offeredFramesPerSecond * 2,
      series: pct.map((k) => ({
        name: `${k} latency`,
        valueLabels: true,
        points: [{ x: l.offeredFramesPerSecond, y: l.latencyMs[k] }],
      })),
      references: [{ y: 100, label: 'p99 target 100 ms' }],
    }),
  };
}

function fanOutChart(r: BenchResults): Chart | undefined {
  const points = r.fanOut?.points ?? [];
  if (points.length === 0 && !r.floor?.length) return undefined;
  const series: LineSeries[] = [
    {
      name: 'our pipeline',
      points: points.map((p) => ({ x: p.connections, y: p.medianPipelineMs })),
      valueLabels: true,
    },
    {
      name: 'naive baseline',
      points: points.map((p) => ({ x: p.connections, y: p.medianNaiveMs })),
      valueLabels: true,
    },
    {
      name: 'raw ws floor',
      points: (r.floor ?? []).map((f) => ({ x: f.connections, y: f.medianFanOutMs })),
      dashed: true,
      valueLabels: true,
    },
  ];
  return {
    file: 'fanout-vs-connections.svg',
    svg: lineChart({
      title: 'Fan-out of one public message against connections',
      subtitle: `Send to last recipient, median of ${points[0]?.runs ?? '?'}; ${r.fanOut?.callbackLatencyMs ?? '?'} ms simulated PostToConnection round trip. ${runLabel(r)}.`,
      xLabel: 'connections (log)',
      yLabel: 'ms (log)',
      xScale: 'log',
      yScale: 'log',
      series,
    }),
  };
}

function cpuChart(r: BenchResults): Chart | undefined {
  const points = r.fanOut?.points ?? [];
  if (points.length === 0) return undefined;
  return {
    file: 'cpu-per-frame.svg',
    svg: barChart({
      title: 'CPU per delivered frame, broadcaster and naive',
      subtitle: `Thread CPU of every environment of the function (${points[0]?.cpuSource ?? '?'}) / frames delivered, median of the runs. ${runLabel(r)}.`,
      xLabel: 'connections',
      yLabel: 'CPU ms per delivered frame',
      seriesNames: ['broadcaster', 'naive function'],
      groups: points.map((p) => ({
        label: p.connections.toLocaleString('en-US'),
        values: [p.medianBroadcasterCpuPerFrameMs, p.medianNaiveCpuPerFrameMs],
      })),
      references: [{ y: CPU_TARGET_MS, label: `target ${CPU_TARGET_MS} ms` }],
    }),
  };
}

function joinChart(r: BenchResults): Chart | undefined {
  const j = r.join;
  if (!j) return undefined;
  const s = (v: number | undefined) => (v === undefined ? Number.NaN : v / 1000);
  return {
    file: 'join-burst.svg',
    svg: barChart({
      title: `${j.clients.toLocaleString('en-US')} clients set their names ${j.inFlight > 0 ? `(${j.inFlight} requests in flight)` : 'at once'}`,
      subtitle: `Whole join: first setName to last acknowledgement. Settle: last acknowledgement until every client's members list (from members pages and presence deltas) is exact for good${j.settleMs === undefined ? `: NOT EXACT after ${j.settleTimeoutMs / 1000} s, so no bar` : ''}. ${j.frames.total.toLocaleString('en-US')} frames received. ${runLabel(r)}.`,
      xLabel: 'clients',
      yLabel: 'seconds',
      seriesNames: ['whole join', 'settle'],
      groups: [{ label: j.clients.toLocaleString('en-US'), values: [s(j.joinMs), s(j.settleMs)] }],
      references: [
        {
          y: j.target.settleMs / 1000,
          label: `settle target ${j.target.settleMs / 1000} s for ${j.target.clients.toLocaleString('en-US')}`,
        },
      ],
    }),
  };
}

/** Every chart the results can fill; a stage the run skipped gives no chart. */
export function chartsFromResults(r: BenchResults): Chart[] {
  return [latencyChart(r), fanOutChart(r), cpuChart(r), joinChart(r)].filter(
    (c): c is Chart => c !== undefined,
  );
}

export function writeCharts(r: BenchResults, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return chartsFromResults(r).map((c) => {
    const file = path.join(dir, c.file);
    writeFileSync(file, `${c.svg}\n`);
    return file;
  });
}
