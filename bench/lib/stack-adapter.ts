/**
 * The bench's view of the local stack: only what it needs, so a change in local/ is absorbed here.
 * Counters come from stack.stats(); the bench reads them as deltas around each measured action.
 */
import { type LocalStack, startLocalStack } from '../../local/stack';

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
  /** Sum of billed milliseconds x memory, per function, in GB-seconds. */
  lambdaGbSeconds: Record<string, number>;
  connectionsOpened: number;
}

export interface BenchStack {
  raw: LocalStack;
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
  const stack = await startLocalStack({
    templatePath: opts.templatePath,
    port: 0,
    callbackLatencyMs: opts.callbackLatencyMs,
    log: (line: string) => {
      logs.push(line);
      if (logs.length > 5000) logs.splice(0, 1000);
    },
  });
  return {
    raw: stack,
    webSocketUrl: stack.webSocketUrl(),
    counts: () => toCounts(stack.stats()),
    resetCounts: () => stack.resetStats(),
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

function toCounts(stats: ReturnType<LocalStack['stats']>): CallCounts {
  return stats as unknown as CallCounts;
}
