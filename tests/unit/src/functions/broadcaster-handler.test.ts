import {
  ApiGatewayManagementApiClient,
  GoneException,
  LimitExceededException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { logger } from '../../../../src/shared/powertools';
import { indexesCaughtUp } from '../../../support/caught-up-indexes';
import { chatEnvelope, lambdaContext, setTestEnv } from '../support/events';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

const dynamo = mockClient(DynamoDBDocumentClient);
const dynamoRaw = mockClient(DynamoDBClient);
const eventBridge = mockClient(EventBridgeClient);
const connections = mockClient(ApiGatewayManagementApiClient);
// The handlers post through the lean signed-HTTP sender; here, through the SDK client, to script answers.
jest.mock('../../../../src/shared/aws-clients', () =>
  jest.requireActual('../support/sdk-connection-sender').awsClientsWithSdkSender(),
);

let handler: Handler;
beforeAll(async () => {
  setTestEnv();
  ({ handler } = (await import('../../../../src/functions/broadcaster/handler')) as unknown as {
    handler: Handler;
  });
});

const invoke = (event: unknown) => handler(event, lambdaContext('broadcaster'));

const publicFrame = {
  type: 'public',
  publicMessage: 'alice: hi',
  id: '01M7XEE6XS2ZYEQTXP5S60BGES',
  ts: 1795210812345,
  from: 'alice',
  text: 'hi',
};
const joinedFrame = {
  type: 'system',
  systemMessage: 'carol has joined the chat',
  id: '01M7XEE6XS2ZYEQTXP5S60BGET',
  ts: 1795210812345,
  text: 'carol has joined the chat',
  event: 'joined',
  name: 'carol',
};
const shardDetail = (shard: number, extra: Record<string, unknown> = {}) => ({
  correlationId: 'corr-123=',
  audience: { kind: 'shard', shard },
  frames: [publicFrame],
  includeMembers: false,
  ...extra,
});

/** The frames each connection received, in order. */
const delivered = () => {
  const byConnection = new Map<string, unknown[]>();
  for (const call of connections.commandCalls(PostToConnectionCommand)) {
    const { ConnectionId, Data } = call.args[0].input;
    const list = byConnection.get(String(ConnectionId)) ?? [];
    list.push(JSON.parse(String(Data)));
    byConnection.set(String(ConnectionId), list);
  }
  return byConnection;
};

/** Shard pages: the ByShard index returns these ids, `pageSize` per page. */
const givenShard = (ids: string[], pageSize = 2) => {
  dynamo.on(QueryCommand, { IndexName: 'ByShard' }).callsFake((input) => {
    const start = input.ExclusiveStartKey ? Number(input.ExclusiveStartKey.offset) : 0;
    const page = ids.slice(start, start + pageSize);
    const more = start + pageSize < ids.length;
    return {
      Items: page.map((connectionId) => ({
        pk: `CONN#${connectionId}`,
        shard: input.ExpressionAttributeValues[':shard'],
        connectionId,
      })),
      ...(more ? { LastEvaluatedKey: { offset: start + pageSize } } : {}),
    };
  });
};

// A small stand-in for the idempotency table, honouring the conditions the persistence layer sends.
const idempotencyItems = new Map<string, Record<string, AttributeValue>>();
const fakeIdempotencyTable = () => {
  dynamoRaw.on(PutItemCommand).callsFake((input) => {
    const id = String(input.Item.id.S);
    const existing = idempotencyItems.get(id);
    if (existing && Number(existing.expiration?.N) >= Date.now() / 1000) {
      const stuck =
        existing.status?.S === 'INPROGRESS' && Number(existing.in_progress_expiration?.N) < Date.now();
      if (!stuck)
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
        });
    }
    idempotencyItems.set(id, { ...input.Item });
    return {};
  });
  dynamoRaw.on(GetItemCommand).callsFake((input) => ({ Item: idempotencyItems.get(String(input.Key.id.S)) }));
  dynamoRaw.on(UpdateItemCommand).callsFake((input) => {
    const id = String(input.Key.id.S);
    const item = { ...idempotencyItems.get(id) };
    for (const assignment of input.UpdateExpression.replace(/^SET /, '').split(', ')) {
      const [nameRef, valueRef] = assignment.split(' = ');
      item[input.ExpressionAttributeNames[nameRef]] = input.ExpressionAttributeValues[valueRef];
    }
    idempotencyItems.set(id, item);
    return {};
  });
  dynamoRaw.on(DeleteItemCommand).callsFake((input) => {
    idempotencyItems.delete(String(input.Key.id.S));
    return {};
  });
};

beforeEach(() => {
  dynamo.reset();
  indexesCaughtUp(dynamo);
  dynamoRaw.reset();
  eventBridge.reset();
  connections.reset();
  idempotencyItems.clear();
  fakeIdempotencyTable();
  dynamo.on(ScanCommand).rejects(new Error('the broadcaster must never Scan'));
  eventBridge.on(PutEventsCommand).callsFake((input) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_: unknown, i: number) => ({ EventId: `id-${i}` })),
  }));
  connections.on(PostToConnectionCommand).resolves({});
});

