/**
 * AWS list prices (us-east-1, on-demand, USD) and the arithmetic from counted calls to money.
 * Each price names the page it comes from; the bench prints them and writes them to the results
 * file so a reader can redo the arithmetic with other prices.
 */
export const REGION = 'us-east-1';

export const PRICES = {
  dynamoDbWriteRequestUnit: {
    usd: 0.625 / 1e6,
    unit: 'write request unit (1 KB standard write)',
    source:
      'https://aws.amazon.com/dynamodb/pricing/on-demand/ (on-demand, after the November 2024 price cut)',
  },
  dynamoDbReadRequestUnit: {
    usd: 0.125 / 1e6,
    unit: 'read request unit (4 KB strongly consistent read, or two eventually consistent)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  eventBridgeCustomEvent: {
    usd: 1.0 / 1e6,
    unit: 'custom event published (each 64 KB chunk of an entry is one event)',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
  },
  apiGatewayWebSocketMessage: {
    usd: 1.0 / 1e6,
    unit: 'WebSocket message sent or received, metered in 32 KB increments (first billion a month)',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
  },
  apiGatewayConnectionMinute: {
    usd: 0.25 / 1e6,
    unit: 'WebSocket connection minute',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
  },
  lambdaRequest: {
    usd: 0.2 / 1e6,
    unit: 'Lambda invocation',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: 'Lambda GB-second on arm64 (first 7.5 billion a month)',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
} as const;

/** Billable usage of some amount of work, in the units AWS bills. */
export interface Usage {
  dynamoDbWriteUnits: number;
  dynamoDbReadUnits: number;
  eventBridgeEvents: number;
  /** Frames received from clients plus PostToConnection calls (each <= 32 KB here). */
  apiGatewayMessages: number;
  lambdaRequests: number;
  lambdaGbSeconds: number;
}

export type CostBreakdown = Record<keyof Usage, number> & { total: number };

export function costOf(u: Usage): CostBreakdown {
  const parts = {
    dynamoDbWriteUnits: u.dynamoDbWriteUnits * PRICES.dynamoDbWriteRequestUnit.usd,
    dynamoDbReadUnits: u.dynamoDbReadUnits * PRICES.dynamoDbReadRequestUnit.usd,
    eventBridgeEvents: u.eventBridgeEvents * PRICES.eventBridgeCustomEvent.usd,
    apiGatewayMessages: u.apiGatewayMessages * PRICES.apiGatewayWebSocketMessage.usd,
    lambdaRequests: u.lambdaRequests * PRICES.lambdaRequest.usd,
    lambdaGbSeconds: u.lambdaGbSeconds * PRICES.lambdaArmGbSecond.usd,
  };
  return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
}

export function scaleUsage(u: Usage, factor: number): Usage {
  return {
    dynamoDbWriteUnits: u.dynamoDbWriteUnits * factor,
    dynamoDbReadUnits: u.dynamoDbReadUnits * factor,
    eventBridgeEvents: u.eventBridgeEvents * factor,
    apiGatewayMessages: u.apiGatewayMessages * factor,
    lambdaRequests: u.lambdaRequests * factor,
    lambdaGbSeconds: u.lambdaGbSeconds * factor,
  };
}

/** EventBridge bills each 64 KB chunk of an entry as one event. */
export function eventBridgeChunks(entryBytes: number): number {
  return Math.max(1, Math.ceil(entryBytes / (64 * 1024)));
}

/** API Gateway meters WebSocket messages in 32 KB increments. */
export function webSocketMessageUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / (32 * 1024)));
}

/** A standard write costs one unit per started KB of item. */
export function writeUnits(itemBytes: number): number {
  return Math.max(1, Math.ceil(itemBytes / 1024));
}

/** A read costs one unit per started 4 KB (of the item, or of all items a Query/Scan returned), half if eventually consistent. */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return consistent ? units : units / 2;
}
