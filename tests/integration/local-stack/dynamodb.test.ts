import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDb } from '../../../local/dynamodb';

jest.setTimeout(60_000);

const table = {
  tableName: 'persisted-table',
  ttlAttribute: 'expiresAt',
  createTableInput: {
    TableName: 'persisted-table',
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
  },
};

describe('the local DynamoDB with --persist', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'local-stack-persist-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps existing tables and their items across restarts', async () => {
    const first = await startDynamoDb({ tables: [table] }, { persistDir: dir, ttlSweepIntervalMs: 0 });
    const client = (endpoint: string) =>
      new DynamoDBClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
    const c1 = client(first.endpoint);
    await c1.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: 'kept' } } }));
    c1.destroy();
    await first.close();

    const second = await startDynamoDb({ tables: [table] }, { persistDir: dir, ttlSweepIntervalMs: 0 });
    const c2 = client(second.endpoint);
    try {
      const got = await c2.send(
        new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: 'kept' } } }),
      );
      expect(got.Item).toEqual({ pk: { S: 'kept' } });
      expect(second.ttlAttributes().get(table.tableName)).toBe('expiresAt');
    } finally {
      c2.destroy();
      await second.close();
    }
  });
});

describe('the local DynamoDB closing with requests in flight', () => {
  it('answers or refuses every request and never throws from inside dynalite', async () => {
    const db = await startDynamoDb(
      { tables: [{ ...table, tableName: 'busy-table' }] },
      { ttlSweepIntervalMs: 0 },
    );
    // Requests come through another server, as the stack's AWS endpoint hands them over: it is
    // still open while the database closes.
    const front = createServer((req, res) => db.handleRequest(req, res));
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    // dynalite throws an uncaught 'Database is closed' for an operation that reaches it after
    // close(); jest would fail this file with it (and a plain process would crash).
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      let closed = false;
      const writes: Promise<string>[] = [];
      const write = (i: number) =>
        client.send(new PutItemCommand({ TableName: 'busy-table', Item: { pk: { S: `item-${i}` } } })).then(
          () => 'written',
          (error: Error) => error.name,
        );
      // Writes keep coming, before, during and after the close.
      for (let i = 0; i < 20; i++) writes.push(write(i));
      await writes[0];
      for (let i = 20; i < 40; i++) writes.push(write(i));
      const closing = db.close().then(() => {
        closed = true;
      });
      for (let i = 40; !closed && i < 2000; i++) {
        writes.push(write(i));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await closing;
      // Every request got an answer: written, or refused because the database is stopping.
      const outcomes = await Promise.all(writes);
      expect(outcomes[0]).toBe('written');
      expect(
        outcomes.filter((outcome) => outcome !== 'written' && outcome !== 'InternalServerError'),
      ).toEqual([]);
      // A request dynalite ran against its closed database would have thrown before its client
      // saw the connection end, so once every write has its answer there is nothing left to wait for.
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      client.destroy();
      front.closeAllConnections();
      await new Promise((resolve) => front.close(resolve));
    }
  });
});

describe('the local DynamoDB as a service of the stack', () => {
  it('counts the requests it served and the items the TTL sweep deleted, until resetStats()', async () => {
    const dynamodb = await startDynamoDb({ tables: [table] }, { ttlSweepIntervalMs: 0 });
    const client = new DynamoDBClient({
      endpoint: dynamodb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    try {
      dynamodb.resetStats();
      const past = Math.floor(Date.now() / 1000) - 60;
      await client.send(
        new PutItemCommand({
          TableName: table.tableName,
          Item: { pk: { S: 'expired' }, expiresAt: { N: String(past) } },
        }),
      );
      await client.send(new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: 'expired' } } }));
      await dynamodb.drain();
      expect(dynamodb.stats().requests).toBe(2);

      await expect(dynamodb.sweepExpiredItems()).resolves.toBe(1);
      expect(dynamodb.stats().ttlItemsDeleted).toBe(1);

      dynamodb.resetStats();
      expect(dynamodb.stats()).toEqual({ requests: 0, ttlItemsDeleted: 0 });
    } finally {
      client.destroy();
      await dynamodb.close();
    }
  });
});
