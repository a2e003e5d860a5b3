import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { nameKeyOf } from '../../../../src/chat/rules';
import { shardOf } from '../../../../src/chat/sharding';
import { ulidTime } from '../../../../src/chat/ulid';
import { indexesCaughtUp } from '../../../support/caught-up-indexes';
import { lambdaContext, message, setTestEnv, TEST_ENV, wsEvent } from '../support/events';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<{ statusCode: number }>;

const dynamo = mockClient(DynamoDBDocumentClient);
const eventBridge = mockClient(EventBridgeClient);
const connections = mockClient(ApiGatewayManagementApiClient);
// The handlers post through the lean signed-HTTP sender; here, through the SDK client, to script answers.
jest.mock('../../../../src/shared/aws-clients', () =>
  jest.requireActual('../support/sdk-connection-sender').awsClientsWithSdkSender(),
);
const sqs = mockClient(SQSClient);

let handler: Handler;
beforeAll(async () => {
  setTestEnv();
  ({ handler } = (await import('../../../../src/functions/chat-api/handler')) as unknown as {
    handler: Handler;
  });
});

const ME = 'BFaT_fALIAMCKug=';
const invoke = (event: unknown) => handler(event, lambdaContext());

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** The frames posted back to the caller. */
const replies = () =>
  connections.commandCalls(PostToConnectionCommand).map((call) => {
    expect(call.args[0].input.ConnectionId).toBe(ME);
    return JSON.parse(String(call.args[0].input.Data));
  });

const publishedEntries = () =>
  eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);

const connectionItem = (extra: Record<string, unknown> = {}) => ({
  pk: `CONN#${ME}`,
  connectionId: ME,
  shard: shardOf(ME, 4),
  connectedAt: 1795210800123,
  expiresAt: 4_000_000_000,
  ...extra,
});

const givenConnection = (extra: Record<string, unknown> = {}) =>
  dynamo.on(GetCommand, { Key: { pk: `CONN#${ME}` } }).resolves({ Item: connectionItem(extra) });

const expectRejected = (code: string, action?: string) => {
  const frames = replies();
  expect(frames).toHaveLength(1);
  expect(frames[0]).toMatchObject({ type: 'error', code });
  expect(typeof frames[0].errorMessage).toBe('string');
  if (action) expect(frames[0].action).toBe(action);
  expect(frames[0]).not.toHaveProperty('stack');
  expect(publishedEntries()).toHaveLength(0);
};

beforeEach(() => {
  dynamo.reset();
  indexesCaughtUp(dynamo);
  eventBridge.reset();
  connections.reset();
  sqs.reset();
  dynamo.on(ScanCommand).rejects(new Error('the chat must never Scan'));
  eventBridge.on(PutEventsCommand).callsFake((input) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_: unknown, i: number) => ({ EventId: `id-${i}` })),
  }));
  connections.on(PostToConnectionCommand).resolves({});
});

