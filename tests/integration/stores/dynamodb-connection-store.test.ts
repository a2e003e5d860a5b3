import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { type LocalDynamoDb, startDynamoDb } from '../../../local/dynamodb';
import { loadStack } from '../../../local/template';
import { DynamoDbConnectionStore } from '../../../src/stores/dynamodb-connection-store';
import { describeConnectionStore } from '../../support/connection-store-contract';

// The DynamoDB store against dynalite, with the chat table exactly as template.yaml declares it
// (key, ByShard and Members indexes with their projections): the condition, update and key
// expressions run for real, so a reserved word, a wrong index or a missing projected attribute fails.
const ROOT = path.resolve(__dirname, '../../..');

let dynamoDb: LocalDynamoDb;
let client: DynamoDBClient;
let document: DynamoDBDocumentClient;
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
  // As src/shared/aws-clients.ts builds it.
  document = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
});

afterAll(async () => {
  document?.destroy();
  client?.destroy();
  await dynamoDb?.close();
});

const emptyTable = async () => {
  for await (const page of paginateScan(
    { client: document },
    { TableName: tableName, ProjectionExpression: 'pk' },
  )) {
    const keys = (page.Items ?? []).map((item) => ({ DeleteRequest: { Key: { pk: item.pk } } }));
    for (let start = 0; start < keys.length; start += 25) {
      await document.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: keys.slice(start, start + 25) } }),
      );
    }
  }
};

describeConnectionStore('the DynamoDB store on dynalite', async () => {
  await emptyTable();
  return new DynamoDbConnectionStore(document, tableName);
});
