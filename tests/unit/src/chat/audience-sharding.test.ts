import type { ChatEvent } from '../../../../src/chat/chat-events';
import { ChatService } from '../../../../src/chat/chat-service';
import { FanOut, type FanOutResult } from '../../../../src/chat/fan-out';
import { perMinute, perSecond } from '../../../../src/chat/rate-limit';
import { InMemoryConnectionStore } from '../../../support/in-memory-connection-store';
import { RecordingPublisher, RecordingSender } from '../../../support/in-memory-delivery';

// Audience-sized sharding through the ports: chat-api's ChatService publishes, a harness plays
// EventBridge and the broadcaster (one FanOut.deliver per invocation, invocations of one round in
// parallel, Powertools' dedupe as a set of keys), and the store's call counters say what it cost.
const NOW = Date.UTC(2026, 0, 1);
const LIMITS = {
  public: perSecond(10, 2),
  private: perSecond(10, 2),
  name: perMinute(5, 10),
};

interface Invocation {
  audience: ChatEvent['detail']['audience'];
  result: FanOutResult;
}

const setup = (options: { shardCount?: number; perDelivery?: number; maxDeliveries?: number } = {}) => {
  const shardCount = options.shardCount ?? 1;
  const store = new InMemoryConnectionStore(1000);
  const sender = new RecordingSender();
  const fromChatApi = new RecordingPublisher();
  const fromBroadcaster = new RecordingPublisher();
  const chat = new ChatService({ store, publisher: fromChatApi, shardCount, limits: LIMITS, now: () => NOW });
  const fanOut = new FanOut({
    store,
    sender,
    concurrency: 16,
    shardCount,
    split: {
      publisher: fromBroadcaster,
      recipientsPerDelivery: options.perDelivery ?? 2000,
      maxParallelDeliveries: options.maxDeliveries ?? 100,
    },
    now: () => NOW,
    onGone: async () => {},
  });
  /** Idempotency keys of completed invocations (the broadcaster's `detail.audience.key || id`). */
  const completed = new Set<string>();
  const invocations: Invocation[] = [];
  let eventIds = 0;

  /** Delivers events, and the parts they publish, until nothing is left; returns the invocations. */
  const broadcast = async (events: (ChatEvent & { id?: string })[]): Promise<Invocation[]> => {
    const start = invocations.length;
    let round = events.map((event) => ({ ...event, id: event.id ?? `evt-${++eventIds}` }));
    while (round.length > 0) {
      await Promise.all(
        round.map(async ({ id, detailType, detail }) => {
          const key = detail.audience.kind === 'range' ? detail.audience.key : id;
          if (completed.has(key)) return;
          const result = await fanOut.deliver(detail, { id, detailType });
          completed.add(key);
          invocations.push({ audience: detail.audience, result });
        }),
      );
      round = fromBroadcaster.events.splice(0).map((event) => ({ ...event, id: `evt-${++eventIds}` }));
    }
    return invocations.slice(start);
  };
  /** Connected (and, below `named`, named) connections, with their set-up calls forgotten. */
  const connections = async (count: number, named = 0) => {
    const ids = Array.from({ length: count }, (_, i) => `c${i.toString(36).padStart(4, '0')}=`);
    for (const id of ids) await chat.connect(id);
    for (const id of ids.slice(0, named)) await chat.setName(id, `m-${id.slice(0, -1)}`, 'setup');
    fromChatApi.events.length = 0;
    sender.received.clear();
    for (const method of Object.keys(store.calls)) delete store.calls[method];
    return ids;
  };
  const storeCalls = () => Object.values(store.calls).reduce((sum, n) => sum + n, 0);
  const copiesOf = (text: string) => {
    const counts = new Map<string, number>();
    for (const [id, frames] of sender.received) {
      const n = frames.filter((frame) => (frame as { text?: string }).text === text).length;
      if (n > 0) counts.set(id, n);
    }
    return counts;
  };
  const forget = (key: string) => completed.delete(key);
  return { store, sender, chat, fromChatApi, broadcast, forget, connections, storeCalls, copiesOf };
};