let nextEventId = 0;
const envelope = (detailType: string, detail: unknown) =>
  chatEnvelope(detailType, detail, `evt-${++nextEventId}`);

describe('the broadcaster handler', () => {
  it('delivers the frame to every connection of its shard, reading the shard index page by page', async () => {
    givenShard(['a=', 'b=', 'c=', 'd=', 'e=']);

    const result = await invoke(envelope('Public Message Sent', shardDetail(2)));

    expect([...delivered().entries()]).toEqual(
      ['a=', 'b=', 'c=', 'd=', 'e='].map((id) => [id, [publicFrame]]),
    );
    const queries = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries).toHaveLength(3);
    for (const query of queries) {
      expect(query).toMatchObject({
        TableName: 'chat-table',
        IndexName: 'ByShard',
        KeyConditionExpression: '#shard = :shard',
        ExpressionAttributeNames: { '#shard': 'shard' },
        ExpressionAttributeValues: { ':shard': 2 },
      });
    }
    expect(queries.map((q) => q.ExclusiveStartKey)).toEqual([undefined, { offset: 2 }, { offset: 4 }]);
    expect(result).toEqual({ recipients: 5, framesSent: 5, gone: 0 });
  });

  it('keeps at most SEND_CONCURRENCY posts in flight', async () => {
    givenShard(
      Array.from({ length: 40 }, (_, i) => `c${i}=`),
      15,
    );
    let inFlight = 0;
    let maxInFlight = 0;
    connections.on(PostToConnectionCommand).callsFake(async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return {};
    });

    await invoke(envelope('Public Message Sent', shardDetail(0)));

    expect(connections.commandCalls(PostToConnectionCommand)).toHaveLength(40);
    expect(maxInFlight).toBeLessThanOrEqual(8);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it('sends the system frame then the members list (a Query on the Members index, sorted, without expired names)', async () => {
    givenShard(['a=', 'b=']);
    const now = Math.floor(Date.now() / 1000);
    dynamo.on(QueryCommand, { IndexName: 'Members' }).resolves({
      Items: [
        { name: 'bob', expiresAt: now + 600 },
        { name: 'Carol', expiresAt: now + 600 },
        { name: 'alice', expiresAt: now + 600 },
        { name: 'ghost', expiresAt: now - 5 },
      ],
    });

    await invoke(envelope('Member Joined', shardDetail(1, { frames: [joinedFrame], includeMembers: true })));

    const members = { type: 'members', members: ['alice', 'bob', 'Carol'] };
    expect(delivered().get('a=')).toEqual([joinedFrame, members]);
    expect(delivered().get('b=')).toEqual([joinedFrame, members]);
    expect(dynamo.commandCalls(QueryCommand, { IndexName: 'Members' })[0]?.args[0].input).toMatchObject({
      KeyConditionExpression: '#memberList = :members',
    });
  });

  it('delivers a private message to the recipient and the sender copy only', async () => {
    const frame = { ...publicFrame, type: 'private', privateMessage: 'alice: hi', to: 'bob' };
    const detail = {
      correlationId: 'c=',
      audience: { kind: 'connections', connectionIds: ['bob=', 'alice='] },
      frames: [frame],
      includeMembers: false,
    };

    await invoke(envelope('Private Message Sent', detail));

    expect([...delivered().keys()]).toEqual(['bob=', 'alice=']);
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('prunes a gone connection and its name, tells the others it left, and still delivers to the rest', async () => {
    givenShard(['a=', 'gone=', 'c=']);
    connections
      .on(PostToConnectionCommand, { ConnectionId: 'gone=' })
      .rejects(new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } }));
    dynamo.on(DeleteCommand, { Key: { pk: 'CONN#gone=' } }).resolves({
      Attributes: {
        pk: 'CONN#gone=',
        connectionId: 'gone=',
        shard: 3,
        connectedAt: 1,
        expiresAt: 2,
        name: 'Dave',
        nameKey: 'dave',
      },
    });
    dynamo.on(DeleteCommand, { Key: { pk: 'NAME#dave' } }).resolves({});

    const result = await invoke(envelope('Public Message Sent', shardDetail(3)));

    expect(result).toEqual({ recipients: 3, framesSent: 2, gone: 1 });
    expect(dynamo.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key)).toEqual([
      { pk: 'CONN#gone=' },
      { pk: 'NAME#dave' },
    ]);
    expect(dynamo.commandCalls(DeleteCommand)[1]?.args[0].input.ExpressionAttributeValues).toEqual({
      ':me': 'gone=',
    });
    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries).toHaveLength(1);
    const detail = JSON.parse(entries[0]?.Detail ?? '{}');
    expect(entries[0]?.DetailType).toBe('Member Left');
    expect(detail).toMatchObject({ correlationId: 'corr-123=', includeMembers: true });
    expect(detail.frames[0]).toMatchObject({ event: 'left', name: 'Dave', text: 'Dave has left the chat' });
    expect(delivered().get('a=')).toEqual([publicFrame]);
    expect(delivered().get('c=')).toEqual([publicFrame]);
    // The gone connection is tried once: 410 is an answer, not a failure to retry.
    expect(connections.commandCalls(PostToConnectionCommand, { ConnectionId: 'gone=' })).toHaveLength(1);
  });

  it('retries a throttled (429) post with backoff and then delivers it', async () => {
    givenShard(['a=']);
    const throttled = () =>
      new LimitExceededException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } });
    connections.on(PostToConnectionCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});

    const result = await invoke(envelope('Public Message Sent', shardDetail(0)));

    expect(connections.commandCalls(PostToConnectionCommand)).toHaveLength(3);
    expect(result).toMatchObject({ framesSent: 1, gone: 0 });
  });

  it('fails the invocation after a few retries of any other error, so Lambda retries and then dead-letters it', async () => {
    givenShard(['a=']);
    connections.on(PostToConnectionCommand).rejects(new Error('socket hang up'));

    await expect(invoke(envelope('Public Message Sent', shardDetail(0)))).rejects.toThrow(
      /failed 3 times: Error/,
    );
    expect(connections.commandCalls(PostToConnectionCommand)).toHaveLength(3);
  });

  it('does not deliver a redelivered event (same EventBridge id) a second time', async () => {
    givenShard(['a=', 'b=']);
    const event = envelope('Public Message Sent', shardDetail(0));

    const first = await invoke(event);
    const second = await invoke(structuredClone(event));

    expect(connections.commandCalls(PostToConnectionCommand)).toHaveLength(2);
    expect(second).toEqual(first);
    expect(dynamoRaw.commandCalls(PutItemCommand)[0]?.args[0].input.TableName).toBe('idempotency-table');

    await invoke(envelope('Public Message Sent', shardDetail(0)));
    expect(connections.commandCalls(PostToConnectionCommand)).toHaveLength(4);
  });

  it('returns a refused copy of a room event only once the audience read it started has settled', async () => {
    // The room's Query goes out beside the idempotency write; a copy the write refuses must not
    // leave it in flight when the invocation ends (Lambda freezes the environment).
    givenShard(['a=', 'b=']);
    const event = envelope('Public Message Sent', { ...shardDetail(0), audience: { kind: 'room' } });
    const first = await invoke(event);
    const posts = connections.commandCalls(PostToConnectionCommand).length;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let readsSettled = 0;
    dynamo.on(QueryCommand, { IndexName: 'ByShard' }).callsFake(async () => {
      await gate;
      readsSettled += 1;
      return { Items: [] };
    });

    let returned = false;
    const copy = invoke(structuredClone(event)).then((result) => {
      returned = true;
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(returned).toBe(false);
    release();

    await expect(copy).resolves.toEqual(first);
    expect(readsSettled).toBeGreaterThan(0);
    expect(connections.commandCalls(PostToConnectionCommand)).toHaveLength(posts);
  });

  it('delivers an event again after a failed attempt (the failure is not recorded as done)', async () => {
    givenShard(['a=']);
    const event = envelope('Public Message Sent', shardDetail(0));
    connections.on(PostToConnectionCommand).rejects(new Error('socket hang up'));
    await expect(invoke(event)).rejects.toThrow(/PostToConnection failed/);

    connections.on(PostToConnectionCommand).resolves({});
    await expect(invoke(event)).resolves.toMatchObject({ framesSent: 1 });
  });

  it('logs with the correlation id carried in the event detail', async () => {
    givenShard(['a=']);
    const seen: unknown[] = [];
    const info = jest.spyOn(logger, 'info').mockImplementation(() => {
      seen.push(logger.getCorrelationId());
    });
    try {
      await invoke(envelope('Public Message Sent', shardDetail(0)));
    } finally {
      info.mockRestore();
    }
    expect(seen).toContain('corr-123=');
  });

  it('rejects an event that is not a chat event', async () => {
    // By name: the handler module is loaded afresh for these tests, so its classes are not ours.
    await expect(invoke(envelope('Public Message Sent', { audience: 'everyone' }))).rejects.toMatchObject({
      name: 'InvalidChatEventError',
      message: expect.stringContaining('detail.audience must be an object'),
    });
    await expect(
      invoke({ ...envelope('Public Message Sent', shardDetail(0)), source: 'someone.else' }),
    ).rejects.toMatchObject({
      name: 'InvalidChatEventError',
      message: 'Not a chat event: source must be chat.api',
    });
    expect(connections.commandCalls(PostToConnectionCommand)).toHaveLength(0);
  });
});
