import type { ChatEvent } from '../../../../src/chat/chat-events';
import { ChatService } from '../../../../src/chat/chat-service';
import type { ChatEventPublisher } from '../../../../src/chat/ports';
import { nameKeyOf } from '../../../../src/chat/rules';
import { shardOf } from '../../../../src/chat/sharding';
import { InMemoryConnectionStore } from '../../../support/in-memory-connection-store';

// The shard and Members indexes are global secondary indexes: on AWS they show a write a little
// after the table does. ChatService announces a presence change once they show it.
const SHARDS = 3;
const NOW = Date.UTC(2026, 0, 1);

/** What the indexes showed of a connection and names when each batch of events was published. */
interface Seen {
  detailTypes: string[];
  inShardIndex: boolean;
  listed: Record<string, boolean>;
}

const setup = (connectionId: string, names: string[]) => {
  const store = new InMemoryConnectionStore(50, { laggingMembersIndex: true, laggingShardIndex: true });
  const seen: Seen[] = [];
  /** The store's calls when each batch of events was published (before the checks above). */
  const callsAtPublish: Record<string, number>[] = [];
  const publisher: ChatEventPublisher = {
    async publish(events: ChatEvent[]) {
      callsAtPublish.push({ ...store.calls });
      const listed: Record<string, boolean> = {};
      for (const name of names) listed[name] = await store.isListed(nameKeyOf(name));
      seen.push({
        detailTypes: events.map((event) => event.detailType),
        inShardIndex: await store.inShardIndex(connectionId, shardOf(connectionId, SHARDS)),
        listed,
      });
    },
  };
  const waits: number[] = [];
  const clock = { now: NOW };
  const chat = new ChatService({
    store,
    publisher,
    shardCount: SHARDS,
    now: () => clock.now,
    // Replication catches up while the service waits for the second time.
    sleep: async (ms) => {
      waits.push(ms);
      if (waits.length === 2) {
        store.syncShardIndex();
        store.syncMembersIndex();
      }
    },
  });
  return { store, chat, seen, waits, clock, callsAtPublish };
};

describe('ChatService with lagging indexes', () => {
  it('announces a join once the shard index lists the joiner and the Members index its name', async () => {
    const { chat, seen, waits } = setup('c1', ['ann']);
    await chat.connect('c1');
    await chat.setName('c1', 'ann', 'corr');

    expect(waits).toHaveLength(2);
    expect(seen).toEqual([expect.objectContaining({ inShardIndex: true, listed: { ann: true } })]);
  });

  it('does not look at the shard index for a connection recorded longer ago than the looks would wait', async () => {
    // GSI lag counts from the write: $connect wrote this record 10 s before the name came.
    const { chat, seen, waits, clock, callsAtPublish } = setup('c1', ['ann']);
    await chat.connect('c1');
    clock.now = NOW + 10_000;

    await chat.setName('c1', 'ann', 'corr');

    // Still waited for its name in Members (caught up at the second wait), never for its shard.
    expect(callsAtPublish[0]?.inShardIndex ?? 0).toBe(0);
    expect(waits).toHaveLength(2);
    expect(seen).toEqual([expect.objectContaining({ listed: { ann: true } })]);
  });

  it('looks at both indexes at once, and does not look again at one that showed the change', async () => {
    const { store, chat, seen, callsAtPublish } = setup('c1', ['ann']);
    await chat.connect('c1');
    store.syncShardIndex();

    await chat.setName('c1', 'ann', 'corr');

    // The shard index showed the joiner at the first look; Members caught up at the second wait.
    expect(callsAtPublish[0]?.inShardIndex).toBe(1);
    expect(callsAtPublish[0]?.isListed).toBe(3);
    expect(seen).toEqual([expect.objectContaining({ inShardIndex: true, listed: { ann: true } })]);
  });

  it('announces a rename once the Members index lists the new name and no longer the old one', async () => {
    const { store, chat, seen, waits } = setup('c1', ['ann', 'anna']);
    await chat.connect('c1');
    store.syncShardIndex();
    await chat.setName('c1', 'ann', 'corr');
    seen.length = 0;
    waits.length = 0;

    await chat.setName('c1', 'anna', 'corr');
    expect(seen).toEqual([expect.objectContaining({ listed: { ann: false, anna: true } })]);
  });

  it('announces a leave once the Members index no longer lists the name', async () => {
    const { store, chat, seen, waits } = setup('c1', ['ann']);
    await chat.connect('c1');
    await chat.setName('c1', 'ann', 'corr');
    seen.length = 0;
    waits.length = 0;

    await chat.leave('c1', 'corr');
    expect(waits).toHaveLength(2);
    expect(seen).toEqual([expect.objectContaining({ listed: { ann: false } })]);
    expect(store.names.size).toBe(0);
  });

  it('announces anyway when the indexes stay behind, after a bounded wait', async () => {
    const store = new InMemoryConnectionStore(50, { laggingMembersIndex: true, laggingShardIndex: true });
    const published: ChatEvent[] = [];
    let waited = 0;
    const chat = new ChatService({
      store,
      publisher: { publish: async (events) => void published.push(...events) },
      shardCount: SHARDS,
      now: () => NOW,
      sleep: async (ms) => {
        waited += ms;
      },
    });
    await chat.connect('c1');
    await chat.setName('c1', 'ann', 'corr');
    expect(published.length).toBeGreaterThan(0);
    expect(waited).toBeGreaterThan(0);
    expect(waited).toBeLessThan(5_000);
  });
});
