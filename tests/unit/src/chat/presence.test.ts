import { ChatService } from '../../../../src/chat/chat-service';
import { FanOut } from '../../../../src/chat/fan-out';
import { MEMBERS_PAGE_BYTES, type MembersFrame, membersPages, utf8Length } from '../../../../src/chat/frames';
import { nameKeyOf, sortMembers } from '../../../../src/chat/rules';
import { InMemoryConnectionStore } from '../../../support/in-memory-connection-store';
import { RecordingPublisher, RecordingSender } from '../../../support/in-memory-delivery';

// Presence end to end through the ports: ChatService publishes, every published event is handed
// to a FanOut as the broadcaster would, and a sender records what each connection received.
const NOW = Date.UTC(2026, 0, 1);
const SHARDS = 2;

type Frame = { type: string; [key: string]: unknown };

const setup = (options: { laggingMembersIndex?: boolean; fullListMax?: number } = {}) => {
  const store = new InMemoryConnectionStore(50, { laggingMembersIndex: options.laggingMembersIndex });
  const publisher = new RecordingPublisher();
  const sender = new RecordingSender();
  let ids = 0;
  const chat = new ChatService({
    store,
    publisher,
    shardCount: SHARDS,
    now: () => NOW,
    newId: () => `id-${++ids}`,
    // A lagging index stays behind here: what a list shows is the broadcaster's doing.
    sleep: async () => {},
  });
  const fanOut = new FanOut({
    store,
    sender,
    concurrency: 8,
    shardCount: SHARDS,
    now: () => NOW,
    presenceFullListMax: options.fullListMax,
    onGone: async () => {},
  });
  /** Delivers what was published since the last call, in order, as the broadcaster would. */
  const deliver = async () => {
    const events = publisher.events.splice(0);
    for (const event of events) await fanOut.deliver(event.detail);
  };
  const framesOf = (connectionId: string) => sender.framesOf(connectionId) as Frame[];
  const forget = () => sender.received.clear();
  /** A named member, its join delivered and forgotten; the lagging index catches up. */
  const member = async (name: string) => {
    await chat.connect(`${name}=`);
    await chat.setName(`${name}=`, name, `corr-${name}`);
    store.syncMembersIndex();
    await deliver();
    forget();
  };
  return { store, chat, publisher, sender, deliver, framesOf, forget, member };
};

const membersFrames = (frames: Frame[]) => frames.filter((frame) => frame.type === 'members');
const lastMembers = (frames: Frame[]) => membersFrames(frames).at(-1)?.members;
const systemEvents = (frames: Frame[]) =>
  frames.filter((frame) => frame.type === 'system').map((frame) => `${frame.event} ${frame.name}`);

describe('presence: the list a client receives includes the change it reports', () => {
  it('sends a joined member in every list even when the Members index does not show it yet', async () => {
    const { chat, deliver, framesOf, member } = setup({ laggingMembersIndex: true });
    await member('bob');
    await member('carol');

    await chat.connect('alice=');
    await chat.setName('alice=', 'alice', 'corr-1');
    // The index still shows bob and carol only (replication lag on AWS).
    await deliver();

    for (const id of ['bob=', 'carol=']) {
      expect(systemEvents(framesOf(id))).toEqual(['joined alice']);
      expect(lastMembers(framesOf(id))).toEqual(['alice', 'bob', 'carol']);
    }
    // The joiner: its line, and the full list from its own event.
    expect(systemEvents(framesOf('alice='))).toEqual(['joined alice']);
    expect(membersFrames(framesOf('alice='))).toEqual([
      { type: 'members', members: ['alice', 'bob', 'carol'] },
    ]);
  });

  it('leaves a member out of every list once it has left, even when the index still shows it', async () => {
    const { chat, deliver, framesOf, member } = setup({ laggingMembersIndex: true });
    await member('alice');
    await member('bob');

    await chat.leave('alice=', 'corr-2');
    await deliver();

    expect(systemEvents(framesOf('bob='))).toEqual(['left alice']);
    expect(lastMembers(framesOf('bob='))).toEqual(['bob']);
  });

  it('shows the new name and not the old one after a rename the index has not caught up with', async () => {
    const { chat, deliver, framesOf, member } = setup({ laggingMembersIndex: true });
    await member('alice');
    await member('bob');

    await chat.setName('alice=', 'Alicia', 'corr-3');
    await deliver();

    for (const id of ['alice=', 'bob=']) expect(lastMembers(framesOf(id))).toEqual(['Alicia', 'bob']);
  });

  it('replaces a stale entry of the same name in another case', async () => {
    const { chat, store, deliver, framesOf, member } = setup({ laggingMembersIndex: true });
    await member('alice');
    await member('bob');
    await chat.leave('alice=', 'corr-4');
    await deliver();
    // The index still holds "alice" when "Alice" joins on another connection.
    await chat.connect('new=');
    await chat.setName('new=', 'Alice', 'corr-5');
    await deliver();

    expect(lastMembers(framesOf('bob='))).toEqual(['Alice', 'bob']);
    expect(lastMembers(framesOf('new='))).toEqual(['Alice', 'bob']);
    store.syncMembersIndex();
  });
});

