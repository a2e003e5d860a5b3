import type { ChatEvent, PresenceMessage } from '../../../../src/chat/chat-events';
import { ChatService } from '../../../../src/chat/chat-service';
import { FanOut } from '../../../../src/chat/fan-out';
import type { MembersFrame, PresenceFrame } from '../../../../src/chat/frames';
import type { PresenceQueue } from '../../../../src/chat/ports';
import { PresenceBatch, type PresenceBatchItem } from '../../../../src/chat/presence-batch';
import { MemberList } from '../../../../web/src/member-list';
import { InMemoryConnectionStore } from '../../../support/in-memory-connection-store';
import { RecordingPublisher, RecordingSender } from '../../../support/in-memory-delivery';

// The presence batch through its ports: ChatService publishes, a FanOut (as the broadcaster's
// EventBridge path) queues a large room's presence events, and PresenceBatch delivers a batch of
// the queue (as the broadcaster's SQS path) to a recording sender.
const NOW = Date.UTC(2026, 0, 1);
const THRESHOLD = 3;

type Frame = { type: string; [key: string]: unknown };

class RecordingQueue implements PresenceQueue {
  readonly messages: PresenceMessage[] = [];
  async enqueue(message: PresenceMessage): Promise<void> {
    this.messages.push(structuredClone(message));
  }
}

const setup = (options: { laggingMembersIndex?: boolean; recipientsPerDelivery?: number } = {}) => {
  const store = new InMemoryConnectionStore(50, { laggingMembersIndex: options.laggingMembersIndex });
  const publisher = new RecordingPublisher();
  const parts = new RecordingPublisher();
  const sender = new RecordingSender();
  const queue = new RecordingQueue();
  let ids = 0;
  const chat = new ChatService({
    store,
    publisher,
    shardCount: 1,
    now: () => NOW,
    // Time-ordered like ULIDs: the batch orders changes by them.
    newId: () => `id-${String(++ids).padStart(6, '0')}`,
    sleep: async () => {},
  });
  const fanOut = new FanOut({
    store,
    sender,
    concurrency: 8,
    shardCount: 1,
    now: () => NOW,
    presenceFullListMax: THRESHOLD,
    presenceQueue: queue,
    split: { publisher: parts, recipientsPerDelivery: options.recipientsPerDelivery ?? 2_000 },
    onGone: async () => {},
  });
  const batch = new PresenceBatch({ store, fanOut, now: () => NOW });
  let messageIds = 0;
  /** The broadcaster's EventBridge path for what was published since the last call. */
  const broadcast = async () => {
    for (const event of publisher.events.splice(0))
      await fanOut.deliver(event.detail, { id: `event-${++messageIds}`, detailType: event.detailType });
  };
  /** What the queue holds, as the items of one batch (taken off the queue). */
  const takeBatch = (): PresenceBatchItem[] =>
    queue.messages
      .splice(0)
      .map((message, index) => ({ id: `msg-${++messageIds}`, message, sentAt: NOW + index }));
  const clients = new Map<string, MemberList>();
  /** Every connection's list as the web client holds it after the frames received so far. */
  const listsAfterFrames = () => {
    for (const [connectionId, frames] of sender.received) {
      const list = clients.get(connectionId) ?? new MemberList();
      clients.set(connectionId, list);
      for (const frame of frames.splice(0) as Frame[]) {
        if (frame.type === 'members') list.receiveMembers(frame as unknown as MembersFrame);
        if (frame.type === 'presence') list.receivePresence(frame as unknown as PresenceFrame);
      }
    }
    return new Map([...clients].map(([id, list]) => [id, [...list.members].sort()]));
  };
  const join = async (name: string) => {
    await chat.connect(`${name}=`);
    await chat.setName(`${name}=`, name, `corr-${name}`);
    store.syncMembersIndex();
  };
  /** Members joined and delivered (through the queue once the room is large). */
  const room = async (names: string[]) => {
    for (const name of names) {
      await join(name);
      await broadcast();
      const items = takeBatch();
      if (items.length > 0) await batch.deliver(items, `batch-${name}`);
    }
    listsAfterFrames();
    sender.received.clear();
  };
  return {
    store,
    chat,
    sender,
    queue,
    parts,
    batch,
    broadcast,
    takeBatch,
    listsAfterFrames,
    join,
    room,
    publisher,
    fanOut,
  };
};

const framesOf = (sender: RecordingSender, connectionId: string) => sender.framesOf(connectionId) as Frame[];

