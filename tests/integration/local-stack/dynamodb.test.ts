import { mkdtemp, rm } from 'node:fs/promises';
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
