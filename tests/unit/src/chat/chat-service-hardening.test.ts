import type { ChatEvent } from '../../../../src/chat/chat-events';
import {
  ChatService,
  CONNECT_WINDOW_MS,
  ConnectionRecordMissingError,
} from '../../../../src/chat/chat-service';
import { NameRequiredError, RateLimitedError } from '../../../../src/chat/errors';
import { perMinute, perSecond, type RateLimits } from '../../../../src/chat/rate-limit';
import { nameKeyOf } from '../../../../src/chat/rules';
import { InMemoryConnectionStore } from '../../../support/in-memory-connection-store';

const LIMITS: RateLimits = {
  public: perSecond(3, 2),
  private: perSecond(2, 1),
  name: perMinute(2, 6),
};

function setup(limits: RateLimits | null = LIMITS) {
  const store = new InMemoryConnectionStore();
  const published: ChatEvent[] = [];
  const clock = { now: 1_800_000_000_000 };
  let seq = 0;
  const chat = new ChatService({
    store,
    publisher: { publish: async (events) => void published.push(...events) },
    shardCount: 2,
    ...(limits ? { limits } : {}),
    now: () => clock.now,
    newId: () => `id-${++seq}`,
  });
  /** The public texts published (once per message, not per shard). */
  const publicTexts = () =>
    published
      .filter((e) => e.detailType === 'Public Message Sent' && e.detail.audience.kind === 'room')
      .map((e) => (e.detail.frames[0] as { text: string }).text);
  const leftAnnouncements = () => published.filter((e) => e.detailType === 'Member Left').length;
  return { store, chat, clock, published, publicTexts, leftAnnouncements };
}

describe('a 410 met while delivering a broadcast', () => {
  it('keeps a connection recorded inside the connect window: it may still be in its $connect', async () => {
    const { store, chat, clock, leftAnnouncements } = setup();
    await chat.connect('young=');
    await chat.setName('young=', 'alice', 'c1');
    clock.now += CONNECT_WINDOW_MS - 1;

    expect(await chat.goneOnDelivery('young=', 'c2')).toBeUndefined();

    expect(store.connections.has('young=')).toBe(true);
    expect(store.names.get(nameKeyOf('alice'))?.connectionId).toBe('young=');
    expect(leftAnnouncements()).toBe(0);
  });

  it('prunes an older connection like $disconnect: record and name removed, the leave announced', async () => {
    const { store, chat, clock, leftAnnouncements } = setup();
    await chat.connect('old=');
    await chat.setName('old=', 'bob', 'c1');
    clock.now += CONNECT_WINDOW_MS + 1;

    expect(await chat.goneOnDelivery('old=', 'c2')).toMatchObject({ name: 'bob' });

    expect(store.connections.has('old=')).toBe(false);
    expect(store.names.has(nameKeyOf('bob'))).toBe(false);
    expect(leftAnnouncements()).toBe(1); // one room event
  });

  it('still lets $disconnect remove a young connection at once', async () => {
    const { store, chat } = setup();
    await chat.connect('young=');

    await chat.leave('young=', 'c1');

    expect(store.connections.has('young=')).toBe(false);
  });
});

describe('a request from a connection that has no record', () => {
  it('setName registers the connection again and names it, so it receives broadcasts again', async () => {
    const { store, chat, published } = setup();

    expect(await chat.setName('lost=', 'carol', 'c1')).toEqual({ type: 'name', name: 'carol' });

    expect(store.connections.get('lost=')).toMatchObject({ name: 'carol', shard: expect.any(Number) });
    expect(published.map((e) => e.detailType)).toContain('Member Joined');
  });

  it('sendPublic and sendPrivate answer NAME_REQUIRED (a coded error, not a failure)', async () => {
    const { chat } = setup();

    await expect(chat.sendPublic('lost=', 'hi', 'c1')).rejects.toBeInstanceOf(NameRequiredError);
    await expect(chat.sendPrivate('lost=', 'bob', 'hi', 'c1')).rejects.toBeInstanceOf(NameRequiredError);
  });

  it('reports a record removed in the middle of setName as the caller having left, and frees the name', async () => {
    const { store, chat } = setup();
    await chat.connect('leaving=');
    // $disconnect runs between the claim and the write that records the name.
    const claimName = store.claimName.bind(store);
    store.claimName = async (claim, now) => {
      const claimed = await claimName(claim, now);
      await chat.leave('leaving=', 'disc');
      return claimed;
    };

    await expect(chat.setName('leaving=', 'dave', 'c1')).rejects.toBeInstanceOf(ConnectionRecordMissingError);
    expect(store.names.has(nameKeyOf('dave'))).toBe(false);
  });
});

