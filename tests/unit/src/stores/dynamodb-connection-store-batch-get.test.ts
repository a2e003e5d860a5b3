import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbConnectionStore } from '../../../../src/stores/dynamodb-connection-store';

// The one thing dynalite never does: leave keys unprocessed, as DynamoDB does under throttling.
const dynamo = mockClient(DynamoDBDocumentClient);
const TABLE = 'chat';
const claimItem = (key: string) => ({
  pk: `NAME#${key}`,
  nameKey: key,
  name: key,
  connectionId: `${key}=`,
  claimedAt: 1,
  expiresAt: 2,
});
const waits: number[] = [];
const store = () =>
  new DynamoDbConnectionStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), TABLE, async (ms) => {
    waits.push(ms);
  });

beforeEach(() => {
  dynamo.reset();
  waits.length = 0;
});

describe('reading many name claims', () => {
  it('asks again, after a backoff, for the keys DynamoDB left unprocessed', async () => {
    dynamo
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [claimItem('ann')] },
        UnprocessedKeys: { [TABLE]: { Keys: [{ pk: 'NAME#bob' }], ConsistentRead: true } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [claimItem('bob')] } });

    const claims = await store().getNames(['ann', 'bob']);

    expect([...claims.keys()]).toEqual(['ann', 'bob']);
    const calls = dynamo
      .commandCalls(BatchGetCommand)
      .map((call) => call.args[0].input.RequestItems?.[TABLE]);
    expect(calls).toEqual([
      { Keys: [{ pk: 'NAME#ann' }, { pk: 'NAME#bob' }], ConsistentRead: true },
      { Keys: [{ pk: 'NAME#bob' }], ConsistentRead: true },
    ]);
    expect(waits).toHaveLength(1);
  });

  it('gives up with a clear error when keys stay unprocessed', async () => {
    dynamo.on(BatchGetCommand).resolves({
      Responses: { [TABLE]: [] },
      UnprocessedKeys: { [TABLE]: { Keys: [{ pk: 'NAME#bob' }], ConsistentRead: true } },
    });

    await expect(store().getNames(['bob'])).rejects.toThrow(
      'BatchGetItem left 1 name claims unprocessed 5 times',
    );
    expect(dynamo.commandCalls(BatchGetCommand)).toHaveLength(5);
  });

  it('asks for at most 100 keys a call', async () => {
    dynamo.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
    const keys = Array.from({ length: 250 }, (_, i) => `member${i}`);

    await store().getNames(keys);

    const sizes = dynamo
      .commandCalls(BatchGetCommand)
      .map((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys?.length);
    expect(sizes).toEqual([100, 100, 50]);
  });
});