describe('audience-sized sharding', () => {
  it('delivers a message to a small room in one broadcaster invocation and one Query (3 store calls in all)', async () => {
    const { store, chat, fromChatApi, broadcast, connections, storeCalls, copiesOf } = setup();
    const [alice] = await connections(3, 3);

    await chat.sendPublic(alice as string, 'hello, three', 'corr-1');
    const invocations = await broadcast(fromChatApi.events.splice(0));

    expect(invocations).toHaveLength(1);
    // chat-api: read the sender, take its token; the broadcaster: one Query of the shard index.
    expect(store.calls).toEqual({ getConnection: 1, stepBucket: 1, audiencePages: 1 });
    expect(storeCalls()).toBe(3);
    expect([...copiesOf('hello, three').values()]).toEqual([1, 1, 1]);
  });

  it('keeps a small room at one invocation on a deploy with ShardCount 4 (one Query per shard)', async () => {
    const { store, chat, fromChatApi, broadcast, connections, copiesOf } = setup({ shardCount: 4 });
    const [alice] = await connections(3, 3);

    await chat.sendPublic(alice as string, 'hello again', 'corr-2');
    const invocations = await broadcast(fromChatApi.events.splice(0));

    expect(invocations).toHaveLength(1);
    expect(store.calls.audiencePages).toBe(4);
    expect(copiesOf('hello again').size).toBe(3);
  });

  it('splits 10,000 recipients over at least 4 parallel deliveries, each recipient once', async () => {
    const { chat, fromChatApi, broadcast, connections, copiesOf } = setup();
    const [alice] = await connections(10_000, 1);

    await chat.sendPublic(alice as string, 'hello, everyone', 'corr-3');
    const invocations = await broadcast(fromChatApi.events.splice(0));

    // The room event publishes the parts (and sends nothing); each part delivers its range.
    const [room, ...parts] = invocations;
    expect(room?.result).toMatchObject({ recipients: 0, parts: 5 });
    expect(parts.length).toBeGreaterThanOrEqual(4);
    expect(parts.every(({ result }) => result.recipients <= 2000)).toBe(true);
    const copies = copiesOf('hello, everyone');
    expect(copies.size).toBe(10_000);
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
  });

  it.each([
    [1, 1],
    [2000, 1],
    [2001, 3],
    [4500, 4],
    [9000, 6],
  ])('follows the audience size: %i connections take %i invocations', async (size, expected) => {
    const { chat, fromChatApi, broadcast, connections } = setup();
    const [alice] = await connections(size, 1);

    await chat.sendPublic(alice as string, 'sized', 'corr');

    await expect(broadcast(fromChatApi.events.splice(0))).resolves.toHaveLength(expected);
  });

  it('caps the parts at MaxParallelDeliveries', async () => {
    const { chat, fromChatApi, broadcast, connections, copiesOf } = setup({
      perDelivery: 10,
      maxDeliveries: 3,
    });
    const [alice] = await connections(100, 1);

    await chat.sendPublic(alice as string, 'capped', 'corr');
    const invocations = await broadcast(fromChatApi.events.splice(0));

    expect(invocations).toHaveLength(4);
    expect(copiesOf('capped').size).toBe(100);
  });

  it('does not deliver a part twice when a room event is redelivered after it published its parts', async () => {
    const { chat, fromChatApi, broadcast, forget, connections, copiesOf } = setup({ perDelivery: 10 });
    const [alice] = await connections(35, 1);
    await chat.sendPublic(alice as string, 'once', 'corr');
    const [event] = fromChatApi.events.splice(0) as [ChatEvent];
    await broadcast([{ ...event, id: 'room-evt' }]);

    // Its invocation failed after PutEvents (no dedupe record), so EventBridge delivers it again.
    forget('room-evt');
    const again = await broadcast([{ ...event, id: 'room-evt' }]);

    expect(again).toHaveLength(1); // the room event itself: its 4 parts were already done
    const copies = copiesOf('once');
    expect(copies.size).toBe(35);
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
  });

  it('still reaches everyone when the audience changed before such a redelivery (some twice, none missed)', async () => {
    const { chat, fromChatApi, broadcast, forget, connections, copiesOf } = setup({ perDelivery: 10 });
    const ids = await connections(35, 1);
    await chat.sendPublic(ids[0] as string, 'moved', 'corr');
    const [event] = fromChatApi.events.splice(0) as [ChatEvent];
    await broadcast([{ ...event, id: 'room-evt' }]);

    // Boundaries move: the parts of the new split have other keys and are delivered again.
    for (const id of ['a0=', 'c0005a=', 'c0010a=']) await chat.connect(id);
    forget('room-evt');
    await broadcast([{ ...event, id: 'room-evt' }]);

    const copies = copiesOf('moved');
    expect(ids.every((id) => (copies.get(id) ?? 0) >= 1)).toBe(true);
    expect([...copies.values()].every((n) => n <= 2)).toBe(true);
  });
});
