import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type LocalDynamoDb, startDynamoDb } from '../../../local/dynamodb';

jest.setTimeout(60_000);

// One table with a global and a local secondary index, as a template declares them.
const table = {
  tableName: 'lag-table',
  createTableInput: {
    TableName: 'lag-table',
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' as const },
      { AttributeName: 'sk', AttributeType: 'S' as const },
      { AttributeName: 'group', AttributeType: 'S' as const },
      { AttributeName: 'rank', AttributeType: 'N' as const },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'ByGroup',
        KeySchema: [{ AttributeName: 'group', KeyType: 'HASH' as const }],
        Projection: { ProjectionType: 'ALL' as const },
      },
    ],
    LocalSecondaryIndexes: [
      {
        IndexName: 'ByRank',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' as const },
          { AttributeName: 'rank', KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      },
    ],
  },
};

// Far longer than any step of these tests takes, even on a loaded machine: what the index shows
// right after a write is the state before it; drain() waits for the lag to pass.
const LAG_MS = 3_000;

const clientFor = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });

const byGroup = async (client: DynamoDBClient, group: string) => {
  const { Items } = await client.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: 'ByGroup',
      KeyConditionExpression: '#g = :g',
      ExpressionAttributeNames: { '#g': 'group' },
      ExpressionAttributeValues: { ':g': { S: group } },
    }),
  );
  return (Items ?? []).map((item) => `${item.sk?.S}:${item.rank?.N}`).sort();
};

const item = (sk: string, group: string, rank: number) => ({
  pk: { S: 'p' },
  sk: { S: sk },
  group: { S: group },
  rank: { N: String(rank) },
});

describe('the local DynamoDB with a GSI lag', () => {
  let dynamodb: LocalDynamoDb;
  let client: DynamoDBClient;

  beforeEach(async () => {
    dynamodb = await startDynamoDb({ tables: [table] }, { ttlSweepIntervalMs: 0, gsiLagMs: LAG_MS });
    client = clientFor(dynamodb.endpoint);
  });

  afterEach(async () => {
    client.destroy();
    await dynamodb.close();
  });

  it('shows a write in a global secondary index only after the lag, and at once in the table', async () => {
    await client.send(new PutItemCommand({ TableName: table.tableName, Item: item('a', 'g1', 1) }));

    expect(await byGroup(client, 'g1')).toEqual([]);
    const scanned = await client.send(new ScanCommand({ TableName: table.tableName, IndexName: 'ByGroup' }));
    expect(scanned.Items).toEqual([]);
    const got = await client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: { pk: { S: 'p' }, sk: { S: 'a' } },
        ConsistentRead: true,
      }),
    );
    expect(got.Item?.group).toEqual({ S: 'g1' });
    // A local secondary index is consistent when asked, as on AWS.
    const local = await client.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: 'ByRank',
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': { S: 'p' } },
        ConsistentRead: true,
      }),
    );
    expect(local.Items).toHaveLength(1);

    await dynamodb.drain();
    expect(await byGroup(client, 'g1')).toEqual(['a:1']);
  });

  it('replays updates, moves between index keys and deletes in order, each after the lag', async () => {
    await client.send(new PutItemCommand({ TableName: table.tableName, Item: item('a', 'g1', 1) }));
    await client.send(new PutItemCommand({ TableName: table.tableName, Item: item('b', 'g1', 1) }));
    await dynamodb.drain();
    expect(await byGroup(client, 'g1')).toEqual(['a:1', 'b:1']);

    // a moves to g2, b is deleted, c arrives by batch: the index still shows the old state.
    await client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { pk: { S: 'p' }, sk: { S: 'a' } },
        UpdateExpression: 'SET #g = :g, #r = :r',
        ExpressionAttributeNames: { '#g': 'group', '#r': 'rank' },
        ExpressionAttributeValues: { ':g': { S: 'g2' }, ':r': { N: '2' } },
      }),
    );
    await client.send(
      new DeleteItemCommand({ TableName: table.tableName, Key: { pk: { S: 'p' }, sk: { S: 'b' } } }),
    );
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: { [table.tableName]: [{ PutRequest: { Item: item('c', 'g1', 3) } }] },
      }),
    );
    expect(await byGroup(client, 'g1')).toEqual(['a:1', 'b:1']);
    expect(await byGroup(client, 'g2')).toEqual([]);

    await dynamodb.drain();
    expect(await byGroup(client, 'g1')).toEqual(['c:3']);
    expect(await byGroup(client, 'g2')).toEqual(['a:2']);
  });

  it('does not replay a write that failed its condition', async () => {
    await client.send(new PutItemCommand({ TableName: table.tableName, Item: item('a', 'g1', 1) }));
    await expect(
      client.send(
        new PutItemCommand({
          TableName: table.tableName,
          Item: item('a', 'g9', 9),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await dynamodb.drain();
    expect(await byGroup(client, 'g1')).toEqual(['a:1']);
    expect(await byGroup(client, 'g9')).toEqual([]);
  });

  it('counts only the calls made to it, not the reads the lag makes itself', async () => {
    dynamodb.resetStats();
    await client.send(new PutItemCommand({ TableName: table.tableName, Item: item('a', 'g1', 1) }));
    await byGroup(client, 'g1');
    await dynamodb.drain();
    expect(dynamodb.stats().requests).toBe(2);
  });
});

describe('ConsistentRead on a global secondary index', () => {
  it.each([0, LAG_MS])('is rejected as AWS rejects it (lag %i ms)', async (gsiLagMs) => {
    const dynamodb = await startDynamoDb({ tables: [table] }, { ttlSweepIntervalMs: 0, gsiLagMs });
    const client = clientFor(dynamodb.endpoint);
    try {
      const error = {
        name: 'ValidationException',
        message: 'Consistent reads are not supported on global secondary indexes',
      };
      await expect(
        client.send(
          new QueryCommand({
            TableName: table.tableName,
            IndexName: 'ByGroup',
            KeyConditionExpression: '#g = :g',
            ExpressionAttributeNames: { '#g': 'group' },
            ExpressionAttributeValues: { ':g': { S: 'g1' } },
            ConsistentRead: true,
          }),
        ),
      ).rejects.toMatchObject(error);
      await expect(
        client.send(
          new ScanCommand({ TableName: table.tableName, IndexName: 'ByGroup', ConsistentRead: true }),
        ),
      ).rejects.toMatchObject(error);
    } finally {
      client.destroy();
      await dynamodb.close();
    }
  });
});
