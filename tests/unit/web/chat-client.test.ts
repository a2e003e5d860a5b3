import {
  ChatClient,
  type ChatListener,
  type Clock,
  type ConnectionStatus,
  type NameStore,
  type SocketEvents,
} from '../../../web/src/chat-client';
import type { MemberChange } from '../../../web/src/member-list';
import type { LogEntry } from '../../../web/src/message-log';

/** A clock whose time moves only when the test says so. */
class ManualClock implements Clock {
  private time = 1_000_000;
  private nextHandle = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.timers.set(handle, { at: this.time + ms, callback });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  now(): number {
    return this.time;
  }

  /** Moves time forward, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = end;
  }
}

/** A socket the test opens, feeds and drops by hand. */
class FakeSocket {
  readonly sent: unknown[] = [];
  closed: number | undefined;
  constructor(
    readonly url: string,
    readonly events: SocketEvents,
  ) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number): void {
    this.closed = code ?? 1005;
  }
  receive(frame: unknown): void {
    this.events.message(JSON.stringify(frame));
  }
}

function setup(options: { storedName?: string; keepaliveMs?: number } = {}) {
  const clock = new ManualClock();
  const sockets: FakeSocket[] = [];
  const seen = {
    statuses: [] as ConnectionStatus[],
    members: [] as (readonly string[])[],
    memberChanges: [] as (readonly MemberChange[] | undefined)[],
    names: [] as (string | undefined)[],
    nameErrors: [] as (string | undefined)[],
    entries: [] as LogEntry[],
  };
  const listener: ChatListener = {
    status: (status) => seen.statuses.push(status),
    members: (members, changes) => {
      seen.members.push(members);
      seen.memberChanges.push(changes);
    },
    name: (name) => seen.names.push(name),
    nameError: (error) => seen.nameErrors.push(error),
    entry: (entry) => seen.entries.push(entry),
  };
  let stored = options.storedName;
  const nameStore: NameStore = { load: () => stored, save: (name) => (stored = name) };
  const client = new ChatClient({
    url: 'ws://chat.test/production',
    createSocket: (url, events) => {
      const socket = new FakeSocket(url, events);
      sockets.push(socket);
      return socket;
    },
    listener,
    clock,
    random: () => 0,
    nameStore,
    ...(options.keepaliveMs !== undefined ? { keepaliveMs: options.keepaliveMs } : {}),
  });
  const last = (): FakeSocket => {
    const socket = sockets[sockets.length - 1];
    if (socket === undefined) throw new Error('no socket opened yet');
    return socket;
  };
  return { client, clock, sockets, seen, last, stored: () => stored };
}

function joined(name = 'alice') {
  const context = setup();
  context.client.start();
  context.last().events.open();
  context.client.chooseName(name);
  context.last().receive({ type: 'name', name });
  context.last().sent.length = 0;
  return context;
}

