import type { ChatEventDetail } from '../../../../src/chat/chat-events';
import { ChatService, CONNECTION_TTL_SECONDS } from '../../../../src/chat/chat-service';
import { FanOut } from '../../../../src/chat/fan-out';
import { joinedFrame, publicFrame } from '../../../../src/chat/frames';
import { InMemoryConnectionStore } from '../../../support/in-memory-connection-store';
import { RecordingPublisher, RecordingSender } from '../../../support/in-memory-delivery';

// FanOut through its ports: connections and names in memory, a sender that records what each
// connection received. Pages of two connections, so every shard read spans several pages.
const NOW = Date.UTC(2026, 0, 1);
const stamp = { id: '01JGZ0000000000000000000AA', ts: NOW };
const hello = publicFrame('alice', 'hello', stamp);

const setup = (concurrency = 4) => {
  const store = new InMemoryConnectionStore(2);
  const sender = new RecordingSender();
  const gone: string[] = [];
  const fanOut = new FanOut({
    store,
    sender,
    concurrency,
    shardCount: 2,
    now: () => NOW,
    onGone: async (connectionId) => {
      gone.push(connectionId);
    },
  });
  const connect = (connectionId: string, shard: number) =>
    store.putConnection({ connectionId, shard, connectedAt: NOW, expiresAt: NOW / 1000 + 60 });
  const claim = (name: string, connectionId: string, expiresAt = NOW / 1000 + 60) =>
    store.names.set(name.toLowerCase(), {
      nameKey: name.toLowerCase(),
      name,
      connectionId,
      claimedAt: NOW,
      expiresAt,
    });
  return { store, sender, gone, fanOut, connect, claim };
};

const detail = (
  audience: ChatEventDetail['audience'],
  overrides: Partial<ChatEventDetail> = {},
): ChatEventDetail => ({
  correlationId: 'corr-1',
  audience,
  frames: [hello],
  includeMembers: false,
  ...overrides,
});

