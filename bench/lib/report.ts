/** The printed report: Markdown tables, so the same text goes to the terminal and docs/benchmarks.md. */
import type { ColdStartEntry } from './cold-start-stage';
import { type PRICES, REGION } from './cost';
import type { ActionCost, MessageCost } from './cost-stage';
import type { CurveResult } from './curve';
import type { FloorResult } from './floor';
import { describeDifferences, type JoinResult, type MembersAtScaleResult } from './join-stage';
import { describeAssumptions, type ProjectionResult } from './projection';
import type { FanOutPoint, LatencyResult, LoadResult } from './scenarios';

export interface BenchResults {
  meta: {
    date: string;
    startedAt: string;
    durationMs: number;
    commit: string;
    node: string;
    cpus: number;
    cpuModel: string;
    quick: boolean;
    options: Record<string, unknown>;
    stageMs: Record<string, number>;
  };
  prices: { region: string; currency: string; prices: typeof PRICES };
  coldStart?: ColdStartEntry[];
  floor?: FloorResult[];
  latency?: LatencyResult[];
  curve?: CurveResult;
  fanOut?: { callbackLatencyMs: number; points: FanOutPoint[] };
  actions?: { connections: number; callbackLatencyMs: number; costs: ActionCost[] };
  messageCosts?: MessageCost[];
  join?: JoinResult;
  members?: MembersAtScaleResult;
  load?: LoadResult;
  projection?: ProjectionResult;
  failures: string[];
}

const ms = (v: number | undefined) =>
  v === undefined || Number.isNaN(v) ? 'n/a' : v < 10 ? v.toFixed(1) : v.toFixed(0);