describe('the per-connection rate limits', () => {
  async function named(chat: ChatService, id: string, name: string) {
    await chat.connect(id);
    await chat.setName(id, name, 'c0');
  }

  it('publishes a burst, answers the excess RATE_LIMITED with a retry hint, and publishes none of it', async () => {
    const { chat, publicTexts } = setup();
    await named(chat, 'a=', 'alice');

    for (const text of ['1', '2', '3']) await chat.sendPublic('a=', text, 'c');
    const excess = await chat.sendPublic('a=', '4', 'c').catch((error: unknown) => error);

    expect(excess).toBeInstanceOf(RateLimitedError);
    expect(excess).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 500 });
    expect(publicTexts()).toEqual(['1', '2', '3']);
  });

  it('refuses the rest of a flood from memory, without reading the store, until the retry time', async () => {
    const { store, chat, clock, publicTexts } = setup();
    await named(chat, 'a=', 'alice');
    for (const text of ['1', '2', '3']) await chat.sendPublic('a=', text, 'c');
    await expect(chat.sendPublic('a=', '4', 'c')).rejects.toMatchObject({ retryAfterMs: 500 });
    const reads = store.calls.getConnection;

    clock.now += 200;
    await expect(chat.sendPublic('a=', '5', 'c')).rejects.toMatchObject({ retryAfterMs: 300 });
    expect(store.calls.getConnection).toBe(reads);

    clock.now += 300;
    await chat.sendPublic('a=', '6', 'c');
    expect(publicTexts()).toEqual(['1', '2', '3', '6']);
  });

  it('gives tokens back over time', async () => {
    const { chat, clock, publicTexts } = setup();
    await named(chat, 'a=', 'alice');
    for (const text of ['1', '2', '3']) await chat.sendPublic('a=', text, 'c');

    clock.now += 500;
    await chat.sendPublic('a=', '4', 'c');
    await expect(chat.sendPublic('a=', '5', 'c')).rejects.toBeInstanceOf(RateLimitedError);

    expect(publicTexts()).toEqual(['1', '2', '3', '4']);
  });

  it('never accepts more than the burst from concurrent requests of one connection', async () => {
    const { chat, publicTexts } = setup();
    await named(chat, 'a=', 'alice');

    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => chat.sendPublic('a=', `m${i}`, 'c')),
    );

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(RateLimitedError);
    }
    expect(publicTexts()).toHaveLength(3);
  });

  it('limits each connection on its own: one flooding does not limit another', async () => {
    const { chat, publicTexts } = setup();
    await named(chat, 'a=', 'alice');
    await named(chat, 'b=', 'bob');
    for (let i = 0; i < 10; i++) await chat.sendPublic('a=', `flood ${i}`, 'c').catch(() => undefined);

    await chat.sendPublic('b=', 'still here', 'c');

    expect(publicTexts()).toContain('still here');
  });

  it('counts private messages in their own bucket', async () => {
    const { chat, published } = setup();
    await named(chat, 'a=', 'alice');
    await named(chat, 'b=', 'bob');
    for (let i = 0; i < 3; i++) await chat.sendPublic('a=', `p${i}`, 'c');

    await chat.sendPrivate('a=', 'bob', 'one', 'c');
    await chat.sendPrivate('a=', 'bob', 'two', 'c');
    await expect(chat.sendPrivate('a=', 'bob', 'three', 'c')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: 1000,
    });
    expect(published.filter((e) => e.detailType === 'Private Message Sent')).toHaveLength(2);
  });

  it('bounds joins and renames per minute, and a refused rename keeps the old name free of claims', async () => {
    const { store, chat, clock, published } = setup();
    await chat.connect('a=');
    await chat.setName('a=', 'one', 'c'); // join: first token
    await chat.setName('a=', 'two', 'c'); // rename: second token

    await expect(chat.setName('a=', 'three', 'c')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: 10_000,
    });
    expect(store.names.has(nameKeyOf('three'))).toBe(false);
    expect(store.connections.get('a=')?.name).toBe('two');
    // Setting the name it already has is only an acknowledgement: free.
    expect(await chat.setName('a=', 'two', 'c')).toEqual({ type: 'name', name: 'two' });

    clock.now += 10_000;
    await chat.setName('a=', 'three', 'c');
    expect(published.filter((e) => e.detailType === 'Member Renamed')).toHaveLength(2); // one per rename
  });

  it('never takes more name tokens than the burst from concurrent setName calls', async () => {
    const { store, chat } = setup();
    await chat.connect('a=');

    const results = await Promise.allSettled(
      ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((name) => chat.setName('a=', name, 'c')),
    );

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    // Every refused setName released its claim: only the name the connection holds is claimed.
    expect([...store.names.keys()]).toEqual([store.connections.get('a=')?.nameKey]);
  });

  it('limits nothing when the service has no limits (the broadcaster only prunes)', async () => {
    const { chat, publicTexts } = setup(null);
    await named(chat, 'a=', 'alice');
    for (let i = 0; i < 20; i++) await chat.sendPublic('a=', `m${i}`, 'c');
    expect(publicTexts()).toHaveLength(20);
  });
});
