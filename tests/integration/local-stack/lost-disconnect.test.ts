import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { GatewayActivity } from '../../../local/apigateway';
import { type LocalStack, startLocalStack } from '../../../local/stack';
import { FIXTURE_TEMPLATE, TestClient } from './helpers';

jest.setTimeout(60_000);

describe('the local gateway with lost $disconnects', () => {
  let stack: LocalStack;
  let db: DynamoDBClient;
  const activity: GatewayActivity[] = [];
  // The share is a half; the rolls decide which close loses its $disconnect: the first does.
  const rolls = [0.1, 0.9];

  beforeAll(async () => {
    stack = await startLocalStack({
      templatePath: FIXTURE_TEMPLATE,
      port: 0,
      quirks: { lostDisconnectShare: 0.5, random: () => rolls.shift() ?? 0.9 },
      log: { gateway: (event) => activity.push(event) },
    });
    db = new DynamoDBClient({
      endpoint: stack.awsEndpoint,
      region: stack.model.region,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
  });

  afterAll(async () => {
    db?.destroy();
    await stack?.stop();
  });

  const disconnectRecorded = async (connectionId: string): Promise<boolean> => {
    const { Item } = await db.send(
      new GetItemCommand({
        TableName: stack.model.tables[0]?.tableName,
        Key: { pk: { S: `DISCONNECT#${connectionId}` } },
      }),
    );
    return Item !== undefined;
  };

  it('skips the $disconnect route for a share of dropped sockets, and says so', async () => {
    const lost = await TestClient.open(stack.webSocketUrl());
    const kept = await TestClient.open(stack.webSocketUrl());
    const lostId = (await lost.echo()).requestContext.connectionId;
    const keptId = (await kept.echo()).requestContext.connectionId;

    await lost.close(1000, 'bye');
    await kept.close(1000, 'bye');
    await stack.drain();

    expect(await disconnectRecorded(lostId)).toBe(false);
    expect(await disconnectRecorded(keptId)).toBe(true);
    expect(activity.filter((event) => event.type === 'disconnect-lost')).toEqual([
      expect.objectContaining({ connectionId: lostId }),
    ]);
    expect(stack.stats().gateway.disconnectsLost).toBe(1);
  });
});
