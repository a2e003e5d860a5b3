import type { PresenceChange } from '../../../../src/chat/chat-events';
import {
  ChatService,
  CONNECTION_TTL_SECONDS,
  ConnectionRecordMissingError,
  ORPHANED_CLAIM_AFTER_MS,
} from '../../../../src/chat/chat-service';
import {
  InvalidNameError,
  InvalidRecipientError,
  NameRequiredError,
  NameTakenError,
  RecipientNotFoundError,
} from '../../../../src/chat/errors';
import { nameKeyOf } from '../../../../src/chat/rules';
import { shardOf } from '../../../../src/chat/sharding';
import { InMemoryConnectionStore } from '../../../support/in-memory-connection-store';
import { RecordingPublisher } from '../../../support/in-memory-delivery';

// ChatService through its ports: a store and a publisher in memory, a clock the test moves.
const SHARDS = 3;
const START = Date.UTC(2026, 0, 1);

const setup = () => {
  const store = new InMemoryConnectionStore();
  const publisher = new RecordingPublisher();
  const clock = { now: START };
  let ids = 0;
  const chat = new ChatService({
    store,
    publisher,
    shardCount: SHARDS,
    now: () => clock.now,
    newId: () => `id-${++ids}`,
  });
  /** A connection that has chosen `name`, with the events of doing so forgotten. */
  const member = async (connectionId: string, name: string) => {
    await chat.connect(connectionId);
    await chat.setName(connectionId, name, 'corr-setup');
    publisher.events.length = 0;
  };
  return { store, publisher, clock, chat, member };
};

/** What the other members are told, per event: its type, the frames' texts and the audience. */
const announcements = (publisher: RecordingPublisher) =>
  publisher.events.map(({ detailType, detail }) => ({
    detailType,
    audience: detail.audience,
    texts: detail.frames.map((frame) => frame.text),
    includeMembers: detail.includeMembers,
    presence: detail.presence,
  }));

const toEveryShard = (
  detailType: string,
  texts: string[],
  includeMembers: boolean,
  change?: PresenceChange,
  joinerList?: boolean,
) =>
  // One room event whatever the shard count: the broadcaster sizes and splits the audience.
  [
    {
      detailType,
      audience: { kind: 'room' },
      texts,
      includeMembers,
      presence: change ? { change, send: 'room', ...(joinerList ? { joinerList } : {}) } : undefined,
    },
  ];

