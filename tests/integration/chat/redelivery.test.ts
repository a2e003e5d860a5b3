import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type LocalStack, startLocalStack } from '../../../local/stack';
import { nameKeyOf } from '../../../src/chat/rules';
import { ulid } from '../../../src/chat/ulid';
import { output, type StackClients, stackClients } from '../helpers/aws';
import { ChatClient, type Frame, settle } from '../helpers/chat-client';

// Starting the stack builds both functions; cold starts on a busy 2-core box take seconds.
jest.setTimeout(90_000);

/**
 * Every @connections call takes this long, so a delivery of several frames stays in progress long
 * enough for a second copy of its event to arrive meanwhile, whatever the load on the machine.
 */
const CALLBACK_LATENCY_MS = 500;

let stack: LocalStack;
let aws: StackClients;
let listener: ChatClient;
let other: ChatClient;
let listenerId: string;

const stamped = (text: string): Frame => {
  const ts = Date.now();
  return {
    type: 'private',
    privateMessage: `echo: ${text}`,
    id: ulid(ts),
    ts,
    from: 'echo',
    to: 'listener',
    text,
  };
};

/** A chat event as EventBridge hands it to the broadcaster (a redelivery carries the same id). */
const envelope = (eventId: string, audience: object, frames: Frame[]) => ({
  version: '0',
  id: eventId,
  'detail-type': 'Private Message Sent',
  source: 'chat.api',
  account: stack.model.accountId,
  time: new Date().toISOString(),
  region: stack.model.region,
  resources: [],
  detail: { correlationId: `test-${eventId}`, audience, frames, includeMembers: false },
});

const copiesOf = (client: ChatClient, frame: Frame): number =>
  client.matching((f) => f.id === frame.id).length;

beforeAll(async () => {
  stack = await startLocalStack({
    templatePath: 'template.yaml',
    port: 0,
    callbackLatencyMs: CALLBACK_LATENCY_MS,
    asyncRetryDelaysMs: [200, 400],
    ttlSweepIntervalMs: 0,
  });
  aws = stackClients(stack);
  [listener, other] = await Promise.all([
    ChatClient.connect(stack.webSocketUrl(), 'listener'),
    ChatClient.connect(stack.webSocketUrl(), 'other'),
  ]);
  expect(await listener.setName('listener')).toEqual({ type: 'name', name: 'listener' });
  await settle(stack, [listener, other]);
  const { Item } = await aws.document.send(
    new GetCommand({
      TableName: output(stack, 'ChatTableName'),
      Key: { pk: `NAME#${nameKeyOf('listener')}` },
      ConsistentRead: true,
    }),
  );
  listenerId = String(Item?.connectionId);
});

afterAll(async () => {
  await stack?.stop();
  listener?.ws.terminate();
  other?.ws.terminate();
  aws?.destroy();
});