describe('FanOut', () => {
  it('delivers to every connection of the shard, over every page, and to no other shard', async () => {
    const { sender, fanOut, connect } = setup();
    for (const id of ['a=', 'b=', 'c=', 'd=', 'e=']) await connect(id, 1);
    await connect('other=', 0);

    const result = await fanOut.deliver(detail({ kind: 'shard', shard: 1 }));

    expect(result).toEqual({
      recipients: 5,
      framesSent: 5,
      gone: 0,
      throttled: 0,
      throttledConnectionIds: [],
    });
    expect([...sender.received.keys()].sort()).toEqual(['a=', 'b=', 'c=', 'd=', 'e=']);
    expect(sender.framesOf('a=')).toEqual([hello]);
    expect(sender.framesOf('other=')).toEqual([]);
  });

  it('sends each connection its frames in order, the members list last, sorted and without expired claims', async () => {
    const { sender, fanOut, connect, claim } = setup();
    await connect('a=', 0);
    claim('bob', 'b=');
    claim('Alice', 'a=');
    claim('carol', 'c=', NOW / 1000 - 1);
    const joined = joinedFrame('Alice', stamp);

    await fanOut.deliver(
      detail({ kind: 'shard', shard: 0 }, { frames: [joined, hello], includeMembers: true }),
    );

    expect(sender.framesOf('a=')).toEqual([joined, hello, { type: 'members', members: ['Alice', 'bob'] }]);
  });

  it('delivers to named connections once each, wherever their shard', async () => {
    const { sender, fanOut, connect } = setup();
    await connect('a=', 0);
    await connect('b=', 2);

    const result = await fanOut.deliver(detail({ kind: 'connections', connectionIds: ['b=', 'a=', 'b='] }));

    expect(result).toEqual({
      recipients: 2,
      framesSent: 2,
      gone: 0,
      throttled: 0,
      throttledConnectionIds: [],
    });
    expect(sender.framesOf('b=')).toEqual([hello]);
  });

  it('reports a gone connection once, sends it nothing more and counts it', async () => {
    const { sender, gone, fanOut, connect } = setup();
    await connect('a=', 0);
    await connect('stale=', 0);
    sender.gone.add('stale=');

    const result = await fanOut.deliver(
      detail({ kind: 'shard', shard: 0 }, { frames: [hello, hello], includeMembers: true }),
    );

    expect(gone).toEqual(['stale=']);
    expect(result).toEqual({
      recipients: 2,
      framesSent: 3,
      gone: 1,
      throttled: 0,
      throttledConnectionIds: [],
    });
  });

  it('fails the delivery when a send fails for another reason, so the event is retried', async () => {
    const { sender, fanOut, connect } = setup();
    await connect('a=', 0);
    sender.failing.set('a=', new Error('LimitExceededException'));

    await expect(fanOut.deliver(detail({ kind: 'shard', shard: 0 }))).rejects.toThrow(
      'LimitExceededException',
    );
  });

  it('keeps at most `concurrency` sends in flight', async () => {
    const { sender, fanOut, connect } = setup(3);
    for (let i = 0; i < 10; i++) await connect(`c${i}=`, 0);

    await fanOut.deliver(detail({ kind: 'shard', shard: 0 }));

    expect(sender.maxInFlight).toBe(3);
    expect(sender.received.size).toBe(10);
  });

  it('with ChatService.leave as onGone, prunes a gone member and tells the others', async () => {
    const store = new InMemoryConnectionStore();
    const publisher = new RecordingPublisher();
    const chat = new ChatService({ store, publisher, shardCount: 1, now: () => NOW });
    const sender = new RecordingSender();
    const fanOut = new FanOut({
      store,
      sender,
      concurrency: 2,
      shardCount: 1,
      now: () => NOW,
      onGone: (connectionId, { correlationId }) =>
        chat.leave(connectionId, correlationId).then(() => undefined),
    });
    for (const [id, name] of [
      ['a=', 'alice'],
      ['b=', 'bob'],
    ] as const) {
      await chat.connect(id);
      await chat.setName(id, name, 'corr-setup');
    }
    publisher.events.length = 0;
    sender.gone.add('b=');

    await fanOut.deliver(detail({ kind: 'shard', shard: 0 }));

    expect(store.connections.has('b=')).toBe(false);
    expect(await store.listMembers(NOW / 1000)).toEqual(['alice']);
    expect(publisher.events.map((event) => event.detail.frames[0]?.text)).toEqual(['bob has left the chat']);
    expect(store.connections.get('a=')?.expiresAt).toBe(NOW / 1000 + CONNECTION_TTL_SECONDS);
  });
});

describe('FanOut.readRoomAudience (the read the broadcaster starts beside its idempotency write)', () => {
  it("is the room's whole audience, which deliver then uses instead of reading it again", async () => {
    const { store, sender, fanOut, connect } = setup();
    for (const id of ['a=', 'b=', 'c=']) await connect(id, 0);
    await connect('d=', 1);
    const room = detail({ kind: 'room' });

    const audience = fanOut.readRoomAudience(room);
    await audience;
    const readsBefore = store.calls.audiencePages;
    const result = await fanOut.deliver(room, undefined, { audience });

    expect(store.calls.audiencePages).toBe(readsBefore);
    expect(result).toMatchObject({ recipients: 4, framesSent: 4 });
    expect([...sender.received.keys()].sort()).toEqual(['a=', 'b=', 'c=', 'd=']);
  });

  it('is not started for other audiences, which are read as they are delivered', () => {
    const { fanOut } = setup();
    expect(fanOut.readRoomAudience(detail({ kind: 'shard', shard: 0 }))).toBeUndefined();
    expect(fanOut.readRoomAudience(detail({ kind: 'connections', connectionIds: ['a='] }))).toBeUndefined();
  });

  it('fails the delivery that awaits a failed read, and a read nobody awaits is no unhandled rejection', async () => {
    const { store, fanOut, connect } = setup();
    await connect('a=', 0);
    const room = detail({ kind: 'room' });
    jest.spyOn(store, 'audiencePages').mockImplementation(async function* () {
      yield [];
      throw new Error('Query failed');
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      fanOut.readRoomAudience(room); // a redelivered copy: idempotency answers before deliver
      const awaited = fanOut.readRoomAudience(room);
      await expect(fanOut.deliver(room, undefined, { audience: awaited })).rejects.toThrow('Query failed');
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
