import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { type ChatEvent, DETAIL_TYPES } from '../../../../src/chat/chat-events';
import { joinedFrame } from '../../../../src/chat/frames';
import { EventBridgePublisher, EventPublishError } from '../../../../src/delivery/event-bridge-publisher';
import {
  type QueueMessage,
  QueueUnpublishedEvents,
  type UnpublishedEvent,
} from '../../../../src/delivery/unpublished-events';

const eventBridge = mockClient(EventBridgeClient);
const delays: number[] = [];
const publisher = () =>
  new EventBridgePublisher(new EventBridgeClient({}), 'chat-bus', {
    maxAttempts: 3,
    sleep: async (ms) => {
      delays.push(ms);
    },
  });

// Events told apart by their audience's shard (as a split's parts are by their range).
const events = (count: number): ChatEvent[] =>
  Array.from({ length: count }, (_, shard) => ({
    detailType: DETAIL_TYPES.memberJoined,
    detail: {
      correlationId: 'corr',
      audience: { kind: 'shard', shard },
      frames: [joinedFrame('alice', { id: '01M7XEE6XS2ZYEQTXP5S60BGES', ts: 1 })],
      includeMembers: true,
    },
  }));

const shardsIn = (call: number) =>
  (eventBridge.commandCalls(PutEventsCommand)[call]?.args[0].input.Entries ?? []).map(
    (entry) => JSON.parse(entry.Detail ?? '{}').audience.shard,
  );

const ok = (n: number) => ({
  FailedEntryCount: 0,
  Entries: Array.from({ length: n }, (_, i) => ({ EventId: `e${i}` })),
});

beforeEach(() => {
  eventBridge.reset();
  delays.length = 0;
});