describe('ChatService', () => {
  describe('connect', () => {
    it('records the connection in its shard, expiring after API Gateway closes it', async () => {
      const { store, chat } = setup();

      await chat.connect('c1=');

      expect(store.connections.get('c1=')).toEqual({
        connectionId: 'c1=',
        shard: shardOf('c1=', SHARDS),
        connectedAt: START,
        expiresAt: START / 1000 + CONNECTION_TTL_SECONDS,
      });
    });
  });

  describe('setName', () => {
    it('claims the name, answers with it and announces the join to the room with the members', async () => {
      const { store, publisher, chat } = setup();
      await chat.connect('c1=');

      await expect(chat.setName('c1=', '  Alice ', 'corr-1')).resolves.toEqual({
        type: 'name',
        name: 'Alice',
      });

      expect(store.names.get(nameKeyOf('alice'))).toMatchObject({ name: 'Alice', connectionId: 'c1=' });
      expect(store.connections.get('c1=')).toMatchObject({ name: 'Alice', nameKey: nameKeyOf('alice') });
      // The change travels with the event (the broadcaster applies it to a possibly stale index), and
      // the same event gives the joiner its full list: one event, one broadcaster invocation.
      expect(announcements(publisher)).toEqual(
        toEveryShard(
          'Member Joined',
          ['Alice has joined the chat'],
          true,
          { event: 'joined', name: 'Alice', connectionId: 'c1=' },
          true,
        ),
      );
      expect(publisher.events[0]?.detail.correlationId).toBe('corr-1');
      expect(publisher.events[0]?.detail.frames[0]).toMatchObject({ id: 'id-1', ts: START, event: 'joined' });
    });

    it('answers the same name again without announcing anything', async () => {
      const { publisher, chat, member } = setup();
      await member('c1=', 'alice');

      await expect(chat.setName('c1=', 'alice', 'corr-2')).resolves.toEqual({ type: 'name', name: 'alice' });

      expect(publisher.events).toEqual([]);
    });

    it('renames: frees the old name for others and announces the new one', async () => {
      const { store, publisher, chat, member } = setup();
      await member('c1=', 'alice');

      await chat.setName('c1=', 'alicia', 'corr-2');

      expect(store.names.has(nameKeyOf('alice'))).toBe(false);
      expect(store.names.get(nameKeyOf('alicia'))).toMatchObject({ connectionId: 'c1=' });
      expect(announcements(publisher)).toEqual(
        toEveryShard('Member Renamed', ['alice is now known as alicia'], true, {
          event: 'renamed',
          name: 'alicia',
          previousName: 'alice',
          connectionId: 'c1=',
        }),
      );
      await chat.connect('c2=');
      await expect(chat.setName('c2=', 'Alice', 'corr-3')).resolves.toEqual({ type: 'name', name: 'Alice' });
    });

    it('lets a member change only the case of its name, keeping its claim', async () => {
      const { store, publisher, chat, member } = setup();
      await member('c1=', 'alice');

      await chat.setName('c1=', 'ALICE', 'corr-2');

      expect(store.names.get(nameKeyOf('alice'))).toMatchObject({ name: 'ALICE', connectionId: 'c1=' });
      expect(announcements(publisher)).toEqual(
        toEveryShard('Member Renamed', ['alice is now known as ALICE'], true, {
          event: 'renamed',
          name: 'ALICE',
          previousName: 'alice',
          connectionId: 'c1=',
        }),
      );
    });

    it('refuses a name another member holds, ignoring case, and changes nothing', async () => {
      const { store, publisher, chat, member } = setup();
      await member('c1=', 'Bob');
      await member('c2=', 'carol');

      await expect(chat.setName('c2=', 'bob', 'corr-2')).rejects.toThrow(new NameTakenError('bob'));

      expect(store.names.get(nameKeyOf('bob'))).toMatchObject({ name: 'Bob', connectionId: 'c1=' });
      expect(store.connections.get('c2=')).toMatchObject({ name: 'carol' });
      expect(publisher.events).toEqual([]);
    });

    it('refuses an invalid name before touching the store', async () => {
      const { store, chat } = setup();
      await chat.connect('c1=');

      await expect(chat.setName('c1=', '   ', 'corr-1')).rejects.toThrow(InvalidNameError);
      expect(store.names.size).toBe(0);
    });

    it('gives a name to exactly one of two connections that ask for it at the same time', async () => {
      const { store, publisher, chat } = setup();
      await chat.connect('c1=');
      await chat.connect('c2=');

      const results = await Promise.allSettled([
        chat.setName('c1=', 'dave', 'corr-1'),
        chat.setName('c2=', 'Dave', 'corr-2'),
      ]);

      const won = results.filter((result) => result.status === 'fulfilled');
      const lost = results.filter((result) => result.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(NameTakenError);
      const winner = store.names.get(nameKeyOf('dave'))?.connectionId;
      const loser = winner === 'c1=' ? 'c2=' : 'c1=';
      expect(store.connections.get(winner ?? '')).toMatchObject({ nameKey: nameKeyOf('dave') });
      expect(store.connections.get(loser)?.name).toBeUndefined();
      // One room event, which also carries the winner's full list.
      expect(publisher.events).toHaveLength(1);
      expect(publisher.events[0]?.detail.presence).toMatchObject({ joinerList: true });
    });

    it('claims a name whose holder left between the failed claim and the look at it', async () => {
      const { store, chat, member } = setup();
      await member('c1=', 'erin');
      await chat.connect('c2=');
      const claimName = store.claimName.bind(store);
      let first = true;
      store.claimName = async (claim, nowSeconds) => {
        const claimed = await claimName(claim, nowSeconds);
        if (first) {
          first = false;
          await chat.leave('c1=', 'corr-leave');
        }
        return claimed;
      };

      await expect(chat.setName('c2=', 'erin', 'corr-2')).resolves.toEqual({ type: 'name', name: 'erin' });
      expect(store.names.get(nameKeyOf('erin'))).toMatchObject({ connectionId: 'c2=' });
    });

    it('claims a name whose claim has expired, even if its holder never released it', async () => {
      const { store, clock, chat, member } = setup();
      await member('c1=', 'frank');
      clock.now += (CONNECTION_TTL_SECONDS + 1) * 1000;
      await chat.connect('c2=');

      await chat.setName('c2=', 'frank', 'corr-2');

      expect(store.names.get(nameKeyOf('frank'))).toMatchObject({ connectionId: 'c2=' });
    });

    describe('a claim left behind by a setName that failed half-way (its owner has another name)', () => {
      const orphan = async () => {
        const context = setup();
        await context.member('c1=', 'grace');
        // c1's setName for "heidi" claimed the name, then failed before recording it on c1.
        context.store.names.set(nameKeyOf('heidi'), {
          nameKey: nameKeyOf('heidi'),
          name: 'heidi',
          connectionId: 'c1=',
          claimedAt: context.clock.now,
          expiresAt: context.clock.now / 1000 + CONNECTION_TTL_SECONDS,
        });
        await context.chat.connect('c2=');
        return context;
      };

      it('is taken over once it is older than any invocation can run', async () => {
        const { store, clock, chat } = await orphan();
        clock.now += ORPHANED_CLAIM_AFTER_MS;

        await expect(chat.setName('c2=', 'heidi', 'corr-2')).resolves.toEqual({
          type: 'name',
          name: 'heidi',
        });
        expect(store.names.get(nameKeyOf('heidi'))).toMatchObject({
          connectionId: 'c2=',
          claimedAt: clock.now,
        });
        // The orphan's owner keeps its own name.
        expect(store.names.get(nameKeyOf('grace'))).toMatchObject({ connectionId: 'c1=' });
      });

      it('is respected while its setName may still be running', async () => {
        const { store, clock, chat } = await orphan();
        clock.now += ORPHANED_CLAIM_AFTER_MS - 1;

        await expect(chat.setName('c2=', 'heidi', 'corr-2')).rejects.toThrow(NameTakenError);
        expect(store.names.get(nameKeyOf('heidi'))).toMatchObject({ connectionId: 'c1=' });
      });
    });

    it('never takes over an old claim whose owner still uses the name', async () => {
      const { clock, chat, member } = setup();
      await member('c1=', 'ivan');
      clock.now += ORPHANED_CLAIM_AFTER_MS * 10;
      await chat.connect('c2=');

      await expect(chat.setName('c2=', 'ivan', 'corr-2')).rejects.toThrow(NameTakenError);
    });

    it('registers a connection that has no record again before naming it (chat-service-hardening.test.ts)', async () => {
      const { store, chat } = setup();

      await expect(chat.setName('ghost=', 'judy', 'corr-1')).resolves.toEqual({ type: 'name', name: 'judy' });
      expect(store.connections.get('ghost=')).toMatchObject({ name: 'judy' });
    });

    it('releases the claim when the connection disconnects while its name is being set', async () => {
      const { store, publisher, chat } = setup();
      await chat.connect('c1=');
      const claimName = store.claimName.bind(store);
      store.claimName = async (claim, nowSeconds) => {
        const claimed = await claimName(claim, nowSeconds);
        await chat.leave('c1=', 'corr-disconnect');
        return claimed;
      };

      await expect(chat.setName('c1=', 'kim', 'corr-1')).rejects.toThrow(ConnectionRecordMissingError);
      expect(store.names.has(nameKeyOf('kim'))).toBe(false);
      expect(publisher.events).toEqual([]);
    });
  });

  describe('sendPublic', () => {
    it('publishes the message once to the room, stamped, without the members list', async () => {
      const { publisher, clock, chat, member } = setup();
      await member('c1=', 'alice');
      clock.now += 5;

      await chat.sendPublic('c1=', ' hello ', 'corr-2');

      expect(announcements(publisher)).toEqual(toEveryShard('Public Message Sent', ['hello'], false));
      expect(publisher.events[0]?.detail.frames[0]).toEqual({
        type: 'public',
        publicMessage: 'alice: hello',
        id: 'id-2',
        ts: START + 5,
        from: 'alice',
        text: 'hello',
      });
    });

    it('refuses a member without a name', async () => {
      const { publisher, chat } = setup();
      await chat.connect('c1=');

      await expect(chat.sendPublic('c1=', 'hello', 'corr-1')).rejects.toThrow(NameRequiredError);
      expect(publisher.events).toEqual([]);
    });
  });

  describe('sendPrivate', () => {
    it('sends to the recipient named in any case, and a copy to the sender, under the display names', async () => {
      const { publisher, chat, member } = setup();
      await member('c1=', 'alice');
      await member('c2=', 'Bob');

      await chat.sendPrivate('c1=', 'BOB', 'psst', 'corr-3');

      expect(publisher.events).toEqual([
        {
          detailType: 'Private Message Sent',
          detail: {
            correlationId: 'corr-3',
            audience: { kind: 'connections', connectionIds: ['c2=', 'c1='] },
            frames: [expect.objectContaining({ type: 'private', from: 'alice', to: 'Bob', text: 'psst' })],
            includeMembers: false,
          },
        },
      ]);
    });

    it('refuses a recipient nobody holds, or whose claim has expired', async () => {
      const { store, clock, chat, member } = setup();
      await member('c1=', 'alice');
      await member('c2=', 'bob');

      await expect(chat.sendPrivate('c1=', 'nobody', 'hi', 'corr-1')).rejects.toThrow(RecipientNotFoundError);

      clock.now += (CONNECTION_TTL_SECONDS + 1) * 1000;
      // Keep the sender current; bob's claim expired with his connection.
      const sender = store.connections.get('c1=');
      if (sender) sender.expiresAt = clock.now / 1000 + CONNECTION_TTL_SECONDS;
      await expect(chat.sendPrivate('c1=', 'bob', 'hi', 'corr-2')).rejects.toThrow(RecipientNotFoundError);
    });

    it('refuses a message to oneself', async () => {
      const { chat, member } = setup();
      await member('c1=', 'alice');

      await expect(chat.sendPrivate('c1=', 'ALICE', 'hi', 'corr-1')).rejects.toThrow(InvalidRecipientError);
    });
  });

  describe('leave', () => {
    it('deletes the connection, frees its name and tells everyone once', async () => {
      const { store, publisher, chat, member } = setup();
      await member('c1=', 'alice');

      await expect(chat.leave('c1=', 'corr-9')).resolves.toMatchObject({
        connectionId: 'c1=',
        name: 'alice',
      });
      await expect(chat.leave('c1=', 'corr-10')).resolves.toBeUndefined();

      expect(store.connections.has('c1=')).toBe(false);
      expect(store.names.has(nameKeyOf('alice'))).toBe(false);
      expect(announcements(publisher)).toEqual(
        toEveryShard('Member Left', ['alice has left the chat'], true, {
          event: 'left',
          name: 'alice',
          connectionId: 'c1=',
        }),
      );
    });

    it('announces nothing for a connection that never chose a name', async () => {
      const { publisher, chat } = setup();
      await chat.connect('c1=');

      await chat.leave('c1=', 'corr-1');

      expect(publisher.events).toEqual([]);
    });

    it('leaves alone a name another connection has taken over meanwhile', async () => {
      const { store, chat, member } = setup();
      await member('c1=', 'alice');
      // c2 took "alice" over (c1's record is about to go; its claim was replaced).
      const held = store.names.get(nameKeyOf('alice'));
      if (!held) throw new Error('alice has no claim');
      store.names.set(nameKeyOf('alice'), { ...held, connectionId: 'c2=' });

      await chat.leave('c1=', 'corr-1');

      expect(store.names.get(nameKeyOf('alice'))).toMatchObject({ connectionId: 'c2=' });
    });
  });
});
