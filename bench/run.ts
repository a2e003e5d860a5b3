/**
 * `npm run bench`: every number of docs/benchmarks.md in one run on this machine, against the
 * local stack on 127.0.0.1. Prints Markdown tables, writes bench/results/<date>.json and exits
 * non-zero when any frame was lost or duplicated. Never part of `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { writeCharts } from './lib/charts';
import { ClientPool } from './lib/client-pool';
import { coldStartStage } from './lib/cold-start-stage';
import { actionCosts, messageCosts, PRICE_SHEET } from './lib/cost-stage';
import { type CurveResult, runCurve } from './lib/curve';
import { readDeliveryParameters, writeDerivedTemplate } from './lib/derived-template';
import { measureFloor } from './lib/floor';
import {
  type JoinResult,
  type MembersAtScaleResult,
  runJoinBurst,
  runMembersAtScale,
} from './lib/join-stage';
import { projectionFrom } from './lib/projection';
import { type BenchResults, renderReport } from './lib/report';
import {
  type DeliveryFailure,
  type FanOutPoint,
  type LatencyResult,
  measureActions,
  NAME_PREFIX,
  runFanOut,
  runLatency,
  runLoad,
} from './lib/scenarios';
import { type BenchStack, startBenchStack } from './lib/stack-adapter';

const ROOT = path.resolve(__dirname, '..');
const STAGES = ['cold', 'floor', 'latency', 'curve', 'fanout', 'join', 'load'] as const;
/** Stages a default run leaves out (too long for it): --members-100k or --stages adds them. */
const OPT_IN_STAGES = ['members'] as const;
type Stage = (typeof STAGES)[number] | (typeof OPT_IN_STAGES)[number];

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('not a whole number');
  return n;
};
const num = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('not a positive number');
  return n;
};
const list = (parse: (v: string) => number) => (v: string) => v.split(',').map((s) => parse(s.trim()));

const program = new Command()
  .name('npm run bench --')
  .description(
    'Latency, fan-out against a naive baseline and a raw-ws floor, cold start, cost, and exact-once delivery under load.',
  )
  .option('--quick', 'a 1-2 minute smoke run with small sizes', false)
  .option(
    '--stages <list>',
    `comma-separated subset of ${[...STAGES, ...OPT_IN_STAGES].join(',')}`,
    (v) => v.split(',') as Stage[],
  )
  .option(
    '--latency-clients <list>',
    'clients per latency run (the first --latency-named of them set a name)',
    list(int),
  )
  .option(
    '--latency-rates <list>',
    'public messages per second (all senders together), one per latency run; overrides --latency-load',
    list(num),
  )
  .option(
    '--latency-load <frames/s>',
    'offered deliveries per second in each latency run (rate = load / clients)',
    num,
    400,
  )
  .option('--latency-senders <n>', 'clients that send, round robin', int, 10)
  .option('--latency-named <n>', 'how many latency clients set a name (joins cost O(n^2) frames)', int, 100)
  .option('--latency-seconds <n>', 'how long each latency run sends', num)
  .option(
    '--curve-clients <n>',
    'connections in the frames/s curve (default: the first --latency-clients size; the curve runs at that size)',
    int,
  )
  .option('--curve-loads <list>', 'offered frames/s of each curve step, ascending', list(num))
  .option('--curve-seconds <n>', 'how long each curve step sends', num)
  .option('--curve-p99 <ms>', 'the p99 a curve step must stay under to count as sustained', num, 100)
  .option(
    '--curve-stop-p99 <ms>',
    'stop the curve after a step whose p99 is above this (it always stops after the first saturated step)',
    num,
    5000,
  )
  .option('--fanout-clients <list>', 'connections for the fan-out runs (ascending)', list(int))
  .option('--fanout-runs <n>', 'measured broadcasts per design and size (after one warm-up)', int)
  .option('--callback-latency <ms>', 'simulated PostToConnection round trip in every stage', int, 20)
  .option(
    '--join-clients <n>',
    'clients that set their names in one burst in the join stage (default 1000)',
    int,
  )
  .option(
    '--join-in-flight <n>',
    'setName requests in flight at once in the join stage (0: all at once)',
    int,
    0,
  )
  .option(
    '--join-timeout <s>',
    'how long after the last name acknowledgement every members list may take to become exact',
    num,
    120,
  )
  .option(
    '--members-100k',
    'also run the members-list stage (seeded members, one real joiner; a few minutes)',
    false,
  )
  .option('--members-count <n>', 'members seeded for the members-list stage', int, 100_000)
  .option('--load-clients <n>', 'named clients in the load run', int)
  .option('--load-messages <n>', 'public messages each load client sends', int)
  .option('--load-rate <n>', 'public messages per second in the load run (all clients together)', num)
  .option('--cold-start-runs <n>', 'fresh processes per function', int)
  .option('--payload-bytes <n>', 'size of each chat message text', int, 100)
  .option('--connect-concurrency <n>', 'WebSocket handshakes in flight while connecting clients', int, 16)
  .option('--out <file>', 'results file (default bench/results/<date>.json)')
  .option('--no-write', 'do not write a results file')
  .option('--charts <dir>', 'write the SVG charts here (default docs/bench for a full run; none for --quick)')
  .option('--no-charts', 'write no SVG charts')
  .option('--render <file>', 'print the tables of an earlier results file and exit');