describe('presence in a large room: coalesced per batch of PresenceQueue', () => {
  it('keeps a small room as before: nothing is queued, and everybody gets the system line and the list', async () => {
    const { queue, sender, join, broadcast } = setup();
    await join('ann');
    await join('bob');
    await broadcast();
    expect(queue.messages).toEqual([]);
    expect(framesOf(sender, 'ann=').map((frame) => frame.type)).toEqual([
      'system',
      'members',
      'system',
      'members',
    ]);
  });

  it("queues a large room's join (its room change and the joiner's list, one message) and sends nothing itself", async () => {
    const { queue, sender, room, join, broadcast, store } = setup();
    await room(['ann', 'bob', 'cyd', 'dee']);
    const reads = store.calls.listMembers ?? 0;

    await join('eve');
    await broadcast();

    expect(sender.received.size).toBe(0);
    expect(
      queue.messages.map((message) => [
        message.presence.send,
        message.presence.change.event,
        message.presence.joinerList,
      ]),
    ).toEqual([['room', 'joined', true]]);
    // The room change is ordered by its system line's id; the full Members list is not read.
    expect(queue.messages[0]?.at).toMatch(/^id-/);
    expect(store.calls.listMembers ?? 0).toBe(reads);
  });

  it('sends several joins of one window to the others as ONE presence frame, reading the list once (and once more after the lists are posted)', async () => {
    const { sender, room, join, broadcast, takeBatch, batch, store, listsAfterFrames } = setup();
    await room(['ann', 'bob', 'cyd', 'dee']);
    for (const name of ['eve', 'fay', 'gus']) await join(name);
    await broadcast();
    const reads = store.calls.listMembers ?? 0;

    const result = await batch.deliver(takeBatch(), 'batch-1');

    expect(result).toMatchObject({ failedIds: [], changes: 3, joiners: 3, listReads: 2 });
    expect((store.calls.listMembers ?? 0) - reads).toBe(2);
    for (const id of ['ann=', 'bob=', 'cyd=', 'dee='])
      expect(framesOf(sender, id)).toEqual([
        { type: 'presence', joined: ['eve', 'fay', 'gus'], left: [], renamed: [] },
      ]);
    const everyone = ['ann', 'bob', 'cyd', 'dee', 'eve', 'fay', 'gus'];
    // Each joiner: the full list (with every join of the batch), and no presence frame.
    for (const id of ['eve=', 'fay=', 'gus='])
      expect(framesOf(sender, id)).toEqual([{ type: 'members', members: everyone }]);
    for (const list of listsAfterFrames().values()) expect(list).toEqual(everyone);
  });

  it('nets the changes of a window: a join and its leave send nothing, a rename chain one rename', async () => {
    const { sender, room, chat, broadcast, takeBatch, batch, store, join, listsAfterFrames } = setup();
    await room(['ann', 'bob', 'cyd', 'dee']);
    await join('eve');
    await chat.leave('eve=', 'corr-eve-left');
    await chat.setName('ann=', 'anna', 'corr-1');
    await chat.setName('ann=', 'annie', 'corr-2');
    store.syncMembersIndex();
    await broadcast();

    const result = await batch.deliver(takeBatch(), 'batch-1');

    expect(result.frame).toEqual({
      type: 'presence',
      joined: [],
      left: [],
      renamed: [{ previousName: 'ann', name: 'annie' }],
    });
    for (const id of ['ann=', 'bob=', 'cyd=', 'dee=']) expect(framesOf(sender, id)).toHaveLength(1);
    for (const [id, list] of listsAfterFrames())
      if (id !== 'eve=') expect(list).toEqual(['annie', 'bob', 'cyd', 'dee']);
  });

  it('reads no list for a batch without joiners', async () => {
    const { room, chat, broadcast, takeBatch, batch, store } = setup();
    await room(['ann', 'bob', 'cyd', 'dee']);
    await chat.setName('bob=', 'rob', 'corr-1');
    store.syncMembersIndex();
    await broadcast();
    const reads = store.calls.listMembers ?? 0;

    expect(await batch.deliver(takeBatch(), 'batch-1')).toMatchObject({ listReads: 0, changes: 1 });
    expect((store.calls.listMembers ?? 0) - reads).toBe(0);
  });

  it('gives a joiner a list with its own join when the index lags and its room change is in another batch (the two messages of a chat-api from before joinerList)', async () => {
    const { sender, room, broadcast, takeBatch, batch, chat } = setup({
      laggingMembersIndex: true,
    });
    await room(['ann', 'bob', 'cyd', 'dee']);
    await chat.connect('eve=');
    await chat.setName('eve=', 'eve', 'corr-eve');
    // The index has not replicated eve's claim.
    await broadcast();
    const [join] = takeBatch() as [PresenceBatchItem];
    // As a chat-api from before joinerList asked for it: the room change, and the list on its own.
    const { joinerList: _joinerList, ...presence } = join.message.presence;
    const roomChange = { ...join, message: { ...join.message, presence } };
    const full = {
      ...join,
      id: `${join.id}-full`,
      message: { ...join.message, presence: { ...presence, send: 'full' as const } },
    };

    await batch.deliver([full as PresenceBatchItem], 'batch-1');
    expect(framesOf(sender, 'eve=')).toEqual([
      { type: 'members', members: ['ann', 'bob', 'cyd', 'dee', 'eve'] },
    ]);
    await batch.deliver([roomChange as PresenceBatchItem], 'batch-2');
    expect(framesOf(sender, 'ann=')).toEqual([{ type: 'presence', joined: ['eve'], left: [], renamed: [] }]);
  });

  it('reports the messages of a joiner whose list could not be posted, and delivers the rest', async () => {
    const { sender, room, join, broadcast, takeBatch, batch } = setup();
    await room(['ann', 'bob', 'cyd', 'dee']);
    await join('eve');
    await join('fay');
    await broadcast();
    const items = takeBatch();
    sender.failing.set('fay=', new Error('socket hang up'));

    const result = await batch.deliver(items, 'batch-1');

    // Fay's join is one message (its room change and its list): it comes back, and its change is
    // sent to everybody again (harmless: set operations).
    const fayJoin = items.find((item) => item.message.presence.change.name === 'fay');
    expect(result.failedIds).toEqual([fayJoin?.id]);
    expect(framesOf(sender, 'eve=')).toHaveLength(1);
    expect(framesOf(sender, 'ann=')).toEqual([
      { type: 'presence', joined: ['eve', 'fay'], left: [], renamed: [] },
    ]);
  });

  it("reports every room change of the batch when the room's frame could not be delivered, not the joiners' lists", async () => {
    const { sender, room, join, broadcast, takeBatch, batch } = setup();
    await room(['ann', 'bob', 'cyd', 'dee']);
    await join('eve');
    await broadcast();
    const items = takeBatch();
    sender.failing.set('bob=', new Error('socket hang up'));

    const result = await batch.deliver(items, 'batch-1');

    const roomIds = items.filter((item) => item.message.presence.send === 'room').map((item) => item.id);
    expect(result.failedIds).toEqual(roomIds);
    expect(framesOf(sender, 'eve=')).toEqual([
      { type: 'members', members: ['ann', 'bob', 'cyd', 'dee', 'eve'] },
    ]);
  });

  it('leaves every list exact when a batch is delivered again (SQS redelivery)', async () => {
    const { room, join, chat, broadcast, takeBatch, batch, store, listsAfterFrames } = setup();
    await room(['ann', 'bob', 'cyd', 'dee']);
    await join('eve');
    await chat.setName('bob=', 'rob', 'corr-1');
    await chat.leave('cyd=', 'corr-2');
    store.syncMembersIndex();
    await broadcast();
    const items = takeBatch();

    await batch.deliver(items, 'batch-1');
    await batch.deliver(items, 'batch-1');

    for (const [id, list] of listsAfterFrames())
      if (id !== 'cyd=') expect(list).toEqual(['ann', 'dee', 'eve', 'rob']);
  });

  it('gives a joiner the changes of a batch delivered while its list was on the way (two batches at once)', async () => {
    const s = setup();
    await s.room(['ann', 'bob', 'cyd', 'dee']);
    await s.join('eve');
    await s.broadcast();
    const first = s.takeBatch();
    // The mapping runs two batches at once: fay's batch is read and delivered in full between the
    // first batch's list read and its posts, so her join reaches eve before eve's list does.
    const listMembers = s.store.listMembers.bind(s.store);
    let crossed = false;
    s.store.listMembers = async (nowSeconds: number) => {
      const names = await listMembers(nowSeconds);
      if (!crossed) {
        crossed = true;
        await s.join('fay');
        await s.broadcast();
        await s.batch.deliver(s.takeBatch(), 'batch-fay');
      }
      return names;
    };

    await s.batch.deliver(first, 'batch-eve');

    expect(framesOf(s.sender, 'eve=').map((frame) => frame.type)).toEqual([
      'presence',
      'members',
      'presence',
    ]);
    for (const list of s.listsAfterFrames().values())
      expect(list).toEqual(['ann', 'bob', 'cyd', 'dee', 'eve', 'fay']);
  });

  // The broadcaster queues a large room's presence event without an idempotency record, so an
  // EventBridge event delivered twice is queued twice: two messages (two SQS message ids) with the
  // same change. Whichever batches they land in, every list ends exact.
  describe('a join queued twice (its EventBridge event delivered twice)', () => {
    /** eve joins a room of four, and her join's event is delivered (so queued) twice. */
    const eveJoinedTwice = async () => {
      const s = setup();
      await s.room(['ann', 'bob', 'cyd', 'dee']);
      await s.join('eve');
      const events = s.publisher.events.splice(0);
      for (let copy = 0; copy < 2; copy++)
        for (const [i, event] of events.entries())
          await s.fanOut.deliver(event.detail, { id: `dup-${i}`, detailType: event.detailType });
      return s;
    };

    it('in one batch: one change, one list for the joiner', async () => {
      const s = await eveJoinedTwice();
      const items = s.takeBatch();
      expect(items).toHaveLength(2);

      const result = await s.batch.deliver(items, 'batch-1');

      expect(result.frame).toEqual({ type: 'presence', joined: ['eve'], left: [], renamed: [] });
      expect(framesOf(s.sender, 'eve=')).toEqual([
        { type: 'members', members: ['ann', 'bob', 'cyd', 'dee', 'eve'] },
      ]);
      for (const list of s.listsAfterFrames().values())
        expect(list).toEqual(['ann', 'bob', 'cyd', 'dee', 'eve']);
    });

    it('in two batches, with another join between them', async () => {
      const s = await eveJoinedTwice();
      const [first, second] = s.takeBatch();
      await s.batch.deliver([first as PresenceBatchItem], 'batch-1');
      await s.join('fay');
      await s.broadcast();

      await s.batch.deliver([second as PresenceBatchItem, ...s.takeBatch()], 'batch-2');

      for (const list of s.listsAfterFrames().values())
        expect(list).toEqual(['ann', 'bob', 'cyd', 'dee', 'eve', 'fay']);
    });

    it('the copy delivered after the member left: it does not bring her back', async () => {
      const s = await eveJoinedTwice();
      const [first, second] = s.takeBatch();
      await s.batch.deliver([first as PresenceBatchItem], 'batch-1');
      await s.chat.leave('eve=', 'corr-left');
      s.store.syncMembersIndex();
      await s.broadcast();
      await s.batch.deliver(s.takeBatch(), 'batch-2');

      await s.batch.deliver([second as PresenceBatchItem], 'batch-3');

      for (const [id, list] of s.listsAfterFrames())
        if (id !== 'eve=') expect(list).toEqual(['ann', 'bob', 'cyd', 'dee']);
    });
  });

  it('reports the present, not the past: a join whose first delivery failed does not bring back a member who left since', async () => {
    const { sender, room, join, chat, broadcast, takeBatch, batch, store, listsAfterFrames } = setup();
    await room(['ann', 'bob', 'cyd', 'dee']);
    await join('eve');
    await broadcast();
    const first = takeBatch();
    sender.failing.set('bob=', new Error('socket hang up'));
    const failed = (await batch.deliver(first, 'batch-1')).failedIds;
    sender.failing.clear();
    // eve leaves; that batch is delivered before her join comes back.
    await chat.leave('eve=', 'corr-left');
    store.syncMembersIndex();
    await broadcast();
    await batch.deliver(takeBatch(), 'batch-2');
    const reads = store.calls.getNames ?? 0;

    const again = await batch.deliver(
      first.filter((item) => failed.includes(item.id)),
      'batch-3',
    );

    expect(again.frame).toEqual({ type: 'presence', joined: [], left: ['eve'], renamed: [] });
    expect(again.claimReads).toBe(1);
    expect((store.calls.getNames ?? 0) - reads).toBe(1);
    for (const [id, list] of listsAfterFrames())
      if (id !== 'eve=') expect(list).toEqual(['ann', 'bob', 'cyd', 'dee']);
  });

  it('splits the frame of a room too large for one delivery into parts that carry it', async () => {
    const { room, join, broadcast, takeBatch, batch, parts } = setup({ recipientsPerDelivery: 2 });
    await room(['ann', 'bob', 'cyd', 'dee']);
    parts.events.splice(0);
    await join('eve');
    await broadcast();

    const result = await batch.deliver(takeBatch(), 'batch-1');

    expect(result.room?.parts).toBeGreaterThan(1);
    const published: ChatEvent[] = parts.events;
    expect(published.length).toBe(result.room?.parts);
    for (const part of published) {
      expect(part.detailType).toBe('Presence Changed');
      expect(part.detail.audience).toMatchObject({ kind: 'range', key: expect.stringContaining('batch-1') });
      expect(part.detail.presenceFrames).toEqual([
        { type: 'presence', joined: ['eve'], left: [], renamed: [] },
      ]);
    }
  });
});