describe('ChatClient', () => {
  describe('choosing a name', () => {
    it('sends setName and reports the name once the server accepts it', () => {
      const { client, last, seen, stored } = setup();
      client.start();
      last().events.open();

      client.chooseName('  alice ');

      expect(last().sent).toEqual([{ action: 'setName', name: 'alice' }]);
      expect(client.name).toBeUndefined();
      last().receive({ type: 'name', name: 'alice' });
      expect(client.name).toBe('alice');
      expect(seen.names).toEqual(['alice']);
      expect(stored()).toBe('alice');
    });

    it('shows a taken name as a name error and keeps no name', () => {
      const { client, last, seen } = setup();
      client.start();
      last().events.open();
      client.chooseName('bob');

      last().receive({ type: 'error', code: 'NAME_TAKEN', errorMessage: 'The name "bob" is already taken' });

      expect(seen.nameErrors.at(-1)).toBe('The name "bob" is already taken');
      expect(client.name).toBeUndefined();
      expect(seen.entries).toEqual([]);
    });

    it('explains an invalid name without asking the server', () => {
      const { client, last, seen } = setup();
      client.start();
      last().events.open();

      client.chooseName('   ');

      expect(last().sent).toEqual([]);
      expect(seen.nameErrors).toEqual(['Enter a name.']);
    });

    it('sends a name chosen before the socket opened as soon as it opens', () => {
      const { client, last } = setup();
      client.start();
      client.chooseName('alice');
      expect(last().sent).toEqual([]);

      last().events.open();

      expect(last().sent).toEqual([{ action: 'setName', name: 'alice' }]);
    });
  });

  describe('messages', () => {
    it('sends a public message, and a private one to the chosen member', () => {
      const { client, last } = joined();

      expect(client.sendMessage(' hello ')).toEqual({ ok: true });
      expect(client.sendMessage('psst', 'bob')).toEqual({ ok: true });

      expect(last().sent).toEqual([
        { action: 'sendPublic', message: 'hello' },
        { action: 'sendPrivate', to: 'bob', message: 'psst' },
      ]);
    });

    it('refuses to send before a name is chosen', () => {
      const { client, last } = setup();
      client.start();
      last().events.open();

      expect(client.sendMessage('hello').ok).toBe(false);
      expect(last().sent).toEqual([]);
    });

    it('reports each message id once, marking my own messages', () => {
      const { last, seen } = joined('alice');
      const frame = {
        type: 'public',
        id: '01A',
        ts: 5,
        from: 'alice',
        text: 'hi',
        publicMessage: 'alice: hi',
      };

      last().receive(frame);
      last().receive(frame);
      last().receive({ type: 'public', id: '01B', ts: 6, from: 'bob', text: 'yo' });

      expect(seen.entries.map((entry) => [entry.key, entry.own])).toEqual([
        ['01A', true],
        ['01B', false],
      ]);
    });

    it('shows an error frame about a message as an error entry', () => {
      const { last, seen } = joined();

      last().receive({
        type: 'error',
        code: 'RECIPIENT_NOT_FOUND',
        errorMessage: 'Nobody named "zed" is connected',
      });

      expect(seen.entries.map((entry) => [entry.kind, entry.text])).toEqual([
        ['error', 'Nobody named "zed" is connected'],
      ]);
    });

    it('reports the member list as the server sends it', () => {
      const { client, last } = joined();

      last().receive({ type: 'members', members: ['alice', 'bob'] });

      expect(client.members).toEqual(['alice', 'bob']);
    });

    it('applies presence deltas and paged lists, telling the page which rows changed', () => {
      const { client, last, seen } = joined();
      last().receive({ type: 'members', members: ['alice', 'bob'], page: 1, pages: 2 });
      expect(seen.members).toEqual([]);
      last().receive({ type: 'members', members: ['dave'], page: 2, pages: 2 });
      expect(client.members).toEqual(['alice', 'bob', 'dave']);
      seen.members.length = 0;
      seen.memberChanges.length = 0;

      last().receive({ type: 'presence', joined: ['carol'], left: ['bob'], renamed: [] });

      expect(client.members).toEqual(['alice', 'carol', 'dave']);
      expect(seen.members).toEqual([['alice', 'carol', 'dave']]);
      expect(seen.memberChanges).toEqual([
        [
          { kind: 'remove', index: 1 },
          { kind: 'insert', index: 1, name: 'carol' },
        ],
      ]);
    });
  });

  describe('after the connection drops', () => {
    it('says so, waits with growing backoff, and reconnects', () => {
      const { client, clock, sockets, last, seen } = joined();

      last().events.close(1006);
      expect(seen.entries.at(-1)?.text).toBe('Connection lost (code 1006). Reconnecting…');
      expect(client.connectionStatus).toMatchObject({ kind: 'waiting', attempt: 1, everConnected: true });
      expect(client.name).toBeUndefined();

      clock.advance(499);
      expect(sockets).toHaveLength(1);
      clock.advance(1);
      expect(sockets).toHaveLength(2);

      // The second attempt fails too: the next wait is twice as long.
      last().events.close(1006);
      expect(client.connectionStatus).toMatchObject({
        kind: 'waiting',
        attempt: 2,
        retryAt: clock.now() + 1000,
      });
      clock.advance(1000);
      expect(sockets).toHaveLength(3);

      last().events.open();
      expect(client.connectionStatus).toEqual({ kind: 'open' });
      expect(seen.entries.at(-1)?.text).toBe('Reconnected.');
    });

    it('sets the chosen name again on the new connection', () => {
      const { client, clock, last } = joined('alice');

      last().events.close(1001);
      clock.advance(500);
      last().events.open();

      expect(last().sent).toEqual([{ action: 'setName', name: 'alice' }]);
      last().receive({ type: 'name', name: 'alice' });
      expect(client.name).toBe('alice');
    });

    it('retries a restored name the server still holds for our old connection, then gives up and asks', () => {
      const { client, clock, last, seen, stored } = joined('alice');
      last().events.close(1006);
      clock.advance(500);
      const socket = last();
      socket.events.open();
      const taken = { type: 'error', code: 'NAME_TAKEN', errorMessage: 'The name "alice" is already taken' };

      socket.receive(taken);
      clock.advance(1000);
      socket.receive(taken);
      clock.advance(2000);
      socket.receive(taken);
      clock.advance(4000);
      socket.receive(taken);
      clock.advance(8000);
      const setNames = socket.sent.filter((frame) => (frame as { action: string }).action === 'setName');
      expect(setNames).toHaveLength(5);
      expect(seen.nameErrors.filter((error) => error !== undefined)).toEqual([]);

      socket.receive(taken);
      expect(seen.nameErrors.at(-1)).toBe(
        'Could not rejoin as "alice": The name "alice" is already taken Choose a name.',
      );
      expect(client.name).toBeUndefined();
      expect(stored()).toBeUndefined();
    });

    it('restores a name remembered from before a page reload', () => {
      const { client, last } = setup({ storedName: 'alice' });
      client.start();
      last().events.open();

      expect(last().sent).toEqual([{ action: 'setName', name: 'alice' }]);
    });

    it('reconnects at once when asked instead of waiting', () => {
      const { client, sockets, last } = joined();
      last().events.close(1006);

      client.retryNow();

      expect(sockets).toHaveLength(2);
    });

    it('ignores events from a socket it has replaced', () => {
      const { client, clock, sockets, seen } = joined();
      const old = sockets[0] as FakeSocket;
      old.events.close(1006);
      clock.advance(500);

      old.receive({ type: 'public', id: 'late', ts: 1, from: 'bob', text: 'from the old socket' });
      old.events.close(1006);

      expect(seen.entries.some((entry) => entry.key === 'late')).toBe(false);
      expect(client.connectionStatus.kind).toBe('connecting');
    });

    it('does not reconnect after stop()', () => {
      const { client, clock, sockets, last } = joined();

      client.stop();
      last().events.close(1000);
      clock.advance(60_000);

      expect(sockets).toHaveLength(1);
      expect(sockets[0]?.closed).toBe(1000);
    });
  });

  describe('keepalive', () => {
    it('sends a keepalive only after five idle minutes and hides the error it causes', () => {
      const { client, clock, last, seen } = joined();
      clock.advance(4 * 60_000);
      client.sendMessage('still here');
      clock.advance(4 * 60_000);
      expect(last().sent).toEqual([{ action: 'sendPublic', message: 'still here' }]);

      clock.advance(60_000);

      expect(last().sent.at(-1)).toEqual({ action: 'ping' });
      last().receive({
        type: 'error',
        code: 'UNKNOWN_ACTION',
        errorMessage: 'Unknown action "ping"; valid actions: setName, sendPublic, sendPrivate',
        action: 'ping',
      });
      expect(seen.entries).toEqual([]);
      clock.advance(5 * 60_000);
      expect(last().sent.filter((frame) => (frame as { action: string }).action === 'ping')).toHaveLength(2);
    });

    it('still shows an UNKNOWN_ACTION error that no keepalive caused', () => {
      const { last, seen } = joined();

      last().receive({ type: 'error', code: 'UNKNOWN_ACTION', errorMessage: 'Unknown action' });

      expect(seen.entries.map((entry) => entry.kind)).toEqual(['error']);
    });
  });
});