describe('presence: full lists up to the threshold, deltas above it', () => {
  it('keeps the seed behaviour up to the threshold: a system line and a full list after every change', async () => {
    const { chat, deliver, framesOf, member } = setup({ fullListMax: 3 });
    await member('alice');
    await member('bob');

    await chat.connect('carol=');
    await chat.setName('carol=', 'carol', 'corr-1');
    await deliver();

    expect(framesOf('alice=').map((frame) => frame.type)).toEqual(['system', 'members']);
    expect(lastMembers(framesOf('alice='))).toEqual(['alice', 'bob', 'carol']);
    // An unnamed connection is in the audience too.
    await chat.connect('lurker=');
    await chat.setName('bob=', 'bobby', 'corr-2');
    await deliver();
    expect(framesOf('lurker=')).toEqual([
      expect.objectContaining({ type: 'system', event: 'renamed', name: 'bobby', previousName: 'bob' }),
      { type: 'members', members: ['alice', 'bobby', 'carol'] },
    ]);
  });

  it('above the threshold: the others get one presence frame and no system line; the joiner the full list', async () => {
    const { chat, deliver, framesOf, member } = setup({ fullListMax: 3 });
    for (const name of ['alice', 'bob', 'carol']) await member(name);

    await chat.connect('dave=');
    await chat.setName('dave=', 'dave', 'corr-1');
    await deliver();

    const delta = { type: 'presence', joined: ['dave'], left: [], renamed: [] };
    for (const id of ['alice=', 'bob=', 'carol=']) expect(framesOf(id)).toEqual([delta]);
    // One event: the joiner gets its full list instead of the delta (which the list already holds).
    expect(framesOf('dave=')).toEqual([{ type: 'members', members: ['alice', 'bob', 'carol', 'dave'] }]);
  });

  it('above the threshold: renames and leaves are deltas too', async () => {
    const { chat, deliver, framesOf, forget, member } = setup({ fullListMax: 3 });
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) await member(name);

    await chat.setName('alice=', 'alicia', 'corr-1');
    await deliver();
    expect(framesOf('bob=')).toEqual([
      { type: 'presence', joined: [], left: [], renamed: [{ previousName: 'alice', name: 'alicia' }] },
    ]);
    forget();

    await chat.leave('dave=', 'corr-2');
    await deliver();
    expect(framesOf('bob=')).toEqual([{ type: 'presence', joined: [], left: ['dave'], renamed: [] }]);
  });

  it('reads at most threshold + 1 names per room event to tell a small room from a large one', async () => {
    const { chat, store, deliver, member } = setup({ fullListMax: 3 });
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) await member(name);
    store.membersReads.queries = 0;
    store.membersReads.items = 0;

    await chat.leave('f=', 'corr-1');
    await deliver();

    // One Query for the room event, stopping at the fourth live name.
    expect(store.membersReads).toEqual({ queries: 1, items: 4 });
  });
});

describe('presence at 100,000 members', () => {
  const MEMBERS = 100_000;
  // Names of every width: ASCII, accented, CJK and emoji (4 UTF-8 bytes each), up to 32 code points.
  const nameOf = (i: number) =>
    [`user${i}`, `Zoë-${i}`, `名前${i}`, `🙂${i}${'x'.repeat(20)}`, `${'w'.repeat(26)}${i}`][i % 5] as string;

  it('sends the joiner the whole list in pages under the frame limit, and everyone else one small delta', async () => {
    const { chat, store, deliver, framesOf } = setup();
    for (let i = 0; i < MEMBERS; i += 1) {
      const name = nameOf(i);
      store.names.set(nameKeyOf(name), {
        nameKey: nameKeyOf(name),
        name,
        connectionId: `m${i}=`,
        claimedAt: NOW,
        expiresAt: NOW / 1000 + 3600,
      });
    }
    // A few listening connections (delivering to 100,000 in memory would only slow the test).
    for (const id of ['l1=', 'l2=', 'l3=']) await chat.connect(id);

    await chat.connect('joiner=');
    await chat.setName('joiner=', 'newcomer', 'corr-1');
    await deliver();

    const pages = framesOf('joiner=').filter(
      (frame): frame is Frame & MembersFrame => frame.type === 'members',
    );
    expect(pages.length).toBeGreaterThan(1);
    for (const [index, page] of pages.entries()) {
      expect(page).toMatchObject({ page: index + 1, pages: pages.length });
      expect(utf8Length(JSON.stringify(page))).toBeLessThanOrEqual(MEMBERS_PAGE_BYTES);
    }
    const all = pages.flatMap((page) => page.members);
    expect(all).toHaveLength(MEMBERS + 1);
    expect(all).toEqual(sortMembers([...store.names.values()].map((claim) => claim.name)));

    for (const id of ['l1=', 'l2=', 'l3=']) {
      expect(framesOf(id)).toEqual([{ type: 'presence', joined: ['newcomer'], left: [], renamed: [] }]);
    }
  });
});

describe('membersPages', () => {
  it('sends a list that fits as one plain members frame, as every client knows it', () => {
    expect(membersPages(['alice', 'bob'])).toEqual([{ type: 'members', members: ['alice', 'bob'] }]);
    expect(membersPages([])).toEqual([{ type: 'members', members: [] }]);
  });

  it('splits a larger list into numbered pages of at most the budget, names whole and in order', () => {
    const names = Array.from({ length: 200 }, (_, i) => `${'é'.repeat(i % 32)}"\\${i}`);

    const pages = membersPages(names, 1024);

    expect(pages.length).toBeGreaterThan(5);
    expect(pages.flatMap((page) => page.members)).toEqual(names);
    for (const [index, page] of pages.entries()) {
      expect(page.page).toBe(index + 1);
      expect(page.pages).toBe(pages.length);
      expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(1024);
    }
  });

  it('counts UTF-8 bytes as Buffer does', () => {
    for (const text of ['abc', 'Zoë', '名前', '🙂', '\ud800', 'a\udc00b']) {
      expect(utf8Length(text)).toBe(Buffer.byteLength(text));
    }
  });
});
