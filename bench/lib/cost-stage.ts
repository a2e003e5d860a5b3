/** Counted calls -> billable usage -> dollars, per chat action and per million public messages. */
import { type CostBreakdown, costOf, PRICES, REGION, scaleUsage, type Usage } from './cost';
import type { ActionCounts, FanOutPoint } from './scenarios';
import type { CallCounts } from './stack-adapter';

/**
 * Bytes a Query/Scan reads per connection: the ByShard index is KEYS_ONLY (pk, shard,
 * connectionId: about 60 bytes by DynamoDB's item-size rules); the naive Scan reads whole
 * connection items (about 140 bytes with connectedAt, expiresAt and name). Reads of under 4 KB
 * still cost a unit, so these matter only at thousands of connections.
 */
const KEY_ONLY_BYTES = 60;
const FULL_ITEM_BYTES = 140;

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

export function usageOf(
  c: CallCounts,
  readsPerCall: { connections: number; bytesPerConnection: number },
): Usage {
  const d = c.dynamodb;
  const writes = (d.PutItem ?? 0) + (d.UpdateItem ?? 0) + (d.DeleteItem ?? 0) + (d.BatchWriteItem ?? 0);
  // A transaction costs two units per item; the chat writes at most two items per transaction.
  const transactions = (d.TransactWriteItems ?? 0) * 4;
  const scans = (d.Query ?? 0) + (d.Scan ?? 0);
  // Eventually consistent (index queries, Scan): half a unit per started 4 KB, at least half a unit a call.
  const bytes = readsPerCall.connections * readsPerCall.bytesPerConnection;
  const scanUnits = scans > 0 ? Math.max(scans * 0.5, Math.ceil(bytes / 4096) * 0.5) : 0;
  return {
    dynamoDbWriteUnits: writes + transactions,
    // GetItem is strongly consistent here (ConsistentRead: true, items under 4 KB): one unit.
    dynamoDbReadUnits: (d.GetItem ?? 0) + (d.BatchGetItem ?? 0) + scanUnits,
    eventBridgeEvents: c.eventBridgeEntries,
    apiGatewayMessages: c.messagesIn + c.postToConnection,
    lambdaRequests: sum(c.lambdaInvocations),
    lambdaGbSeconds: sum(c.lambdaGbSeconds),
  };
}

export interface ActionCost {
  action: string;
  recipients: number;
  counts: CallCounts;
  usage: Usage;
  /** Usage per 1,000 frames delivered (PostToConnection), for actions that broadcast. */
  per1000Deliveries?: Usage;
  costPerMillionActions: CostBreakdown;
}

export function actionCosts(actions: ActionCounts[]): ActionCost[] {
  return actions.map((a) => {
    const broadcast =
      a.action.startsWith('sendPublic') ||
      a.action.startsWith('setName') ||
      a.action.startsWith('disconnect');
    const usage = usageOf(a.counts, {
      connections: broadcast ? a.recipients : 0,
      bytesPerConnection: KEY_ONLY_BYTES,
    });
    const posts = a.counts.postToConnection;
    return {
      ...a,
      usage,
      ...(posts > 0 ? { per1000Deliveries: scaleUsage(usage, 1000 / posts) } : {}),
      costPerMillionActions: costOf(scaleUsage(usage, 1e6)),
    };
  });
}

export interface MessageCost {
  design: 'pipeline' | 'naive';
  connections: number;
  usagePerMessage: Usage;
  costPerMillionMessages: CostBreakdown;
}

/** One public message to N connections, through each design, priced per million messages. */
export function messageCosts(points: FanOutPoint[]): MessageCost[] {
  const out: MessageCost[] = [];
  for (const p of points) {
    const pipeline = usageOf(p.pipelineCounts, {
      connections: p.connections,
      bytesPerConnection: KEY_ONLY_BYTES,
    });
    const naive = usageOf(p.naiveCounts, { connections: p.connections, bytesPerConnection: FULL_ITEM_BYTES });
    // The naive function is invoked directly by the bench; in its design the client's frame is the
    // route invocation itself, so count that inbound message as the pipeline's is counted.
    naive.apiGatewayMessages += 1;
    out.push({
      design: 'pipeline',
      connections: p.connections,
      usagePerMessage: pipeline,
      costPerMillionMessages: costOf(scaleUsage(pipeline, 1e6)),
    });
    out.push({
      design: 'naive',
      connections: p.connections,
      usagePerMessage: naive,
      costPerMillionMessages: costOf(scaleUsage(naive, 1e6)),
    });
  }
  return out;
}

export const PRICE_SHEET = { region: REGION, currency: 'USD', prices: PRICES };
