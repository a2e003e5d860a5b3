/**
 * The bench's view of the local stack: only what it needs, so a change in local/ is absorbed here.
 * Counters come from stack.stats(); the bench reads them as deltas around each measured action.
 */
import type { LocalStack, StackStats } from '../../local/stack';

export interface CallCounts {
  /** DynamoDB calls by operation (PutItem, Query, ...). */
  dynamodb: Record<string, number>;
  eventBridgePutEventsCalls: number;
  eventBridgeEntries: number;
  postToConnection: number;
  postToConnectionGone: number;
  postToConnectionBytes: number;
  messagesIn: number;
  lambdaInvocations: Record<string, number>;
  lambdaErrors: Record<string, number>;
  /** Invocations that started a new execution environment, per function. */
  lambdaColdStarts: Record<string, number>;
  /** Sum of billed milliseconds x memory, per function, in GB-seconds. */
  lambdaGbSeconds: Record<string, number>;
  /** CPU time of the functions' environments during their handlers, per function (the local Lambda's accounting). */
  lambdaCpuMs: Record<string, number>;
  connectionsOpened: number;
}

export interface BenchStack {
  raw: LocalStack;
  /** Where lambdaCpuMs comes from: thread (process.threadCpuUsage), schedstat (Linux) or event-loop. */
  cpuSource(): string;
  webSocketUrl: string;
  counts(): CallCounts;
  resetCounts(): void;
  drain(): Promise<void>;
  invoke(logicalId: string, event: unknown): Promise<{ ok: boolean; error?: string; durationMs?: number }>;
  recentLogs(filter: (line: string) => boolean, max: number): string[];
  stop(): Promise<void>;
}

export async function startBenchStack(opts: {
  templatePath: string;
  callbackLatencyMs: number;
}): Promise<BenchStack> {
  const logs: string[] = [];
  // Summed here from each invocation's report: the stack's own stats carry no CPU time.
  let cpuMs: Record<string, number> = {};
  let cpuSource = 'none';
  const keep = (line: string) => {
    logs.push(line);
    if (logs.length > 5000) logs.splice(0, 1000);
  };
  // Loaded on first use: a run of only the cold-start and floor stages needs no stack.
  const { startLocalStack } = await import('../../local/stack');
  const stack = await startLocalStack({
    templatePath: opts.templatePath,
    port: 0,
    callbackLatencyMs: opts.callbackLatencyMs,
    // Kept in memory (the last few thousand lines) to explain a lost or duplicated frame.
    log: {
      warn: (message) => keep(`WARN ${message}`),
      functionLog: (fn, line) => keep(`${fn.logicalId} ${line}`),
      invocation: (report) => {
        if (report.cpu) {
          cpuMs[report.functionLogicalId] = (cpuMs[report.functionLogicalId] ?? 0) + report.cpu.ms;
          cpuSource = report.cpu.source;
        }
        if (report.outcome !== 'success') keep(`INVOCATION ${JSON.stringify(report)}`);
      },
      gateway: (activity) => {
        if (activity.type !== 'connect') keep(`GATEWAY ${JSON.stringify(activity)}`);
      },
    },
  });
  return {
    raw: stack,
    webSocketUrl: stack.webSocketUrl(),
    cpuSource: () => cpuSource,
    counts: () => ({ ...toCounts(stack.stats()), lambdaCpuMs: { ...cpuMs } }),
    resetCounts: () => {
      stack.resetStats();
      cpuMs = {};
    },
    drain: () => stack.drain(),
    async invoke(logicalId, event) {
      const result = await stack.lambda.invoke(logicalId, event, { label: 'bench' });
      return result.ok
        ? { ok: true }
        : { ok: false, error: `${result.error.errorType}: ${result.error.errorMessage}` };
    },
    recentLogs: (filter, max) => logs.filter(filter).slice(-max),
    stop: () => stack.stop(),
  };
}

function toCounts(stats: StackStats): Omit<CallCounts, 'lambdaCpuMs'> {
  const fns = Object.entries(stats.functions);
  return {
    dynamodb: { ...(stats.aws.dynamodb ?? {}) },
    eventBridgePutEventsCalls: stats.eventBridge.putEventsCalls,
    eventBridgeEntries: stats.eventBridge.entries,
    postToConnection: stats.gateway.postToConnection.calls,
    postToConnectionGone: stats.gateway.postToConnection.gone,
    postToConnectionBytes: stats.gateway.postToConnection.bytes,
    messagesIn: stats.gateway.messagesIn,
    lambdaInvocations: Object.fromEntries(fns.map(([id, f]) => [id, f.invocations])),
    lambdaErrors: Object.fromEntries(fns.map(([id, f]) => [id, f.errors])),
    lambdaColdStarts: Object.fromEntries(fns.map(([id, f]) => [id, f.coldStarts])),
    // Billed duration as the local stack measured it, at the function's configured memory.
    lambdaGbSeconds: Object.fromEntries(
      fns.map(([id, f]) => [id, (f.billedMs / 1000) * (f.memorySizeMb / 1024)]),
    ),
    connectionsOpened: stats.gateway.connectionsOpened,
  };
}
