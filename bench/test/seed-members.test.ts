// The 100,000-member stage seeds the table directly: what it writes must be what the server reads.
// Checked through the real store class against dynalite with the table as template.yaml declares it.
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type LocalDynamoDb, startDynamoDb } from '../../local/dynamodb';
import { loadStack } from '../../local/template';
import { nameKeyOf } from '../../src/chat/rules';
import { WHOLE_AUDIENCE } from '../../src/chat/sharding';
import { DynamoDbConnectionStore } from '../../src/stores/dynamodb-connection-store';
import { PARKED_SHARD, seededName, seedMembers } from '../lib/seed-members';

const ROOT = path.resolve(__dirname, '../..');

let dynamoDb: LocalDynamoDb;
let client: DynamoDBClient;
let document: DynamoDBDocumentClient;
let store: DynamoDbConnectionStore;
let tableName: string;

beforeAll(async () => {
  const model = await loadStack(path.join(ROOT, 'template.yaml'));
  const table = model.tables.find((candidate) => candidate.logicalId === 'ChatTable');
  if (!table) throw new Error('template.yaml has no ChatTable');
  tableName = table.tableName;
  dynamoDb = await startDynamoDb({ tables: [table], region: model.region }, { ttlSweepIntervalMs: 0 });
  client = new DynamoDBClient({
    endpoint: dynamoDb.endpoint,
    region: model.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  document = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  store = new DynamoDbConnectionStore(document, tableName);
});

afterAll(async () => {
  document?.destroy();
  client?.destroy();
  await dynamoDb?.close();
});

describe('seedMembers', () => {
  it('writes named connections the store reads as members, outside the delivery shards', async () => {
    const now = Date.now();
    // 30 members: more than one BatchWriteItem, and a last batch that is not full.
    const written = await seedMembers(document, tableName, 30, { nowMs: now, inFlight: 3 });
    expect(written.items).toBe(60);

    const names = Array.from({ length: 30 }, (_, i) => seededName(i));
    expect((await store.listMembers(Math.floor(now / 1000))).sort()).toEqual(names);
    expect(await store.listMembersUpTo(Math.floor(now / 1000), 10)).toMatchObject({ more: true });

    const claim = await store.getName(nameKeyOf(seededName(7)));
    expect(claim).toMatchObject({ name: seededName(7), connectionId: 'seeded-7', claimedAt: now });
    expect(await store.isListed(nameKeyOf(seededName(7)))).toBe(true);
    const connection = await store.getConnection('seeded-7');
    expect(connection).toMatchObject({
      name: seededName(7),
      nameKey: nameKeyOf(seededName(7)),
      shard: PARKED_SHARD,
      connectedAt: now,
    });
    expect(connection?.expiresAt).toBe(claim?.expiresAt);

    // Members, but in no audience the broadcaster reads (it reads shards 0 .. ShardCount-1).
    const audience = [];
    for await (const page of store.audiencePages(WHOLE_AUDIENCE, 4)) audience.push(...page);
    expect(audience).toEqual([]);
    expect(await store.inShardIndex('seeded-7', PARKED_SHARD)).toBe(true);
  });
});