describe('an event EventBridge delivers more than once', () => {
  it('is delivered once to every connection of every shard when it comes again after the first delivery', async () => {
    const shardCount = Number(
      stack.model.functions.find((fn) => fn.logicalId === 'BroadcasterFunction')?.environment.SHARD_COUNT,
    );
    const frame = { ...stamped('said once'), type: 'public', publicMessage: 'echo: said once' };
    const events = Array.from({ length: shardCount }, (_, shard) => ({
      ...envelope(`again-${shard}`, { kind: 'shard', shard }, [frame]),
      'detail-type': 'Public Message Sent',
    }));

    const first = await Promise.all(events.map((event) => stack.lambda.invoke('BroadcasterFunction', event)));
    const again = await Promise.all(events.map((event) => stack.lambda.invoke('BroadcasterFunction', event)));

    for (const result of [...first, ...again]) expect(result.ok).toBe(true);
    // The redelivery returns the stored result of the first delivery instead of posting again.
    expect(again.map((result) => result.ok && result.payload)).toEqual(
      first.map((result) => result.ok && result.payload),
    );
    await settle(stack, [listener, other]);
    expect([copiesOf(listener, frame), copiesOf(other, frame)]).toEqual([1, 1]);
  });

  it('delivers a part of a split room once, though the redelivered room event published it again', async () => {
    // A room event whose invocation failed after PutEvents is delivered again and publishes its
    // parts again: new EventBridge ids, the same part keys (room event id + range).
    const frame = { ...stamped('one part'), type: 'public', publicMessage: 'echo: one part' };
    const part = { kind: 'range', key: 'room-evt-1/..', from: undefined, to: undefined };
    const copies = ['part-copy-1', 'part-copy-2'].map((id) => ({
      ...envelope(id, part, [frame]),
      'detail-type': 'Public Message Sent',
    }));

    stack.resetStats();
    const first = await stack.lambda.invoke('BroadcasterFunction', copies[0]);
    const deliveryCalls = stack.stats().aws.dynamodb;
    stack.resetStats();
    const second = await stack.lambda.invoke('BroadcasterFunction', copies[1]);

    expect([first.ok, second.ok]).toEqual([true, true]);
    // What the dedupe costs: a delivery writes its record twice (in progress, then completed)
    // around its one Query; a copy is refused by the conditional PutItem and reads nothing else.
    // On AWS the refusal carries the stored record (ReturnValuesOnConditionCheckFailure: ALL_OLD),
    // so that is 1 call; dynalite does not return it, so Powertools reads it with a GetItem here.
    expect(deliveryCalls).toEqual({ PutItem: 1, Query: 1, UpdateItem: 1 });
    expect(stack.stats().aws.dynamodb).toEqual({ PutItem: 1, GetItem: 1 });
    await settle(stack, [listener, other]);
    expect([copiesOf(listener, frame), copiesOf(other, frame)]).toEqual([1, 1]);
  });

  // Guards against Powertools' makeHandlerIdempotent middleware (2.35.0), which deletes the record
  // when it rejects a copy as in progress (powertools-lambda-typescript#5675): the next copy would
  // then deliver again. The broadcaster uses makeIdempotent instead.
  it('is delivered once when copies arrive while the first delivery is still running', async () => {
    // Prepare: two warm environments, so the copies below start at once.
    const warm = stamped('warm-up');
    await Promise.all(
      ['warm-1', 'warm-2'].map((id) =>
        stack.lambda.invoke(
          'BroadcasterFunction',
          envelope(id, { kind: 'connections', connectionIds: [listenerId] }, [warm]),
        ),
      ),
    );
    // Six frames in a row to one connection: the first delivery holds its lock for ~3 s.
    const frames = Array.from({ length: 6 }, (_, i) => stamped(`part ${i + 1}`));
    const event = envelope('duplicated', { kind: 'connections', connectionIds: [listenerId] }, frames);
    const from = listener.mark();

    // Act: the original starts; once its first frame arrives it is mid-delivery.
    const original = stack.lambda.invoke('BroadcasterFunction', event);
    await listener.waitFor((f) => f.id === frames[0]?.id, { from, what: 'the first frame' });
    const duplicate = await stack.lambda.invoke('BroadcasterFunction', structuredClone(event));
    const retryOfDuplicate = await stack.lambda.invoke('BroadcasterFunction', structuredClone(event));
    const first = await original;

    // Assert
    expect(first.ok).toBe(true);
    expect(duplicate).toMatchObject({ ok: false, error: { errorType: 'IdempotencyAlreadyInProgressError' } });
    // Still in progress (or completed) when the retry came: either way it must not post again.
    if (!retryOfDuplicate.ok)
      expect(retryOfDuplicate.error.errorType).toBe('IdempotencyAlreadyInProgressError');
    await settle(stack, [listener, other]);
    expect(frames.map((frame) => copiesOf(listener, frame))).toEqual([1, 1, 1, 1, 1, 1]);
  });
});
