import type { Context } from 'aws-lambda';

export const TEST_ENV = {
  CHAT_TABLE_NAME: 'chat-table',
  IDEMPOTENCY_TABLE_NAME: 'idempotency-table',
  EVENT_BUS_NAME: 'chat-bus',
  UNPUBLISHED_EVENTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/unpublished-events',
  CALLBACK_URL: 'https://g2i23lrnus.execute-api.us-east-1.amazonaws.com/production',
  SHARD_COUNT: '4',
  SEND_CONCURRENCY: '8',
  RECIPIENTS_PER_DELIVERY: '2000',
  MAX_PARALLEL_DELIVERIES: '100',
  PRESENCE_FULL_LIST_MAX: '100',
  PRESENCE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/presence',
  PUBLIC_MESSAGE_BURST: '10',
  PUBLIC_MESSAGES_PER_SECOND: '2',
  PRIVATE_MESSAGE_BURST: '10',
  PRIVATE_MESSAGES_PER_SECOND: '2',
  NAME_CHANGE_BURST: '5',
  NAME_CHANGES_PER_MINUTE: '10',
} as const;

export const setTestEnv = () => Object.assign(process.env, TEST_ENV);

export const lambdaContext = (functionName = 'chat-api'): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
  memoryLimitInMB: '1024',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: '2026/11/25/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

let requestCounter = 0;

/** A WebSocket event shaped like the ones API Gateway sends (see events/*.json). */
export const wsEvent = (
  routeKey: string,
  options: { connectionId?: string; body?: string; requestId?: string } = {},
) => {
  requestCounter += 1;
  const eventType =
    routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE';
  const requestId = options.requestId ?? `req-${requestCounter}=`;
  return {
    requestContext: {
      routeKey,
      eventType,
      extendedRequestId: requestId,
      requestTime: '25/Nov/2026:21:40:12 +0000',
      messageDirection: 'IN',
      stage: 'production',
      connectedAt: 1795210800123,
      requestTimeEpoch: 1795210812345,
      identity: { sourceIp: '203.0.113.17' },
      requestId,
      domainName: 'g2i23lrnus.execute-api.us-east-1.amazonaws.com',
      connectionId: options.connectionId ?? 'BFaT_fALIAMCKug=',
      apiId: 'g2i23lrnus',
      ...(eventType === 'MESSAGE' ? { messageId: `msg-${requestCounter}=` } : {}),
      ...(eventType === 'DISCONNECT' ? { disconnectStatusCode: 1001, disconnectReason: 'Going away' } : {}),
    },
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: false,
  };
};

export const message = (routeKey: string, body: unknown, connectionId?: string) =>
  wsEvent(routeKey, { body: typeof body === 'string' ? body : JSON.stringify(body), connectionId });

/** An EventBridge envelope as the broadcaster receives it. */
export const chatEnvelope = (detailType: string, detail: unknown, id = 'evt-1') => ({
  version: '0',
  id,
  'detail-type': detailType,
  source: 'chat.api',
  account: '123456789012',
  time: '2026-11-25T21:40:12Z',
  region: 'us-east-1',
  resources: [],
  detail,
});
