import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { lambdaContext, message, setTestEnv, TEST_ENV } from '../support/events';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<{ statusCode: number }>;

const dynamo = mockClient(DynamoDBDocumentClient);
const eventBridge = mockClient(EventBridgeClient);
const connections = mockClient(ApiGatewayManagementApiClient);
// The handlers post through the lean signed-HTTP sender; here, through the SDK client, to script answers.
jest.mock('../../../../src/shared/aws-clients', () =>
  jest.requireActual('../support/sdk-connection-sender').awsClientsWithSdkSender(),
);

let handler: Handler;
beforeAll(async () => {
  setTestEnv();
  ({ handler } = (await import('../../../../src/functions/chat-api/handler')) as unknown as {
    handler: Handler;
  });
});

beforeEach(() => {
  dynamo.reset();
  eventBridge.reset();
  connections.reset();
  eventBridge.on(PutEventsCommand).callsFake((input) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_: unknown, i: number) => ({ EventId: `id-${i}` })),
  }));
  connections.on(PostToConnectionCommand).resolves({});
});

// Each test has its own connection: an instance remembers limited connections between requests.
const given = (connectionId: string, extra: Record<string, unknown> = {}) =>
  dynamo.on(GetCommand, { Key: { pk: `CONN#${connectionId}` } }).resolves({
    Item: {
      pk: `CONN#${connectionId}`,
      connectionId,
      shard: 0,
      connectedAt: Date.now() - 60_000,
      expiresAt: 4_000_000_000,
      name: 'alice',
      nameKey: 'alice',
      ...extra,
    },
  });

const send = (connectionId: string, text = 'hi') =>
  handler(message('sendPublic', { action: 'sendPublic', message: text }, connectionId), lambdaContext());

const replies = () =>
  connections
    .commandCalls(PostToConnectionCommand)
    .map((call) => JSON.parse(String(call.args[0].input.Data)));

describe('the chat-api handler under its rate limits', () => {
  it('takes a token with one conditional UpdateItem on the connection item, then publishes', async () => {
    given('A1=');

    await expect(send('A1=')).resolves.toEqual({ statusCode: 200 });

    const [update] = dynamo.commandCalls(UpdateCommand);
    expect(update?.args[0].input).toMatchObject({
      Key: { pk: 'CONN#A1=' },
      UpdateExpression: 'SET #tat = :tat',
      ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#tat) OR #tat < :before)',
      ExpressionAttributeNames: { '#pk': 'pk', '#tat': 'tat_public' },
    });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
    expect(replies()).toEqual([]);
  });

  it('answers RATE_LIMITED with retryAfterMs when the bucket is empty, writing and publishing nothing', async () => {
    const interval = 1000 / Number(TEST_ENV.PUBLIC_MESSAGES_PER_SECOND);
    const tolerance = (Number(TEST_ENV.PUBLIC_MESSAGE_BURST) - 1) * interval;
    given('B2=', { tat_public: Date.now() + tolerance + 5_000 });

    await expect(send('B2=')).resolves.toEqual({ statusCode: 200 });

    const [frame] = replies();
    expect(frame).toMatchObject({ type: 'error', code: 'RATE_LIMITED', action: 'sendPublic' });
    expect(frame.retryAfterMs).toBeGreaterThan(4_000);
    expect(frame.retryAfterMs).toBeLessThanOrEqual(5_000);
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('decides again when another request of the same connection moved the bucket first', async () => {
    given('C3=');
    dynamo
      .on(UpdateCommand)
      .rejectsOnce(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      )
      .resolves({});

    await send('C3=');

    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(2);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(2);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });
});