interface Options {
  quick: boolean;
  stages?: Stage[];
  latencyClients?: number[];
  latencyRates?: number[];
  latencyLoad: number;
  latencySenders: number;
  latencyNamed: number;
  latencySeconds?: number;
  curveClients?: number;
  curveLoads?: number[];
  curveSeconds?: number;
  curveP99: number;
  curveStopP99: number;
  fanoutClients?: number[];
  fanoutRuns?: number;
  callbackLatency: number;
  joinClients?: number;
  joinTimeout: number;
  joinInFlight: number;
  members100k: boolean;
  membersCount: number;
  loadClients?: number;
  loadMessages?: number;
  loadRate?: number;
  coldStartRuns?: number;
  payloadBytes: number;
  connectConcurrency: number;
  out?: string;
  write: boolean;
  /** A directory, false for --no-charts, undefined for the default. */
  charts?: string | false;
  render?: string;
}

/** Defaults sized to finish in under 10 minutes on the 2-core machine (docs/benchmarks.md says why). */
function withDefaults(o: Options) {
  const q = o.quick;
  const latencyClients = o.latencyClients ?? (q ? [20, 100] : [100, 1000]);
  return {
    ...o,
    stages: [
      ...(o.stages ?? STAGES),
      ...(o.members100k && !o.stages?.includes('members') ? (['members'] as const) : []),
    ] as Stage[],
    joinClients: o.joinClients ?? (q ? 100 : 1000),
    latencyClients,
    // Doubling steps: the stack saturates somewhere on the way and the curve stops one step later,
    // so the steps past the knee cost nothing.
    curveClients: o.curveClients ?? latencyClients[0] ?? 100,
    curveLoads: o.curveLoads ?? (q ? [50, 100, 200, 400] : [100, 200, 400, 800, 1600, 3200, 6400]),
    curveSeconds: o.curveSeconds ?? (q ? 3 : 8),
    latencyLoad: q && o.latencyLoad === 400 ? 100 : o.latencyLoad,
    latencyNamed: q && o.latencyNamed === 100 ? 20 : o.latencyNamed,
    latencySeconds: o.latencySeconds ?? (q ? 5 : 20),
    fanoutClients: o.fanoutClients ?? (q ? [100, 1000] : [1000, 10000]),
    fanoutRuns: o.fanoutRuns ?? (q ? 1 : 3),
    loadClients: o.loadClients ?? (q ? 30 : 50),
    loadMessages: o.loadMessages ?? (q ? 3 : 10),
    loadRate: o.loadRate ?? (q ? 5 : 10),
    coldStartRuns: o.coldStartRuns ?? (q ? 3 : 7),
  };
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function describeFailure(where: string, f: DeliveryFailure): string {
  const logs = f.logLines.length ? ` Stack log lines: ${f.logLines.slice(-5).join(' || ')}` : '';
  return `${where}: ${f.kind === 'lost' ? 'LOST frame' : 'DUPLICATE frame'}: ${f.explanation}${logs}`;
}

async function main(): Promise<number> {
  const o = withDefaults(program.parse().opts<Options>());
  if (o.render) {
    // Re-print a results file's tables (e.g. for docs/benchmarks.md) without measuring anything.
    const earlier = JSON.parse(readFileSync(o.render, 'utf8')) as BenchResults;
    // Files from before the projection existed get it from their CPU per post and today's template.
    if (!earlier.projection && earlier.fanOut?.points.length) {
      const projection = projectionFrom({
        points: earlier.fanOut.points,
        ...readDeliveryParameters(path.join(ROOT, 'template.yaml')),
      });
      if (projection) earlier.projection = projection;
    }
    console.log(renderReport(earlier));
    return 0;
  }
  const started = new Date();
  const t0 = performance.now();
  const stageMs: Record<string, number> = {};
  const results: BenchResults = {
    meta: {
      date: started.toISOString().slice(0, 10),
      startedAt: started.toISOString(),
      durationMs: 0,
      commit: gitCommit(),
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      quick: o.quick,
      options: { ...o },
      stageMs,
    },
    prices: PRICE_SHEET,
    failures: [],
  };
  const log = (line: string) =>
    console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const stage = async <T>(name: Stage, fn: () => Promise<T>): Promise<T | undefined> => {
    if (!o.stages.includes(name)) return undefined;
    const s = performance.now();
    log(`${name}: start`);
    try {
      return await fn();
    } catch (err) {
      // One broken stage must not hide the others' numbers: record it, exit non-zero at the end.
      results.failures.push(`stage ${name} failed: ${(err as Error).stack ?? err}`);
      log(`${name}: FAILED: ${(err as Error).message}`);
      return undefined;
    } finally {
      stageMs[name] = Math.round(performance.now() - s);
      log(`${name}: done in ${(stageMs[name] / 1000).toFixed(0)} s`);
    }
  };

  const derived = writeDerivedTemplate(path.join(ROOT, 'template.yaml'), path.join(__dirname, 'naive'));
  const pool = await ClientPool.start();
  try {
    results.coldStart = await stage('cold', () => coldStartStage(derived.path, o.coldStartRuns));

    results.floor = await stage('floor', async () => {
      const out = [];
      for (const size of o.fanoutClients) {
        out.push(await measureFloor(pool, size, { runs: 5, payloadBytes: o.payloadBytes, concurrency: 200 }));
        log(`floor: ${size} sockets in ${out.at(-1)?.medianFanOutMs.toFixed(1)} ms`);
      }
      return out;
    });

    // Latency and fan-out share one stack and one growing set of connections: 100 named clients,
    // then unnamed ones up to 1,000 (latency), then up to 10,000 (fan-out). Starting over for
    // each would repeat the join broadcasts and thousands of $connects.
    const sharedStages = o.stages.filter((s) => s === 'latency' || s === 'curve' || s === 'fanout');
    let shared: BenchStack | undefined;
    let connected = 0;
    const sharedStack = async () => {
      shared ??= await startBenchStack({ templatePath: derived.path, callbackLatencyMs: o.callbackLatency });
      return shared;
    };

    // The curve runs on the shared stack at --curve-clients connections: inside the latency stage,
    // right after the latency run of that size or before the first larger one, else on its own.
    let curveDone = false;
    const curveStage = () => {
      curveDone = true;
      return stage('curve', async () => {
        const stack = await sharedStack();
        const r: CurveResult = await runCurve(stack, pool, {
          clients: o.curveClients,
          alreadyConnected: connected,
          named: o.latencyNamed,
          loads: o.curveLoads,
          secondsPerStep: o.curveSeconds,
          payloadBytes: o.payloadBytes,
          concurrency: o.connectConcurrency,
          p99LimitMs: o.curveP99,
          stopAboveP99Ms: o.curveStopP99,
          onStep: (s) => {
            log(
              `curve: offered ${s.offeredFramesPerSecond} frames/s, delivered ${s.deliveredFramesPerSecond.toFixed(0)}, p50 ${s.latencyMs.p50.toFixed(0)} ms p99 ${s.latencyMs.p99.toFixed(0)} ms`,
            );
            if (s.failure)
              results.failures.push(describeFailure(`curve ${s.offeredFramesPerSecond} frames/s`, s.failure));
          },
        });
        connected = Math.max(connected, o.curveClients);
        results.curve = r;
        log(
          `curve: sustained ${r.sustainedFramesPerSecond?.toFixed(0) ?? 'none'} frames/s with p99 under ${o.curveP99} ms`,
        );
      });
    };

    await stage('latency', async () => {
      const out: LatencyResult[] = [];
      results.latency = out;
      const stack = await sharedStack();
      for (const clients of o.latencyClients) {
        // A curve size between two latency sizes runs before the audience grows past it.
        if (!curveDone && clients > o.curveClients && o.stages.includes('curve')) await curveStage();
        const r = await runLatency(stack, pool, {
          clients,
          alreadyConnected: connected,
          named: o.latencyNamed,
          senders: o.latencySenders,
          messagesPerSecond: o.latencyRates?.[out.length] ?? o.latencyLoad / clients,
          seconds: o.latencySeconds,
          payloadBytes: o.payloadBytes,
          concurrency: o.connectConcurrency,
        });
        connected = clients;
        out.push(r);
        log(
          `latency: ${clients} clients p50 ${Number(r.latencyMs.p50).toFixed(1)} ms p99 ${Number(r.latencyMs.p99).toFixed(1)} ms, ${r.framesPerSecond.toFixed(0)} frames/s`,
        );
        if (r.failure) results.failures.push(describeFailure(`latency ${clients}`, r.failure));
        if (!curveDone && clients === o.curveClients && o.stages.includes('curve')) await curveStage();
      }
    });
    if (!curveDone && o.stages.includes('curve')) await curveStage();

    await stage('fanout', async () => {
      const stack = await sharedStack();
      // Filled as it goes, so a failure at 10,000 connections keeps the 1,000-connection numbers.
      const points: FanOutPoint[] = [];
      results.fanOut = { callbackLatencyMs: o.callbackLatency, points };
      for (const [i, size] of o.fanoutClients.entries()) {
        if (size < connected)
          throw new Error(`fan-out size ${size} is below the ${connected} clients already open`);
        const [p] = await runFanOut(stack, pool, {
          sizes: [size],
          runs: o.fanoutRuns,
          payloadBytes: o.payloadBytes,
          concurrency: o.connectConcurrency,
          alreadyConnected: connected,
          warmUp: i === 0,
        });
        connected = size;
        if (!p) continue;
        points.push(p);
        results.messageCosts = messageCosts(points);
        log(
          `fanout: ${p.connections} pipeline ${Number(p.medianPipelineMs).toFixed(0)} ms, naive ${Number(p.medianNaiveMs).toFixed(0)} ms`,
        );
        if (p.failure) results.failures.push(describeFailure(`fan-out ${p.connections}`, p.failure));
        if (i === 0) {
          // Chat actions are counted at the first size, before it grows.
          const actions = await measureActions(stack, pool, size, `${NAME_PREFIX}0`, o.payloadBytes);
          results.actions = {
            connections: size,
            callbackLatencyMs: o.callbackLatency,
            costs: actionCosts(actions),
          };
        }
      }
    });
    if (shared || sharedStages.length > 0) {
      await shared?.stop();
      await pool.closeAll();
    }

    results.join = await stage('join', async (): Promise<JoinResult> => {
      // A stack of its own: the room must hold exactly the names this burst sets.
      const stack = await startBenchStack({
        templatePath: derived.path,
        callbackLatencyMs: o.callbackLatency,
      });
      try {
        const r = await runJoinBurst(stack, pool, {
          clients: o.joinClients,
          inFlight: o.joinInFlight,
          concurrency: o.connectConcurrency,
          settleTimeoutMs: o.joinTimeout * 1000,
          ackTimeoutMs: o.joinTimeout * 1000,
        });
        log(
          `join: ${r.clients} names acknowledged in ${(r.joinMs / 1000).toFixed(1)} s; lists exact ${r.settleMs === undefined ? 'NEVER' : `${(r.settleMs / 1000).toFixed(1)} s`} after the last; ${r.frames.total} frames`,
        );
        if (r.failure) results.failures.push(`join ${r.clients}: ${r.failure}`);
        return r;
      } finally {
        await stack.stop();
        await pool.closeAll();
      }
    });

    results.members = await stage('members', async (): Promise<MembersAtScaleResult> => {
      const stack = await startBenchStack({
        templatePath: derived.path,
        callbackLatencyMs: o.callbackLatency,
      });
      try {
        let shown = 0;
        const r = await runMembersAtScale(stack, pool, {
          members: o.membersCount,
          timeoutMs: o.joinTimeout * 1000,
          onProgress: (written) => {
            if (written - shown >= 20_000) {
              shown = written;
              log(`members: ${written} members seeded`);
            }
          },
        });
        log(
          `members: ${r.seeded} seeded in ${(r.seedMs / 1000).toFixed(0)} s; the joiner's list ${r.exact ? `exact after ${((r.lastPageMs ?? 0) / 1000).toFixed(1)} s` : 'NOT exact'} in ${r.listPages} pages of at most ${r.bytesPerPage.max} bytes`,
        );
        if (r.failure) results.failures.push(`members ${r.seeded}: ${r.failure}`);
        return r;
      } finally {
        await stack.stop();
        await pool.closeAll();
      }
    });

    results.load = await stage('load', async () => {
      const stack = await startBenchStack({
        templatePath: derived.path,
        callbackLatencyMs: o.callbackLatency,
      });
      try {
        const r = await runLoad(stack, pool, {
          clients: o.loadClients,
          messagesPerClient: o.loadMessages,
          messagesPerSecond: o.loadRate,
          payloadBytes: o.payloadBytes,
          concurrency: o.connectConcurrency,
        });
        log(
          `load: ${r.delivered}/${r.expectedDeliveries} delivered, ${r.lost} lost, ${r.duplicated} duplicated`,
        );
        if (r.failure) results.failures.push(describeFailure('load', r.failure));
        if (r.timedOut && !r.failure)
          results.failures.push('load: the run timed out before every frame arrived');
        return r;
      } finally {
        await stack.stop();
        await pool.closeAll();
      }
    });
  } catch (err) {
    results.failures.push(`the bench itself failed: ${(err as Error).stack ?? err}`);
  } finally {
    await pool.stop();
    rmSync(path.dirname(derived.path), { recursive: true, force: true });
  }

  if (results.fanOut?.points.length) {
    // On paper, from this run's CPU per post: what Lambda would make of 10,000 and 100,000 recipients.
    const projection = projectionFrom({
      points: results.fanOut.points,
      ...readDeliveryParameters(path.join(ROOT, 'template.yaml')),
    });
    if (projection) results.projection = projection;
  }
  results.meta.durationMs = Math.round(performance.now() - t0);
  console.log(renderReport(results));
  if (o.write) {
    const file =
      o.out ?? path.join(__dirname, 'results', `${results.meta.date}${o.quick ? '-quick' : ''}.json`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${path.relative(process.cwd(), file)}`);
  }
  // A quick run's numbers are a smoke test: they must not replace the pictures in docs/.
  const chartDir =
    o.charts === false ? undefined : (o.charts ?? (o.quick ? undefined : path.join(ROOT, 'docs', 'bench')));
  if (chartDir) {
    for (const f of writeCharts(results, chartDir))
      log(`chart written to ${path.relative(process.cwd(), f)}`);
  }
  return results.failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