const cpu = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(2));
const n = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 0 });
const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)}x` : 'n/a');
const usd = (v: number) => (v >= 100 ? `$${v.toFixed(0)}` : v >= 1 ? `$${v.toFixed(2)}` : `$${v.toFixed(4)}`);

function table(head: string[], rows: (string | number)[][]): string {
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

export function renderReport(r: BenchResults): string {
  const out: string[] = [];
  const m = r.meta;
  out.push(
    `Benchmark ${m.date} (commit ${m.commit}), ${m.cpus} x ${m.cpuModel}, Node ${m.node}${m.quick ? ', QUICK run' : ''}; took ${(m.durationMs / 1000).toFixed(0)} s.`,
  );

  if (r.latency?.length) {
    out.push('', '### 1. End-to-end latency (local stack, named clients, send -> every recipient)', '');
    out.push(
      table(
        [
          'clients',
          'senders',
          'msg/s',
          'messages',
          'deliveries',
          'p50 ms',
          'p95 ms',
          'p99 ms',
          'delivered frames/s',
          'lost',
          'dup',
        ],
        r.latency.map((l) => [
          n(l.options.clients),
          l.options.senders,
          l.options.messagesPerSecond,
          n(l.messages),
          n(l.delivered),
          ms(l.latencyMs.p50),
          ms(l.latencyMs.p95),
          ms(l.latencyMs.p99),
          n(l.framesPerSecond),
          l.lost,
          l.duplicated,
        ]),
      ),
    );
    out.push(
      '',
      r.latency
        .map(
          (l) =>
            `${n(l.options.clients)} clients: ${n(l.connect.connectsPerSecond)} $connect/s for the new connections` +
            (l.connect.named > 0
              ? `, ${l.connect.named} names set in ${ms(l.connect.nameMs)} ms and their join broadcasts delivered ${ms(l.connect.joinSettleMs)} ms later.`
              : '.'),
        )
        .join(' '),
    );
  }

  if (r.curve?.steps.length) {
    const c = r.curve;
    out.push(
      '',
      `### 1b. Frames/s curve (${n(c.options.clients)} clients, ${c.senders} senders round robin, ${c.options.secondsPerStep} s per step)`,
      '',
    );
    out.push(
      table(
        [
          'offered frames/s',
          'sent frames/s',
          'delivered frames/s',
          'msg/s',
          'deliveries',
          'p50 ms',
          'p95 ms',
          'p99 ms',
          'lost',
          'dup',
        ],
        c.steps.map((s) => [
          n(s.offeredFramesPerSecond),
          n(s.sentFramesPerSecond),
          n(s.deliveredFramesPerSecond),
          Number(s.messagesPerSecond.toFixed(2)),
          n(s.delivered),
          ms(s.latencyMs.p50),
          ms(s.latencyMs.p95),
          ms(s.latencyMs.p99),
          s.lost,
          s.duplicated,
        ]),
      ),
    );
    out.push(
      '',
      `Highest delivered frames/s with p99 under ${c.options.p99LimitMs} ms: **${c.sustainedFramesPerSecond === null ? 'none (no step stayed under it)' : n(c.sustainedFramesPerSecond)}**; the most any step delivered: ${n(c.peakDeliveredFramesPerSecond)} frames/s.` +
        (c.stoppedEarly
          ? ` Stopped after ${n(c.steps.at(-1)?.offeredFramesPerSecond ?? 0)}: ${c.stoppedEarly}.`
          : ''),
    );
  }

  if (r.fanOut?.points.length) {
    const floors = new Map((r.floor ?? []).map((f) => [f.connections, f]));
    out.push(
      '',
      `### 2-3. Fan-out of one public message (${r.fanOut.callbackLatencyMs} ms simulated round trip per PostToConnection), median of ${r.fanOut.points[0]?.runs} runs`,
      '',
    );
    out.push(
      table(
        [
          'connections',
          'our pipeline ms',
          'naive baseline ms',
          'naive / pipeline',
          'raw ws floor ms',
          'pipeline / floor',
          'first recipient ms (pipeline / naive)',
          'CPU ms per delivered frame (broadcaster / naive)',
          '$connect/s',
        ],
        r.fanOut.points.map((p) => {
          const f = floors.get(p.connections);
          return [
            n(p.connections),
            ms(p.medianPipelineMs),
            ms(p.medianNaiveMs),
            x(p.naiveOverPipeline),
            f ? ms(f.medianFanOutMs) : 'n/a',
            f ? x(p.medianPipelineMs / f.medianFanOutMs) : 'n/a',
            `${ms(p.medianPipelineFirstMs)} / ${ms(p.medianNaiveFirstMs)}`,
            `${cpu(p.medianBroadcasterCpuPerFrameMs)} / ${cpu(p.medianNaiveCpuPerFrameMs)}`,
            p.connect.connections > 0 && p.connect.connectMs > 0 ? n(p.connect.connectsPerSecond) : '-',
          ];
        }),
      ),
    );
    out.push(
      '',
      `CPU per delivered frame: CPU time of every environment of the function during its handlers (the local Lambda's per-invocation accounting, source: ${r.fanOut.points[0]?.cpuSource ?? 'n/a'}), divided by the PostToConnection calls answered 200; the broadcaster's includes its shard Query and idempotency writes, the naive function's its Scan.`,
    );
    // A measured run that started environments, or retried posts, is not the warm steady state.
    for (const p of r.fanOut.points) {
      const cold = p.pipelineColdStarts ?? [];
      const extra = p.pipelineExtraPosts ?? [];
      if (cold.some((c) => c > 0) || extra.some((e) => e > 0))
        out.push(
          '',
          `At ${n(p.connections)}: broadcaster cold starts per measured run ${cold.join(', ')}; posts retried per run ${extra.join(', ')}.`,
        );
    }
  } else if (r.floor?.length) {
    out.push('', '### 3. Floor: raw ws broadcast in one process', '');
    out.push(
      table(
        ['connections', 'floor ms'],
        r.floor.map((f) => [n(f.connections), ms(f.medianFanOutMs)]),
      ),
    );
  }

  if (r.coldStart?.length) {
    out.push(
      '',
      `### 4. Cold start (module init in a fresh node process, median of ${r.coldStart[0]?.runs})`,
      '',
    );
    out.push(
      table(
        [
          'function',
          'bundle KB',
          'init ms',
          'init CPU ms',
          'init ms without --enable-source-maps',
          'whole process ms',
        ],
        r.coldStart.map((c) => [
          c.logicalId,
          n(c.bundleBytes / 1024),
          ms(c.medianInitMs),
          // Results files from before the CPU column have none.
          c.medianInitCpuMs === undefined ? '-' : ms(c.medianInitCpuMs),
          ms(c.medianInitMsWithoutSourceMaps),
          ms(c.medianProcessMs),
        ]),
      ),
    );
  }

  if (r.actions?.costs.length) {
    out.push(
      '',
      `### 5. Calls per chat action (${n(r.actions.connections)} connections, counted by the local stack)`,
      '',
    );
    out.push(
      table(
        [
          'action',
          'DynamoDB calls',
          'EventBridge entries',
          'PostToConnection',
          'Lambda invocations',
          'per 1,000 deliveries: DynamoDB / EventBridge / Lambda',
          '$ per million actions (without Lambda duration)',
        ],
        r.actions.costs.map((a) => {
          const ddb = Object.entries(a.counts.dynamodb)
            .filter(([, v]) => v > 0)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ');
          const inv = Object.values(a.counts.lambdaInvocations).reduce((s, v) => s + v, 0);
          const per = a.per1000Deliveries;
          const ddbCalls = Object.values(a.counts.dynamodb).reduce((s, v) => s + v, 0);
          const postCalls = a.counts.postToConnection || 1;
          return [
            a.action,
            ddb || '0',
            a.counts.eventBridgeEntries,
            a.counts.postToConnection,
            inv,
            per
              ? `${((ddbCalls * 1000) / postCalls).toFixed(1)} / ${((a.counts.eventBridgeEntries * 1000) / postCalls).toFixed(1)} / ${((inv * 1000) / postCalls).toFixed(1)}`
              : '-',
            usd(a.costPerMillionActions.total - a.costPerMillionActions.lambdaGbSeconds),
          ];
        }),
      ),
    );
  }

  if (r.messageCosts?.length) {
    out.push('', `### 5. Cost per million public messages (${REGION} list prices)`, '');
    out.push(
      table(
        [
          'design',
          'recipients',
          'API Gateway messages',
          'DynamoDB (est.)',
          'EventBridge',
          'Lambda requests',
          'total without Lambda duration',
          'Lambda duration (local, upper bound)',
        ],
        r.messageCosts.map((c) => {
          const k = c.costPerMillionMessages;
          return [
            c.design,
            n(c.connections),
            usd(k.apiGatewayMessages),
            usd(k.dynamoDbReadUnits + k.dynamoDbWriteUnits),
            usd(k.eventBridgeEvents),
            usd(k.lambdaRequests),
            usd(k.total - k.lambdaGbSeconds),
            usd(k.lambdaGbSeconds),
          ];
        }),
      ),
    );
    out.push(
      '',
      `Prices: API Gateway WebSocket $1.00/million messages (32 KB units) and $0.25/million connection minutes; Lambda arm64 $0.20/million requests and $0.0000133334/GB-s; DynamoDB on-demand $0.625/million WRU, $0.125/million RRU; EventBridge $1.00/million custom events (64 KB chunks). Lambda duration is billed time measured on this shared 2-core machine at 1,024 MB, far slower than on Lambda, so it is shown apart as an upper bound; DynamoDB units are estimated from the counted calls (items under 1 KB).`,
    );
  }

  if (r.load) {
    const l = r.load;
    out.push('', '### Load and loss (exactly once, every recipient, every message)', '');
    out.push(
      table(
        [
          'clients',
          'msgs/client',
          'msg/s',
          'messages',
          'expected deliveries',
          'delivered',
          'lost',
          'duplicated',
          'delivered frames/s',
          'p50 ms',
          'p99 ms',
          'duration s',
        ],
        [
          [
            n(l.options.clients),
            l.options.messagesPerClient,
            l.options.messagesPerSecond,
            n(l.messages),
            n(l.expectedDeliveries),
            n(l.delivered),
            n(l.lost),
            n(l.duplicated),
            n(l.framesPerSecond),
            ms(l.latencyMs.p50),
            ms(l.latencyMs.p99),
            (l.durationMs / 1000).toFixed(0),
          ],
        ],
      ),
    );
  }

  if (r.join || r.members) {
    out.push(
      '',
      '### 7. Joins and the members list (every client builds its list from members pages and presence deltas)',
      '',
    );
    const rows: string[][] = [];
    const j = r.join;
    if (j) {
      const met =
        j.settleMs !== undefined &&
        !j.failure &&
        j.clients >= j.target.clients &&
        j.settleMs <= j.target.settleMs;
      rows.push([
        `${n(j.clients)} clients set their names ${j.inFlight > 0 ? `(${j.inFlight} requests in flight)` : 'at once'}: last acknowledgement -> every list exact (for good)`,
        `at most ${n(j.target.settleMs / 1000)} s for ${n(j.target.clients)}`,
        j.settleMs === undefined
          ? `FAILED (not exact after ${n(j.settleTimeoutMs / 1000)} s)`
          : `${(j.settleMs / 1000).toFixed(1)} s`,
        j.failure
          ? 'failed'
          : met
            ? 'met'
            : j.clients < j.target.clients
              ? 'not run at the target size'
              : 'missed',
      ]);
      rows.push([
        'whole join: first setName -> last acknowledgement',
        'report',
        `${(j.joinMs / 1000).toFixed(1)} s (${n(j.acknowledged)} acknowledged${j.gatewayTimeouts ? `, ${n(j.gatewayTimeouts)} of them after API Gateway's 29 s integration timeout` : ''})`,
        '-',
      ]);
      rows.push([
        'last acknowledgement -> the first moment every list was exact at once',
        'report',
        j.firstExactMs === undefined
          ? 'n/a'
          : `${(j.firstExactMs / 1000).toFixed(1)} s (then undone ${n(j.regressions)} times)`,
        '-',
      ]);
      rows.push([
        'first setName -> every list exact for good',
        'report',
        j.totalMs === undefined ? 'n/a' : `${(j.totalMs / 1000).toFixed(1)} s`,
        '-',
      ]);
      const types = (t: Record<string, number>) =>
        Object.entries(t)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${n(v)}`)
          .join(', ');
      rows.push([
        'frames received by all clients until exact',
        'report',
        `${n(j.frames.total)} (${n(j.frames.total / j.clients)} per client, ${n(j.frames.bytes / 1024)} KB): ${types(j.frames.byType)}`,
        '-',
      ]);
      rows.push([
        '... until the stack was quiet',
        'report',
        `${n(j.framesWhenQuiet.total)}${j.drained === false ? ' (the stack was still delivering when the wait ended)' : ''}; lists still exact: ${j.exactWhenQuiet ? 'yes' : `NO (${j.notExact} not)`}`,
        '-',
      ]);
    }
    const m = r.members;
    if (m) {
      rows.push([
        `members list to a joiner with ${n(m.seeded)} members seeded`,
        'works at 100,000 members',
        m.exact
          ? `all ${n(m.names)} names in ${m.listPages} pages, ${n(m.bytesPerPage.min)}-${n(m.bytesPerPage.max)} bytes (median ${n(m.bytesPerPage.median)}); last page ${((m.lastPageMs ?? 0) / 1000).toFixed(1)} s after setName`
          : 'FAILED',
        m.failure ? 'failed' : m.seeded >= 100_000 ? 'met' : 'not run at the target size',
      ]);
    }
    out.push(table(['measure', 'target', 'measured', ''], rows));
    if (j?.failure) out.push('', `Join failure: ${j.failure}`);
    else if (j && !j.exactWhenQuiet)
      out.push('', `Lists no longer exact: ${describeDifferences(j.differences)}`);
    if (m?.failure) out.push('', `Members list failure: ${m.failure}`);
    if (m)
      out.push(
        '',
        `Seeding ${n(m.seeded)} members (connection item and name claim each, BatchWriteItem to dynalite) took ${(m.seedMs / 1000).toFixed(0)} s in ${n(m.seedCalls)} calls; the seeded connections sit outside the delivery shards (no sockets behind them).`,
      );
  }

  if (r.projection?.rows.length) {
    const pr = r.projection;
    const a = pr.assumptions;
    out.push(
      '',
      `### 6. Projection to Lambda at ${a.memoryMb} MB (a model on paper, from the CPU per post measured at ${n(pr.measuredAtConnections)} connections)`,
      '',
    );
    out.push(
      table(
        [
          'recipients',
          'design',
          'CPU ms per post (measured)',
          'send concurrency',
          'parallel deliveries',
          'posts/s per delivery (bound)',
          'posts/s in all (bound)',
          'wall time s',
          'GB-s per message',
          'Lambda duration $ per million messages',
        ],
        pr.rows.map((p) => [
          n(p.recipients),
          p.design,
          cpu(p.cpuPerPostMs),
          p.sendConcurrency,
          n(p.parallelDeliveries),
          `${n(p.postsPerSecondPerDelivery)} (${p.deliveryLimitedBy})`,
          `${n(p.postsPerSecond)} (${p.limitedBy})`,
          `${(p.wallMs / 1000).toFixed(1)}${p.exceedsTimeout ? ` (each delivery ${(p.deliveryMs / 1000).toFixed(0)} s: over the ${((p.timeoutMs ?? a.deliveryTimeoutMs) / 1000).toFixed(0)} s timeout)` : ''}`,
          p.gbSeconds.toFixed(1),
          usd(p.usdPerMillionMessages),
        ]),
      ),
    );
    const reach = pr.designs
      .map((d) => {
        const row = pr.rows.find((p) => p.design === d.design);
        return row
          ? `${d.design} ${n(row.deliveriesToReachThrottle)} (at ${n(row.postsPerSecondPerDelivery)} posts/s each${d.fixed ? `; it is one invocation by design, so it stays at ${n(row.postsPerSecondPerDelivery)} posts/s` : ''})`
          : undefined;
      })
      .filter((x): x is string => x !== undefined)
      .join(', ');
    out.push(
      '',
      `Parallel deliveries it takes to reach API Gateway's ${n(a.accountRequestsPerSecond)} requests/s account throttle: ${reach}. Past that, more deliveries add GB-seconds and no speed.`,
      '',
      'Assumptions:',
      '',
      ...describeAssumptions(a).map((line) => `- ${line}`),
    );
  }

  if (r.failures.length) {
    out.push('', '### FAILURES', '', ...r.failures.map((f) => `- ${f}`));
  }
  return out.join('\n');
}
