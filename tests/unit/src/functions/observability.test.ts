import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { chatEnvelope, lambdaContext, setTestEnv, wsEvent } from '../support/events';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

const dynamo = mockClient(DynamoDBDocumentClient);
const dynamoRaw = mockClient(DynamoDBClient);
const eventBridge = mockClient(EventBridgeClient);
const connections = mockClient(ApiGatewayManagementApiClient);
// The handlers post through the lean signed-HTTP sender; here, through the SDK client, to script answers.
jest.mock('../../../../src/shared/aws-clients', () =>
  jest.requireActual('../support/sdk-connection-sender').awsClientsWithSdkSender(),
);

const lines: Record<string, unknown>[] = [];
let chatApi: Handler;
let broadcaster: Handler;
const previousLevel = process.env.POWERTOOLS_LOG_LEVEL;
const previousService = process.env.POWERTOOLS_SERVICE_NAME;

beforeAll(async () => {
  setTestEnv();
  // Logs are on for this file only: the Logger reads its level once, when the modules load.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env.POWERTOOLS_SERVICE_NAME = 'chat';
  for (const method of ['info', 'log', 'warn', 'error'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      try {
        lines.push(JSON.parse(String(args[0])));
      } catch {
        // Not a Powertools JSON line (e.g. a library warning): not what this file checks.
      }
    });
  }
  ({ handler: chatApi } = (await import('../../../../src/functions/chat-api/handler')) as unknown as {
    handler: Handler;
  });
  ({ handler: broadcaster } = (await import('../../../../src/functions/broadcaster/handler')) as unknown as {
    handler: Handler;
  });
});

afterAll(() => {
  process.env.POWERTOOLS_LOG_LEVEL = previousLevel;
  if (previousService === undefined) delete process.env.POWERTOOLS_SERVICE_NAME;
  else process.env.POWERTOOLS_SERVICE_NAME = previousService;
  jest.restoreAllMocks();
});

beforeEach(() => {
  lines.length = 0;
  eventBridge.on(PutEventsCommand).callsFake((input) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map(() => ({ EventId: 'e' })),
  }));
  connections.on(PostToConnectionCommand).resolves({});
  dynamoRaw.on(PutItemCommand).resolves({});
  dynamoRaw.on(UpdateItemCommand).resolves({});
});

describe('observability', () => {
  it('follows one message by its correlation id from chat-api, through the event detail, into the broadcaster', async () => {
    // Prepare
    dynamo.on(GetCommand).resolves({
      Item: {
        pk: 'CONN#A=',
        connectionId: 'A=',
        shard: 0,
        connectedAt: 1,
        expiresAt: 4e9,
        name: 'alice',
        nameKey: 'alice',
      },
    });
    // The room is read shard by shard: one connection, in shard 0.
    dynamo.on(QueryCommand).callsFake((input) => ({
      Items: input.ExpressionAttributeValues[':shard'] === 0 ? [{ connectionId: 'B=' }] : [],
    }));

    // Act: chat-api handles the frame, then the broadcaster gets the event chat-api published
    await chatApi(
      wsEvent('sendPublic', {
        connectionId: 'A=',
        body: '{"action":"sendPublic","message":"hi"}',
        requestId: 'corr-42=',
      }),
      lambdaContext('chat-api'),
    );
    const entry = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    await broadcaster(
      chatEnvelope(String(entry?.DetailType), JSON.parse(String(entry?.Detail)), 'evt-obs-1'),
      lambdaContext('broadcaster'),
    );

    // Assert
    expect(lines).toContainEqual(
      expect.objectContaining({
        message: 'Request handled',
        route: 'sendPublic',
        connectionId: 'A=',
        correlation_id: 'corr-42=',
        service: 'chat',
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        message: 'Event delivered',
        eventType: 'Public Message Sent',
        eventId: 'evt-obs-1',
        correlation_id: 'corr-42=',
        framesSent: 1,
      }),
    );
  });
});
