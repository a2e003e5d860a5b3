import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { nameKeyOf } from '../../../../src/chat/rules';
import { indexesCaughtUp } from '../../../support/caught-up-indexes';
import { chatEnvelope, lambdaContext, setTestEnv, TEST_ENV } from '../support/events';

// The broadcaster's two paths through its real handler, with the AWS clients mocked: a large room's
// presence event from EventBridge is queued to PresenceQueue, and a PresenceQueue batch (AWS's SQS
// event shape, as events/presence-batch.json) is delivered with batch item failures.
type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

const dynamo = mockClient(DynamoDBDocumentClient);
const dynamoRaw = mockClient(DynamoDBClient);
const eventBridge = mockClient(EventBridgeClient);
const connections = mockClient(ApiGatewayManagementApiClient);
const sqs = mockClient(SQSClient);
jest.mock('../../../../src/shared/aws-clients', () =>
  jest.requireActual('../support/sdk-connection-sender').awsClientsWithSdkSender(),
);

const THRESHOLD = 2;
let handler: Handler;
beforeAll(async () => {
  setTestEnv();
  process.env.PRESENCE_FULL_LIST_MAX = String(THRESHOLD);
  ({ handler } = (await import('../../../../src/functions/broadcaster/handler')) as unknown as {
    handler: Handler;
  });
});
afterAll(() => {
  process.env.PRESENCE_FULL_LIST_MAX = TEST_ENV.PRESENCE_FULL_LIST_MAX;
});

const invoke = (event: unknown) => handler(event, lambdaContext('broadcaster'));

const joinedFrame = {
  type: 'system',
  systemMessage: 'carol has joined the chat',
  id: '01M7XEE6XS2ZYEQTXP5S60BGET',
  ts: 1795210812345,
  text: 'carol has joined the chat',
  event: 'joined',
  name: 'carol',
};
const carolJoined = { event: 'joined', name: 'carol', connectionId: 'c=' };

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

const givenRoom = (connectionIds: string[], members: string[]) => {
  // Every connection in shard 0; the other shards (SHARD_COUNT) are empty.
  dynamo.on(QueryCommand, { IndexName: 'ByShard' }).callsFake((input) => {
    const shard = input.ExpressionAttributeValues[':shard'];
    const ids = shard === 0 ? connectionIds : [];
    return { Items: ids.map((connectionId) => ({ pk: `CONN#${connectionId}`, shard, connectionId })) };
  });
  const expiresAt = Math.floor(Date.now() / 1000) + 600;
  dynamo.on(QueryCommand, { IndexName: 'Members' }).callsFake((input) => ({
    Items: members.slice(0, input.Limit ?? members.length).map((name) => ({ name, expiresAt })),
  }));
  givenClaims(members);
};
/** The name claims as the table holds them now (consistent BatchGetItem), by default the Members list. */
const givenClaims = (names: string[]) => {
  const expiresAt = Math.floor(Date.now() / 1000) + 600;
  const byKey = new Map(names.map((name) => [`NAME#${nameKeyOf(name)}`, name]));
  dynamo.on(BatchGetCommand).callsFake((input) => {
    const [[table, { Keys }]] = Object.entries(input.RequestItems) as [[string, { Keys: { pk: string }[] }]];
    const items = Keys.flatMap(({ pk }) => {
      const name = byKey.get(pk);
      const nameKey = pk.slice('NAME#'.length);
      return name ? [{ pk, nameKey, name, connectionId: 'x=', claimedAt: 1, expiresAt }] : [];
    });
    return { Responses: { [table]: items } };
  });
};
const consistentClaimReads = () =>
  dynamo
    .commandCalls(BatchGetCommand)
    .filter((call) =>
      Object.values(call.args[0].input.RequestItems ?? {}).every(
        (request) => request.ConsistentRead === true,
      ),
    ).length;
const membersQueries = () => dynamo.commandCalls(QueryCommand, { IndexName: 'Members' }).length;