describe('the chat-api handler', () => {
  describe('$connect', () => {
    it('records the connection in its shard with an expiry and accepts the upgrade', async () => {
      dynamo.on(PutCommand).resolves({});

      const result = await invoke(wsEvent('$connect'));

      expect(result).toEqual({ statusCode: 200 });
      const [put] = dynamo.commandCalls(PutCommand);
      const item = put?.args[0].input.Item;
      expect(put?.args[0].input.TableName).toBe('chat-table');
      expect(item).toMatchObject({ pk: `CONN#${ME}`, connectionId: ME, shard: shardOf(ME, 4) });
      expect(item?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 2 * 3600);
      expect(replies()).toHaveLength(0);
    });

    it('rejects the handshake (throws) when DynamoDB fails', async () => {
      dynamo.on(PutCommand).rejects(new Error('DynamoDB unavailable'));

      await expect(invoke(wsEvent('$connect'))).rejects.toThrow('DynamoDB unavailable');
    });
  });

  describe('$disconnect', () => {
    it('deletes the connection and its name and tells the room the member left', async () => {
      dynamo.on(DeleteCommand, { Key: { pk: `CONN#${ME}` } }).resolves({
        Attributes: connectionItem({ name: 'alice', nameKey: 'alice' }),
      });
      dynamo.on(DeleteCommand, { Key: { pk: 'NAME#alice' } }).resolves({});

      const event = wsEvent('$disconnect', { requestId: 'disc-req=' });
      await expect(invoke(event)).resolves.toEqual({ statusCode: 200 });

      const nameDelete = dynamo.commandCalls(DeleteCommand, { Key: { pk: 'NAME#alice' } })[0];
      expect(nameDelete?.args[0].input).toMatchObject({
        ConditionExpression: '#owner = :me',
        ExpressionAttributeValues: { ':me': ME },
      });
      const entries = publishedEntries();
      expect(entries.map((e) => JSON.parse(e.Detail ?? '{}').audience)).toEqual([{ kind: 'room' }]);
      for (const entry of entries) {
        expect(entry).toMatchObject({
          Source: 'chat.api',
          DetailType: 'Member Left',
          EventBusName: 'chat-bus',
        });
        const detail = JSON.parse(entry.Detail ?? '{}');
        expect(detail.correlationId).toBe('disc-req=');
        expect(detail.includeMembers).toBe(true);
        expect(detail.frames).toEqual([
          expect.objectContaining({
            type: 'system',
            event: 'left',
            name: 'alice',
            systemMessage: 'alice has left the chat',
          }),
        ]);
      }
    });

    it('tells nobody when the connection never chose a name', async () => {
      dynamo.on(DeleteCommand).resolves({ Attributes: connectionItem() });

      await invoke(wsEvent('$disconnect'));

      expect(dynamo.commandCalls(DeleteCommand)).toHaveLength(1);
      expect(publishedEntries()).toHaveLength(0);
    });

    it('tells nobody twice when the connection was already removed (Gone prune raced it)', async () => {
      dynamo.on(DeleteCommand).resolves({});

      await invoke(wsEvent('$disconnect'));

      expect(publishedEntries()).toHaveLength(0);
    });
  });

  describe('setName', () => {
    it('claims the name, records it, announces the join and acknowledges the caller', async () => {
      givenConnection();
      dynamo.on(PutCommand).resolves({});
      dynamo.on(UpdateCommand).resolves({ Attributes: connectionItem() });

      await invoke(message('setName', { action: 'setName', name: '  Alice  ' }));

      const claim = dynamo.commandCalls(PutCommand)[0]?.args[0].input;
      // The key is the look-alike skeleton of names.ts, not the name ("alice" reads "allce").
      const aliceKey = nameKeyOf('alice');
      expect(claim?.Item).toMatchObject({
        pk: `NAME#${aliceKey}`,
        name: 'Alice',
        nameKey: aliceKey,
        connectionId: ME,
        memberList: 'members',
      });
      expect(claim?.ConditionExpression).toContain('attribute_not_exists(#pk)');
      const update = dynamo.commandCalls(UpdateCommand)[0]?.args[0].input;
      expect(update?.ExpressionAttributeValues).toMatchObject({ ':name': 'Alice', ':nameKey': aliceKey });
      // The claim is written before the connection is updated (ordered single-item writes).
      expect(dynamo.calls().map((c) => c.args[0].constructor.name)).toEqual([
        'GetCommand',
        'PutCommand',
        'UpdateCommand',
        // Then the Members index is asked whether it shows the name yet (the connection was
        // recorded long ago, so the shard index already shows it: no look there).
        'QueryCommand',
      ]);
      expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input.IndexName).toBe('Members');

      const entries = publishedEntries();
      // One event for the room, which also asks for the joiner's full list.
      expect(entries).toHaveLength(1);
      const detail = JSON.parse(entries[0]?.Detail ?? '{}');
      expect(detail).toMatchObject({
        audience: { kind: 'room' },
        presence: { change: { event: 'joined', name: 'Alice' }, send: 'room', joinerList: true },
      });
      expect(entries[0]?.DetailType).toBe('Member Joined');
      expect(detail.includeMembers).toBe(true);
      expect(detail.frames[0]).toMatchObject({
        type: 'system',
        event: 'joined',
        name: 'Alice',
        text: 'Alice has joined the chat',
        systemMessage: 'Alice has joined the chat',
      });
      expect(ulidTime(detail.frames[0].id)).toBe(detail.frames[0].ts);
      expect(replies()).toEqual([{ type: 'name', name: 'Alice' }]);
    });

    it('announces a rename and releases the old name only if it is still ours', async () => {
      givenConnection({ name: 'alice', nameKey: 'alice' });
      dynamo.on(PutCommand).resolves({});
      dynamo.on(UpdateCommand).resolves({ Attributes: connectionItem({ name: 'alice', nameKey: 'alice' }) });
      dynamo.on(DeleteCommand).resolves({});

      await invoke(message('setName', { action: 'setName', name: 'alicia' }));

      const release = dynamo.commandCalls(DeleteCommand)[0]?.args[0].input;
      expect(release).toMatchObject({ Key: { pk: 'NAME#alice' }, ExpressionAttributeValues: { ':me': ME } });
      const entries = publishedEntries();
      expect(entries[0]?.DetailType).toBe('Member Renamed');
      expect(JSON.parse(entries[0]?.Detail ?? '{}').frames[0]).toMatchObject({
        event: 'renamed',
        name: 'alicia',
        previousName: 'alice',
        text: 'alice is now known as alicia',
      });
      expect(replies()).toEqual([{ type: 'name', name: 'alicia' }]);
    });

    it('acknowledges the name the caller already has without writing or announcing anything', async () => {
      givenConnection({ name: 'alice', nameKey: 'alice' });

      await invoke(message('setName', { action: 'setName', name: 'alice' }));

      expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
      expect(publishedEntries()).toHaveLength(0);
      expect(replies()).toEqual([{ type: 'name', name: 'alice' }]);
    });

    it('answers NAME_TAKEN when the conditional write loses to another connection (any case)', async () => {
      givenConnection();
      dynamo.on(PutCommand).rejects(conditionFailed());
      dynamo.on(GetCommand, { Key: { pk: 'NAME#bob' } }).resolves({
        Item: {
          pk: 'NAME#bob',
          nameKey: 'bob',
          name: 'bob',
          connectionId: 'OTHER=',
          claimedAt: Date.now(),
          expiresAt: 4_000_000_000,
        },
      });

      await invoke(message('setName', { action: 'setName', name: 'BOB' }));

      expectRejected('NAME_TAKEN', 'setName');
      expect(replies()[0].errorMessage).toBe('The name "BOB" is already taken');
      expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
    });

    it('answers NAME_TAKEN when the holder is old but its connection still has the name', async () => {
      givenConnection();
      dynamo.on(PutCommand).rejects(conditionFailed());
      dynamo.on(GetCommand, { Key: { pk: 'NAME#bob' } }).resolves({
        Item: {
          pk: 'NAME#bob',
          nameKey: 'bob',
          name: 'bob',
          connectionId: 'OTHER=',
          claimedAt: 1,
          expiresAt: 4_000_000_000,
        },
      });
      dynamo.on(GetCommand, { Key: { pk: 'CONN#OTHER=' } }).resolves({
        Item: {
          ...connectionItem({ connectionId: 'OTHER=', name: 'bob', nameKey: 'bob' }),
          pk: 'CONN#OTHER=',
        },
      });

      await invoke(message('setName', { action: 'setName', name: 'bob' }));

      expectRejected('NAME_TAKEN');
    });

    it('takes over a name item orphaned by a failed request (its owner does not hold it)', async () => {
      givenConnection();
      const orphan = {
        pk: 'NAME#bob',
        nameKey: 'bob',
        name: 'bob',
        connectionId: 'OTHER=',
        claimedAt: 1,
        expiresAt: 4_000_000_000,
      };
      dynamo
        .on(PutCommand, {
          ConditionExpression: 'attribute_not_exists(#pk) OR #owner = :me OR #expiresAt < :now',
        })
        .rejects(conditionFailed());
      dynamo
        .on(PutCommand, { ConditionExpression: '#owner = :owner AND #claimedAt = :claimedAt' })
        .resolves({});
      dynamo.on(GetCommand, { Key: { pk: 'NAME#bob' } }).resolves({ Item: orphan });
      dynamo.on(GetCommand, { Key: { pk: 'CONN#OTHER=' } }).resolves({});
      dynamo.on(UpdateCommand).resolves({ Attributes: connectionItem() });

      await invoke(message('setName', { action: 'setName', name: 'bob' }));

      const takeover = dynamo.commandCalls(PutCommand)[1]?.args[0].input;
      expect(takeover?.ExpressionAttributeValues).toEqual({ ':owner': 'OTHER=', ':claimedAt': 1 });
      expect(replies()).toEqual([{ type: 'name', name: 'bob' }]);
      expect(publishedEntries()[0]?.DetailType).toBe('Member Joined');
    });

    it('releases the claim and ends quietly (not a function error) when the caller disconnected meanwhile', async () => {
      dynamo
        .on(GetCommand, { Key: { pk: `CONN#${ME}` } })
        .resolvesOnce({ Item: connectionItem() })
        .resolves({});
      dynamo.on(PutCommand).resolves({});
      dynamo.on(UpdateCommand).rejects(conditionFailed());
      dynamo.on(DeleteCommand).resolves({});

      await expect(invoke(message('setName', { action: 'setName', name: 'alice' }))).resolves.toEqual({
        statusCode: 200,
      });

      expect(dynamo.commandCalls(DeleteCommand)[0]?.args[0].input.Key).toEqual({
        pk: `NAME#${nameKeyOf('alice')}`,
      });
      expect(publishedEntries()).toHaveLength(0);
      expect(replies()).toHaveLength(0);
    });

    it.each([
      ['missing', { action: 'setName' }],
      ['not a string', { action: 'setName', name: 42 }],
      ['empty after trimming', { action: 'setName', name: '   ' }],
      ['over 32 characters', { action: 'setName', name: 'x'.repeat(33) }],
      ['with control characters', { action: 'setName', name: 'ali\u0007ce' }],
    ])('answers INVALID_NAME for a name %s', async (_, body) => {
      await invoke(message('setName', body));

      expectRejected('INVALID_NAME', 'setName');
      expect(dynamo.calls()).toHaveLength(0);
    });
  });

  describe('sendPublic', () => {
    it('publishes one public message event for the room, with the name from the server records', async () => {
      givenConnection({ name: 'alice', nameKey: 'alice' });

      await invoke(message('sendPublic', { action: 'sendPublic', message: '  hi all ', from: 'mallory' }));

      const entries = publishedEntries();
      expect(entries).toHaveLength(1);
      expect(new Set(entries.map((e) => e.DetailType))).toEqual(new Set(['Public Message Sent']));
      const frames = entries.map((e) => JSON.parse(e.Detail ?? '{}').frames[0]);
      expect(frames[0]).toMatchObject({
        type: 'public',
        from: 'alice',
        text: 'hi all',
        publicMessage: 'alice: hi all',
      });
      expect(frames[0].id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(replies()).toHaveLength(0);
      expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
    });

    it('answers NAME_REQUIRED before the caller chose a name', async () => {
      givenConnection();

      await invoke(message('sendPublic', { action: 'sendPublic', message: 'hi' }));

      expectRejected('NAME_REQUIRED', 'sendPublic');
    });

    it.each([
      ['missing', { action: 'sendPublic' }],
      ['not a string', { action: 'sendPublic', message: ['hi'] }],
      ['empty after trimming', { action: 'sendPublic', message: ' \n ' }],
    ])('answers INVALID_MESSAGE for a message %s', async (_, body) => {
      givenConnection({ name: 'alice', nameKey: 'alice' });

      await invoke(message('sendPublic', body));

      expectRejected('INVALID_MESSAGE', 'sendPublic');
    });

    it('answers MESSAGE_TOO_LONG over 2,000 characters (code points, not bytes)', async () => {
      givenConnection({ name: 'alice', nameKey: 'alice' });

      await invoke(message('sendPublic', { action: 'sendPublic', message: '😀'.repeat(2000) }));
      expect(publishedEntries()).toHaveLength(1);

      connections.resetHistory();
      eventBridge.resetHistory();
      await invoke(message('sendPublic', { action: 'sendPublic', message: 'x'.repeat(2001) }));
      expectRejected('MESSAGE_TOO_LONG', 'sendPublic');
    });

    const oneEntryRejected = () =>
      eventBridge.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'bad' }],
      });

    it('parks an entry EventBridge would not take and tells the sender DELIVERY_DELAYED', async () => {
      givenConnection({ name: 'alice', nameKey: 'alice' });
      oneEntryRejected();
      sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });

      await invoke(message('sendPublic', { action: 'sendPublic', message: 'hi' }));

      const parked = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
      expect(parked).toHaveLength(1);
      expect(parked[0]?.QueueUrl).toBe(TEST_ENV.UNPUBLISHED_EVENTS_QUEUE_URL);
      expect(JSON.parse(String(parked[0]?.MessageBody))).toEqual(publishedEntries()[0]);
      expect(parked[0]?.MessageAttributes?.ErrorCode?.StringValue).toBe('MalformedDetail');
      expect(replies()).toEqual([
        expect.objectContaining({ type: 'error', code: 'DELIVERY_DELAYED', action: 'sendPublic' }),
      ]);
    });

    it('fails the invocation (no error frame) when the entry cannot be parked either', async () => {
      givenConnection({ name: 'alice', nameKey: 'alice' });
      oneEntryRejected();
      sqs.on(SendMessageCommand).rejects(new Error('SQS unavailable'));

      await expect(invoke(message('sendPublic', { action: 'sendPublic', message: 'hi' }))).rejects.toThrow(
        /MalformedDetail; parking them failed too: SQS unavailable/,
      );
      expect(connections.commandCalls(PostToConnectionCommand)).toHaveLength(0);
    });
  });

  describe('sendPrivate', () => {
    const bob = {
      pk: 'NAME#bob',
      nameKey: 'bob',
      name: 'Bob',
      connectionId: 'BOBCONN=',
      claimedAt: 1,
      expiresAt: 4_000_000_000,
    };

    it('publishes one event naming the recipient and the sender (for its copy)', async () => {
      givenConnection({ name: 'alice', nameKey: 'alice' });
      dynamo.on(GetCommand, { Key: { pk: 'NAME#bob' } }).resolves({ Item: bob });

      await invoke(message('sendPrivate', { action: 'sendPrivate', to: ' BOB ', message: 'psst' }));

      const entries = publishedEntries();
      expect(entries).toHaveLength(1);
      expect(entries[0]?.DetailType).toBe('Private Message Sent');
      const detail = JSON.parse(entries[0]?.Detail ?? '{}');
      expect(detail.audience).toEqual({ kind: 'connections', connectionIds: ['BOBCONN=', ME] });
      expect(detail.frames[0]).toMatchObject({
        type: 'private',
        from: 'alice',
        to: 'Bob',
        text: 'psst',
        privateMessage: 'alice: psst',
      });
      expect(replies()).toHaveLength(0);
    });

    it('answers NAME_REQUIRED before the caller chose a name', async () => {
      givenConnection();

      await invoke(message('sendPrivate', { action: 'sendPrivate', to: 'bob', message: 'hi' }));

      expectRejected('NAME_REQUIRED', 'sendPrivate');
    });

    it.each([
      ['missing', { action: 'sendPrivate', message: 'hi' }],
      ['not a string', { action: 'sendPrivate', to: 7, message: 'hi' }],
      ['your own name (any case)', { action: 'sendPrivate', to: 'ALICE', message: 'hi' }],
    ])('answers INVALID_RECIPIENT when "to" is %s', async (_, body) => {
      givenConnection({ name: 'alice', nameKey: 'alice' });

      await invoke(message('sendPrivate', body));

      expectRejected('INVALID_RECIPIENT', 'sendPrivate');
    });

    it('answers RECIPIENT_NOT_FOUND when nobody has that name', async () => {
      givenConnection({ name: 'alice', nameKey: 'alice' });
      dynamo.on(GetCommand, { Key: { pk: 'NAME#carol' } }).resolves({});

      await invoke(message('sendPrivate', { action: 'sendPrivate', to: 'carol', message: 'hi' }));

      expectRejected('RECIPIENT_NOT_FOUND', 'sendPrivate');
    });

    it('answers RECIPIENT_NOT_FOUND when the name item has expired but TTL has not removed it yet', async () => {
      givenConnection({ name: 'alice', nameKey: 'alice' });
      dynamo.on(GetCommand, { Key: { pk: 'NAME#bob' } }).resolves({ Item: { ...bob, expiresAt: 1 } });

      await invoke(message('sendPrivate', { action: 'sendPrivate', to: 'bob', message: 'hi' }));

      expectRejected('RECIPIENT_NOT_FOUND');
    });

    it('answers INVALID_MESSAGE and MESSAGE_TOO_LONG like sendPublic', async () => {
      givenConnection({ name: 'alice', nameKey: 'alice' });

      await invoke(message('sendPrivate', { action: 'sendPrivate', to: 'bob', message: '' }));
      expectRejected('INVALID_MESSAGE');
      connections.resetHistory();
      await invoke(message('sendPrivate', { action: 'sendPrivate', to: 'bob', message: 'y'.repeat(2001) }));
      expectRejected('MESSAGE_TOO_LONG');
    });
  });

  describe('$default', () => {
    it('answers a keepalive ping with a pong to the caller only, publishing nothing', async () => {
      await invoke(message('$default', { action: 'ping' }));

      expect(replies()).toEqual([{ type: 'pong' }]);
      expect(publishedEntries()).toEqual([]);
    });

    it('answers UNKNOWN_ACTION naming the valid actions and echoing the action asked for', async () => {
      await invoke(message('$default', { action: 'dance' }));

      expectRejected('UNKNOWN_ACTION', 'dance');
      expect(replies()[0].errorMessage).toBe(
        'Unknown action; valid actions are setName, sendPublic, sendPrivate',
      );
    });

    it('answers UNKNOWN_ACTION for a JSON object without an action', async () => {
      await invoke(message('$default', { message: 'hi' }));

      expectRejected('UNKNOWN_ACTION');
      expect(replies()[0]).not.toHaveProperty('action');
    });

    it.each([
      ['text that is not JSON', 'hello there'],
      ['truncated JSON', '{"action": "sendPublic", "message": '],
      ['a JSON array', '[1,2]'],
      ['a JSON string', '"setName"'],
      ['an empty frame', ''],
    ])('answers INVALID_JSON for %s', async (_, body) => {
      await invoke(message('$default', body));

      expectRejected('INVALID_JSON');
    });

    it('answers FRAME_TOO_LARGE for a frame over 8 KiB (UTF-8 bytes), on any route', async () => {
      await invoke(message('$default', { action: 'x', pad: 'é'.repeat(4100) }));
      expectRejected('FRAME_TOO_LARGE');

      connections.resetHistory();
      await invoke(message('sendPublic', { action: 'sendPublic', message: 'a'.repeat(8200) }));
      expectRejected('FRAME_TOO_LARGE', 'sendPublic');
      expect(dynamo.calls()).toHaveLength(0);
    });
  });

  describe('replies', () => {
    it('posts the reply with one PostToConnection to the caller only', async () => {
      await invoke(message('$default', { action: 'dance' }));

      expect(connections.commandCalls(PostToConnectionCommand)).toHaveLength(1);
    });

    it('runs the leave logic when the caller is already gone', async () => {
      connections
        .on(PostToConnectionCommand)
        .rejects(new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } }));
      dynamo.on(DeleteCommand, { Key: { pk: `CONN#${ME}` } }).resolves({
        Attributes: connectionItem({ name: 'alice', nameKey: 'alice' }),
      });
      dynamo.on(DeleteCommand, { Key: { pk: 'NAME#alice' } }).resolves({});

      await expect(invoke(message('$default', { action: 'dance' }))).resolves.toEqual({ statusCode: 200 });

      expect(publishedEntries()[0]?.DetailType).toBe('Member Left');
    });

    it('fails the invocation when DynamoDB fails, instead of answering with an error frame', async () => {
      dynamo.on(GetCommand).rejects(new Error('ProvisionedThroughputExceeded'));

      await expect(invoke(message('sendPublic', { action: 'sendPublic', message: 'hi' }))).rejects.toThrow(
        'ProvisionedThroughputExceeded',
      );
      expect(replies()).toHaveLength(0);
    });
  });

  it('rejects an event that is not a WebSocket event', async () => {
    await expect(invoke({ hello: 'world' })).rejects.toMatchObject({
      name: 'InvalidWebSocketEventError',
      message: 'Not an API Gateway WebSocket event: requestContext must be an object',
    });
  });
});