describe('the EventBridge publisher', () => {
  it('sends chat events to the bus with a fixed source, in calls of at most 10 entries', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input) => ok(input.Entries.length));

    await publisher().publish(events(25));

    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 5]);
    expect(calls[0]?.args[0].input.Entries?.[0]).toMatchObject({
      EventBusName: 'chat-bus',
      Source: 'chat.api',
      DetailType: 'Member Joined',
    });
    expect([0, 1, 2].flatMap(shardsIn)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('resends only the entries that failed with a retryable error, after a backoff', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: 'a' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
          { EventId: 'c' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' },
        ],
      })
      .resolves(ok(2));

    await publisher().publish(events(4));

    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(2);
    expect(shardsIn(1)).toEqual([1, 3]);
    expect(delays).toHaveLength(1);
  });

  it('throws, without retrying, when an entry fails for a reason retrying cannot fix', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 2,
      Entries: [
        { EventId: 'a' },
        { ErrorCode: 'MalformedDetail', ErrorMessage: 'bad' },
        { ErrorCode: 'ThrottlingException' },
      ],
    });

    const publishing = publisher().publish(events(3));

    await expect(publishing).rejects.toBeInstanceOf(EventPublishError);
    await expect(publishing).rejects.toThrow('PutEvents rejected 1 chat event(s): MalformedDetail');
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('throws a clear error when retryable failures persist past the attempt limit', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input) => ({
      FailedEntryCount: 1,
      Entries: input.Entries.map((_: unknown, i: number) =>
        i === 0 ? { ErrorCode: 'InternalFailure' } : { EventId: 'x' },
      ),
    }));

    await expect(publisher().publish(events(2))).rejects.toThrow(
      'PutEvents still failing for 1 chat event(s) after 3 attempts: InternalFailure',
    );
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it('lets a failing PutEvents call (the API itself) propagate', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('AccessDeniedException'));

    await expect(publisher().publish(events(1))).rejects.toThrow('AccessDeniedException');
  });

  describe('with somewhere to park what EventBridge would not take', () => {
    const parkedMessages: QueueMessage[] = [];
    const told: UnpublishedEvent[][] = [];
    let queueDown = false;
    let warmed = 0;
    const parking = () =>
      new EventBridgePublisher(new EventBridgeClient({}), 'chat-bus', {
        maxAttempts: 3,
        sleep: async () => {},
        unpublished: new QueueUnpublishedEvents(
          'https://sqs.example/q',
          async (message) => {
            if (queueDown) throw new Error('SQS is down too');
            parkedMessages.push(message);
          },
          () => warmed++,
        ),
        onParked: (events) => void told.push(events),
      });
    const failFirstEntry = (code: string) =>
      eventBridge.on(PutEventsCommand).callsFake((input) => ({
        FailedEntryCount: 1,
        Entries: input.Entries.map((entry: { Detail: string }) =>
          JSON.parse(entry.Detail).audience.shard === 0
            ? { ErrorCode: code, ErrorMessage: `${code} here` }
            : { EventId: 'x' },
        ),
      }));

    beforeEach(() => {
      parkedMessages.length = 0;
      told.length = 0;
      queueDown = false;
      warmed = 0;
    });

    it('parks an entry still failing after its retries, as it was sent, and resolves', async () => {
      failFirstEntry('InternalFailure');

      await parking().publish(events(3));

      expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
      expect(parkedMessages).toHaveLength(1);
      const body = JSON.parse(parkedMessages[0]?.MessageBody ?? '{}');
      expect(body).toMatchObject({
        EventBusName: 'chat-bus',
        Source: 'chat.api',
        DetailType: 'Member Joined',
      });
      expect(JSON.parse(body.Detail).audience).toEqual({ kind: 'shard', shard: 0 });
      expect(parkedMessages[0]?.MessageAttributes).toMatchObject({
        ErrorCode: { DataType: 'String', StringValue: 'InternalFailure' },
        ErrorMessage: { DataType: 'String', StringValue: 'InternalFailure here' },
      });
      expect(told.flat().map((event) => event.errorCode)).toEqual(['InternalFailure']);
      // The sink was told to get ready at the first failure, not at every retry.
      expect(warmed).toBe(1);
    });

    it('parks an entry EventBridge rejected outright at once, without retrying it', async () => {
      failFirstEntry('MalformedDetail');

      await parking().publish(events(2));

      expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
      expect(told.flat().map((event) => event.errorCode)).toEqual(['MalformedDetail']);
    });

    it('parks nothing and tells nobody when every entry is published', async () => {
      eventBridge.on(PutEventsCommand).callsFake((input) => ok(input.Entries.length));

      await parking().publish(events(4));

      expect(parkedMessages).toEqual([]);
      expect(told).toEqual([]);
      expect(warmed).toBe(0);
    });

    it('parks the entries of a call that failed outright when others of the batch reached the bus', async () => {
      eventBridge.on(PutEventsCommand).callsFake((input) => {
        if (input.Entries.length === 1)
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        return ok(input.Entries.length);
      });

      await parking().publish(events(11));

      expect(
        parkedMessages.map((message) => JSON.parse(JSON.parse(message.MessageBody).Detail).audience),
      ).toEqual([{ kind: 'shard', shard: 10 }]);
      expect(told.flat().map((event) => event.errorCode)).toEqual(['TimeoutError']);
    });

    it('fails the publish as a whole when no entry reached the bus, parking nothing', async () => {
      eventBridge.on(PutEventsCommand).rejects(new Error('socket hang up'));

      await expect(parking().publish(events(11))).rejects.toThrow('socket hang up');
      expect(parkedMessages).toEqual([]);
    });

    it('throws when the entries cannot be parked either, so the caller fails visibly', async () => {
      failFirstEntry('InternalFailure');
      queueDown = true;

      await expect(parking().publish(events(2))).rejects.toThrow(
        'PutEvents still failing for 1 chat event(s) after 3 attempts: InternalFailure; parking them failed too: SQS is down too',
      );
      expect(told).toEqual([]);
    });
  });
});