let nextMessage = 0;
/** A record as the SQS event source mapping delivers it (docs: "Using Lambda with Amazon SQS"). */
const sqsRecord = (body: unknown) => {
  nextMessage += 1;
  return {
    messageId: `m-${nextMessage}`,
    receiptHandle: `AQEB-${nextMessage}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(1795210812345 + nextMessage),
      SenderId: 'AROAEXAMPLE:broadcaster',
      ApproximateFirstReceiveTimestamp: String(1795210812400 + nextMessage),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:presence',
    awsRegion: 'us-east-1',
  };
};
const message = (change: object, send: 'room' | 'full', at = '') => ({
  correlationId: 'corr-1=',
  presence: { change, send },
  at,
});

beforeEach(() => {
  dynamo.reset();
  indexesCaughtUp(dynamo);
  dynamoRaw.reset();
  dynamoRaw.on(PutItemCommand).resolves({});
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).callsFake((input) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_: unknown, i: number) => ({ EventId: `id-${i}` })),
  }));
  connections.reset();
  connections.on(PostToConnectionCommand).resolves({});
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'queued-1' });
});

/** The room's `Member Joined` event of carol's join, as chat-api publishes it. */
const carolJoinsTheRoom = (extra: { joinerList?: true } = {}) => ({
  correlationId: 'corr-1=',
  audience: { kind: 'room' },
  frames: [joinedFrame],
  includeMembers: true,
  presence: { change: carolJoined, send: 'room', ...extra },
});

describe('the broadcaster, for a room above PresenceFullListMax', () => {
  it("queues a join's room change to PresenceQueue instead of posting it", async () => {
    givenRoom(['a=', 'b=', 'c='], ['alice', 'bob', 'carol']);
    const detail = carolJoinsTheRoom();

    await expect(invoke(chatEnvelope('Member Joined', detail, 'evt-q1'))).resolves.toMatchObject({
      queued: 1,
    });

    expect(connections.commandCalls(PostToConnectionCommand)).toHaveLength(0);
    const sent = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.QueueUrl).toBe(TEST_ENV.PRESENCE_QUEUE_URL);
    expect(JSON.parse(String(sent[0]?.MessageBody))).toEqual(message(carolJoined, 'room', joinedFrame.id));
  });

  it('queues a redelivered event (same EventBridge id) again, and keeps no idempotency record for it', async () => {
    // A change queued twice is harmless (presence-batch.test.ts, "a join queued twice"): the
    // record's two writes are not worth it on this path.
    givenRoom(['a=', 'b=', 'c='], ['alice', 'bob', 'carol']);
    const detail = carolJoinsTheRoom({ joinerList: true });
    const event = chatEnvelope('Member Joined', detail, 'evt-q3');

    await expect(invoke(event)).resolves.toMatchObject({ queued: 1 });
    await expect(invoke(structuredClone(event))).resolves.toMatchObject({ queued: 1 });

    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(2);
    expect(dynamoRaw.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(dynamoRaw.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(membersQueries()).toBe(2);
  });

  it("keeps a small room's presence event idempotent, and reads its room once", async () => {
    givenRoom(['a=', 'b='], ['alice', 'carol']);
    const detail = carolJoinsTheRoom({ joinerList: true });

    await invoke(chatEnvelope('Member Joined', detail, 'evt-q4'));

    expect(membersQueries()).toBe(1);
    expect(dynamoRaw.commandCalls(PutItemCommand)[0]?.args[0].input.TableName).toBe('idempotency-table');
    expect(delivered().get('a=')).toEqual([joinedFrame, { type: 'members', members: ['alice', 'carol'] }]);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('keeps a room up to the threshold on the direct path (nothing queued)', async () => {
    givenRoom(['a=', 'b='], ['alice', 'carol']);
    const detail = carolJoinsTheRoom();

    await invoke(chatEnvelope('Member Joined', detail, 'evt-q2'));

    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(delivered().get('a=')).toEqual([joinedFrame, { type: 'members', members: ['alice', 'carol'] }]);
  });
});

describe('the broadcaster, for a batch of PresenceQueue', () => {
  it('reads the list (and once more after posting it), sends the joiner the full list and the others one frame, and reports no failure', async () => {
    // The index has not caught up with carol's join nor dave's leave: her list is still right.
    givenRoom(['a=', 'b=', 'c='], ['alice', 'bob', 'dave']);
    givenClaims(['alice', 'bob', 'carol']);
    const event = {
      Records: [
        sqsRecord(message(carolJoined, 'room', '01B')),
        sqsRecord(message(carolJoined, 'full')),
        sqsRecord(message({ event: 'left', name: 'dave', connectionId: 'd=' }, 'room', '01C')),
      ],
    };

    await expect(invoke(event)).resolves.toEqual({ batchItemFailures: [] });

    expect(membersQueries()).toBe(2);
    const frame = { type: 'presence', joined: ['carol'], left: ['dave'], renamed: [] };
    expect(delivered().get('a=')).toEqual([frame]);
    expect(delivered().get('b=')).toEqual([frame]);
    expect(delivered().get('c=')).toEqual([{ type: 'members', members: ['alice', 'bob', 'carol'] }]);
  });

  it('reports a message whose body is not a presence message, and delivers the others', async () => {
    givenRoom(['a='], ['alice', 'bob', 'carol']);
    const bad = sqsRecord('{"presence": "nonsense"}');
    const notJson = sqsRecord('carol joined');
    const event = { Records: [bad, sqsRecord(message(carolJoined, 'room', '01B')), notJson] };

    await expect(invoke(event)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: bad.messageId }, { itemIdentifier: notJson.messageId }],
    });
    expect(delivered().get('a=')).toEqual([{ type: 'presence', joined: ['carol'], left: [], renamed: [] }]);
  });

  it("reports the batch's room changes when their frame could not be posted, so only they come back", async () => {
    givenRoom(['a=', 'c='], ['alice', 'bob', 'carol']);
    connections.on(PostToConnectionCommand, { ConnectionId: 'a=' }).rejects(new Error('socket hang up'));
    const change = sqsRecord(message(carolJoined, 'room', '01B'));
    const full = sqsRecord(message(carolJoined, 'full'));

    await expect(invoke({ Records: [change, full] })).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: change.messageId }],
    });
    expect(delivered().get('c=')).toEqual([{ type: 'members', members: ['alice', 'bob', 'carol'] }]);
  });

  it('reports the present, not the past: a join that comes back after the member left is not sent as a join', async () => {
    givenRoom(['a='], ['alice', 'bob']);
    // carol joined and left since; her join's first delivery failed, and this is its redelivery.
    givenClaims(['alice', 'bob']);

    await expect(invoke({ Records: [sqsRecord(message(carolJoined, 'room', '01B'))] })).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(delivered().get('a=')).toEqual([{ type: 'presence', joined: [], left: ['carol'], renamed: [] }]);
    expect(consistentClaimReads()).toBe(1);
  });

  it('refuses Records that are not SQS messages, naming the problem', async () => {
    const event = { Records: [{ eventSource: 'aws:s3', s3: {} }] };
    await expect(invoke(event)).rejects.toThrow(
      'Not an SQS event: Records[0] must be an SQS message (messageId, eventSource "aws:sqs")',
    );
  });

  it('delivers the sample event events/presence-batch.json', async () => {
    givenRoom(['BFaT_fALIAMCKug=', 'BFaS1eHeIAMCJ-w=', 'x='], ['alice', 'bob', 'dave']);
    givenClaims(['alicia', 'bob', 'carol']);
    const sample = JSON.parse(
      readFileSync(path.join(__dirname, '../../../../events/presence-batch.json'), 'utf8'),
    );

    await expect(invoke(sample)).resolves.toEqual({ batchItemFailures: [] });

    const frame = {
      type: 'presence',
      joined: ['carol'],
      left: ['dave'],
      renamed: [{ previousName: 'alice', name: 'alicia' }],
    };
    expect(delivered().get('x=')).toEqual([frame]);
    expect(delivered().get('BFaT_fALIAMCKug=')).toEqual([
      { type: 'members', members: ['alicia', 'bob', 'carol'] },
    ]);
  });
});
