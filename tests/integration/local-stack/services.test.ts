import { createServer } from 'node:net';
import {
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LocalStack, startLocalStack } from '../../../local/stack';
import { FIXTURE_TEMPLATE, TestClient, waitFor } from './helpers';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

// Jest applies testTimeout globally, not per project; starting a stack builds every function.
jest.setTimeout(60_000);

describe('the local stack around the gateway', () => {
  let stack: LocalStack;
  let db: DynamoDBClient;
  const clients: TestClient[] = [];

  async function connect(): Promise<TestClient> {
    const client = await TestClient.open(stack.webSocketUrl());
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    stack = await startLocalStack({
      templatePath: FIXTURE_TEMPLATE,
      port: 0,
      asyncRetryDelaysMs: [10, 10],
      ttlSweepIntervalMs: 0,
    });
    db = new DynamoDBClient({ endpoint: stack.awsEndpoint, region: stack.model.region, credentials });
  });

  afterAll(async () => {
    for (const client of clients) client.ws.terminate();
    db?.destroy();
    await stack?.stop();
  });

  describe('EventBridge', () => {
    it('delivers a PutEvents from a function to the rule target function, which answers through @connections', async () => {
      const client = await connect();
      client.send({ action: 'publish', text: 'round trip' });
      const frame = await client.nextJson<{ fromListener: string; source: Record<string, unknown> }>();
      expect(frame.fromListener).toBe('round trip');
      expect(frame.source).toMatchObject({
        version: '0',
        id: expect.any(String),
        'detail-type': 'Echo',
        source: 'fixture.echo',
        account: stack.model.accountId,
        region: stack.model.region,
        resources: [],
        detail: { connectionId: expect.any(String), text: 'round trip' },
      });
    });

    it("dead-letters the event to the function's SQS queue after its retries fail", async () => {
      const client = await connect();
      // The previous test's listener invocation may still be finishing after its frame arrived.
      await stack.drain();
      stack.resetStats();
      client.send({ action: 'publish', fail: true, text: 'doomed' });
      // drain() waits for work in flight, not for bytes still on the wire.
      await waitFor(() => stack.stats().gateway.messagesIn === 1);
      await stack.drain();
      const listener = stack.stats().functions.ListenerFunction;
      // One attempt plus MaximumRetryAttempts: 1.
      expect(listener).toMatchObject({ invocations: 2, errors: 2 });

      const sqs = new SQSClient({ endpoint: stack.awsEndpoint, region: stack.model.region, credentials });
      try {
        const queue = stack.model.queues[0];
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue?.url,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ['All'],
          }),
        );
        expect(received.Messages).toHaveLength(1);
        const event = JSON.parse(received.Messages?.[0]?.Body ?? '{}') as Record<string, unknown>;
        expect(event).toMatchObject({ 'detail-type': 'Fail', detail: { text: 'doomed' } });
      } finally {
        sqs.destroy();
      }
    });

    it('accepts PutEvents from outside the functions too (the SDK pointed at the AWS endpoint)', async () => {
      const client = await connect();
      const { connectionId } = (await client.echo()).requestContext;
      const events = new EventBridgeClient({
        endpoint: stack.awsEndpoint,
        region: stack.model.region,
        credentials,
      });
      try {
        const result = await events.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: 'local-fixture',
                Source: 'fixture.echo',
                DetailType: 'Echo',
                Detail: JSON.stringify({ connectionId, text: 'from the test' }),
              },
            ],
          }),
        );
        expect(result.FailedEntryCount).toBe(0);
        expect((await client.nextJson<{ fromListener: string }>()).fromListener).toBe('from the test');
        expect(stack.stats().aws.eventbridge?.PutEvents).toBeGreaterThanOrEqual(1);
      } finally {
        events.destroy();
      }
    });
  });

  describe('DynamoDB through the AWS endpoint', () => {
    it("creates the template's tables, stores items and counts calls per operation", async () => {
      stack.resetStats();
      const table = stack.model.tables[0]?.tableName;
      await db.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'item-1' }, n: { N: '1' } } }));
      const got = await db.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'item-1' } } }));
      expect(got.Item).toEqual({ pk: { S: 'item-1' }, n: { N: '1' } });
      expect(stack.stats().aws.dynamodb).toEqual({ PutItem: 1, GetItem: 1 });
    });

    it("reports the template's TTL attribute as enabled", async () => {
      const ttl = await db.send(
        new DescribeTimeToLiveCommand({ TableName: stack.model.tables[0]?.tableName }),
      );
      expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    });

    it('deletes expired items when the TTL sweep runs, and keeps the others', async () => {
      const table = stack.model.tables[0]?.tableName;
      const now = Math.floor(Date.now() / 1000);
      await db.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'ttl-old' }, expiresAt: { N: String(now - 10) } },
        }),
      );
      await db.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'ttl-new' }, expiresAt: { N: String(now + 3600) } },
        }),
      );
      await stack.dynamodb.sweepExpiredItems(now);
      const items = await db.send(new ScanCommand({ TableName: table }));
      const keys = items.Items?.map((item) => item.pk?.S) ?? [];
      expect(keys).toContain('ttl-new');
      expect(keys).not.toContain('ttl-old');
    });

    it('names the operation dynalite lacks instead of failing obscurely', async () => {
      await expect(db.send(new TransactWriteItemsCommand({ TransactItems: [] }))).rejects.toThrow(
        /TransactWriteItems is not supported/,
      );
    });
  });

  it('answers an unknown X-Amz-Target with UnknownOperationException', async () => {
    const response = await fetch(stack.awsEndpoint, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'AmazonSNS.Publish', 'Content-Type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});

describe('a local stack with short connection limits', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ templatePath: FIXTURE_TEMPLATE, port: 0, idleTimeoutSeconds: 0.3 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('closes an idle connection with 1001 and invokes $disconnect', async () => {
    // The client sends nothing: any frame would reset the idle clock.
    const client = await TestClient.open(stack.webSocketUrl());
    expect((await client.closed).code).toBe(1001);
    await waitFor(() => stack.stats().gateway.connectionsClosed === 1);
    await stack.drain();

    const db = new DynamoDBClient({ endpoint: stack.awsEndpoint, region: stack.model.region, credentials });
    try {
      const records = await db.send(new ScanCommand({ TableName: stack.model.tables[0]?.tableName }));
      const disconnects = (records.Items ?? [])
        .filter((item) => item.pk?.S?.startsWith('DISCONNECT#'))
        .map((item) => JSON.parse(item.event?.S ?? '{}') as { requestContext?: Record<string, unknown> });
      expect(disconnects).toHaveLength(1);
      expect(disconnects[0]?.requestContext).toMatchObject({
        eventType: 'DISCONNECT',
        disconnectStatusCode: 1001,
      });
    } finally {
      db.destroy();
    }
  });

  it('frees its port on stop', async () => {
    const port = Number(new URL(stack.siteUrl).port);
    await stack.stop();
    await new Promise<void>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
    });
    await expect(TestClient.open(`ws://127.0.0.1:${port}/local`)).rejects.toThrow();
  });
});
