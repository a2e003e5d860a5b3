import { GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type LocalStack, startLocalStack } from '../../../local/stack';
import { shardOf } from '../../../src/chat/sharding';
import { DynamoDbConnectionStore } from '../../../src/stores/dynamodb-connection-store';
import { output, type StackClients, stackClients } from '../helpers/aws';
import {
  ChatClient,
  type Frame,
  type FramePredicate,
  isError,
  isMembers,
  isPrivate,
  isPublic,
  isSystem,
  settle,
  ULID,
} from '../helpers/chat-client';

// Starting the stack builds both functions; cold starts on a busy 2-core box take seconds.
jest.setTimeout(90_000);

let stack: LocalStack;
let aws: StackClients;
let chatTable: string;
let shardCount: number;
const open: ChatClient[] = [];

async function connect(label: string): Promise<ChatClient> {
  const client = await ChatClient.connect(stack.webSocketUrl(), label);
  open.push(client);
  return client;
}

/** Connects and names a client, and waits until it has seen its own join announced. */
async function member(name: string): Promise<ChatClient> {
  const client = await connect(name);
  const from = client.mark();
  expect(await client.setName(name)).toEqual({ type: 'name', name });
  await client.waitFor(isSystem('joined', name), { from, what: `${name} joined` });
  return client;
}

/** Polls for a state no frame announces (the gateway noticing a closed socket). */
async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every client still open, for settle(). */
const live = (): ChatClient[] => open.filter((client) => client.ws.readyState === client.ws.OPEN);

const membersAre =
  (names: string[]): FramePredicate =>
  (f) =>
    isMembers(f) && JSON.stringify(f.members) === JSON.stringify(names);

beforeAll(async () => {
  stack = await startLocalStack({
    templatePath: 'template.yaml',
    port: 0,
    asyncRetryDelaysMs: [200, 400],
    ttlSweepIntervalMs: 0,
  });
  aws = stackClients(stack);
  chatTable = output(stack, 'ChatTableName');
  shardCount = Number(
    stack.model.functions.find((fn) => fn.logicalId === 'ChatApiFunction')?.environment.SHARD_COUNT,
  );
});

afterAll(async () => {
  // Stopping closes every socket without $disconnect; nothing is left running.
  await stack?.stop();
  for (const client of open) client.ws.terminate();
  aws?.destroy();
});

describe('a chat among several clients', () => {
  let alice: ChatClient;
  let bob: ChatClient;
  let carol: ChatClient;

  beforeAll(async () => {
    [alice, bob, carol] = await Promise.all([connect('alice'), connect('bob'), connect('carol')]);
  });

  it('acknowledges setName to the caller only and announces the join and the members list to every connection, named or not', async () => {
    // Act
    expect(await alice.setName('alice')).toEqual({ type: 'name', name: 'alice' });

    // Assert: bob and carol have no name yet and still hear about it.
    for (const client of [alice, bob, carol]) {
      const joined = await client.waitFor(isSystem('joined', 'alice'), { what: 'alice joined' });
      expect(joined).toEqual({
        type: 'system',
        systemMessage: 'alice has joined the chat',
        id: expect.stringMatching(ULID),
        ts: expect.any(Number),
        text: 'alice has joined the chat',
        event: 'joined',
        name: 'alice',
      });
      await client.waitFor(membersAre(['alice']), { what: 'members [alice]' });
    }
    await settle(stack, [alice, bob, carol]);
    expect(bob.matching((f) => f.type === 'name')).toEqual([]);
    expect(carol.matching((f) => f.type === 'name')).toEqual([]);
  });

  it('lists members sorted ignoring case as more clients join', async () => {
    const from = [alice.mark(), bob.mark(), carol.mark()];
    expect(await bob.setName('Bob')).toEqual({ type: 'name', name: 'Bob' });
    expect(await carol.setName('carol')).toEqual({ type: 'name', name: 'carol' });

    for (const [i, client] of [alice, bob, carol].entries()) {
      await client.waitFor(isSystem('joined', 'Bob'), { from: from[i], what: 'Bob joined' });
      await client.waitFor(isSystem('joined', 'carol'), { from: from[i], what: 'carol joined' });
      // A plain sort would put "Bob" before "alice".
      await client.waitFor(membersAre(['alice', 'Bob', 'carol']), { from: from[i], what: 'three members' });
    }
  });

  it('acknowledges setting the name one already has without announcing anything', async () => {
    await settle(stack, [alice, bob, carol]);
    const from = bob.mark();
    expect(await alice.setName('alice')).toEqual({ type: 'name', name: 'alice' });
    await settle(stack, [alice, bob, carol]);
    expect(bob.frames.slice(from)).toEqual([]);
  });

  it('announces a rename to everyone with the new members list, and frees the old name', async () => {
    const from = [alice.mark(), bob.mark(), carol.mark()];
    expect(await carol.setName('Caroline')).toEqual({ type: 'name', name: 'Caroline' });

    for (const [i, client] of [alice, bob, carol].entries()) {
      const renamed = await client.waitFor(isSystem('renamed', 'Caroline'), {
        from: from[i],
        what: 'rename',
      });
      expect(renamed).toMatchObject({
        systemMessage: 'carol is now known as Caroline',
        text: 'carol is now known as Caroline',
        previousName: 'carol',
        id: expect.stringMatching(ULID),
      });
      await client.waitFor(membersAre(['alice', 'Bob', 'Caroline']), { from: from[i], what: 'members' });
    }
    const { Item } = await aws.document.send(
      new GetCommand({ TableName: chatTable, Key: { pk: 'NAME#carol' }, ConsistentRead: true }),
    );
    expect(Item).toBeUndefined();
  });

  it('delivers a public message once to every connection, with the legacy keys and type, id, ts, from and text', async () => {
    const from = [alice.mark(), bob.mark(), carol.mark()];
    const before = Date.now();
    alice.send({ action: 'sendPublic', message: '  hello everyone  ' });

    const received: Frame[] = [];
    for (const [i, client] of [alice, bob, carol].entries()) {
      received.push(await client.waitFor(isPublic('hello everyone'), { from: from[i], what: 'the message' }));
    }
    expect(received[0]).toEqual({
      type: 'public',
      publicMessage: 'alice: hello everyone',
      id: expect.stringMatching(ULID),
      ts: expect.any(Number),
      from: 'alice',
      text: 'hello everyone',
    });
    expect(received[0]?.ts).toBeGreaterThanOrEqual(before - 1000);
    // One message, one id, whichever shard delivered it.
    expect(new Set(received.map((frame) => frame.id)).size).toBe(1);

    await settle(stack, [alice, bob, carol]);
    for (const [i, client] of [alice, bob, carol].entries()) {
      expect(client.matching((f) => f.type === 'public', from[i])).toHaveLength(1);
    }
  });

  it('delivers a private message to the recipient and a copy to the sender, and to nobody else', async () => {
    const from = [alice.mark(), bob.mark(), carol.mark()];
    // The recipient is named ignoring case; the frame carries the name as the recipient chose it.
    alice.send({ action: 'sendPrivate', to: 'bob', message: 'psst' });

    const toBob = await bob.waitFor(isPrivate('psst'), { from: from[1], what: 'the private message' });
    const copy = await alice.waitFor(isPrivate('psst'), { from: from[0], what: "the sender's copy" });
    expect(toBob).toEqual({
      type: 'private',
      privateMessage: 'alice: psst',
      id: expect.stringMatching(ULID),
      ts: expect.any(Number),
      from: 'alice',
      to: 'Bob',
      text: 'psst',
    });
    expect(copy).toEqual(toBob);

    // Act: a later public message reaches carol; nothing private came before it.
    await settle(stack, [alice, bob, carol]);
    bob.send({ action: 'sendPublic', message: 'after the secret' });
    await carol.waitFor(isPublic('after the secret'), { from: from[2], what: 'the later public message' });
    expect(carol.frames.slice(from[2])).toEqual([expect.objectContaining({ type: 'public', from: 'Bob' })]);

    await settle(stack, [alice, bob, carol]);
    expect(bob.matching(isPrivate('psst'), from[1])).toHaveLength(1);
    expect(alice.matching(isPrivate('psst'), from[0])).toHaveLength(1);
  });

  it('announces a member who closes the socket as left, with the members list without them, and frees the name', async () => {
    const from = [alice.mark(), carol.mark()];
    await bob.close();

    for (const [i, client] of [alice, carol].entries()) {
      const left = await client.waitFor(isSystem('left', 'Bob'), { from: from[i], what: 'Bob left' });
      expect(left).toMatchObject({
        type: 'system',
        systemMessage: 'Bob has left the chat',
        text: 'Bob has left the chat',
        id: expect.stringMatching(ULID),
      });
      await client.waitFor(membersAre(['alice', 'Caroline']), { from: from[i], what: 'members' });
    }
    const newcomer = await connect('newcomer');
    expect(await newcomer.setName('BOB')).toEqual({ type: 'name', name: 'BOB' });
  });

  it('tells nobody when a client without a name leaves', async () => {
    const lurker = await connect('lurker');
    await settle(stack, [alice, carol, lurker]);
    const from = alice.mark();
    const closedBefore = stack.stats().gateway.connectionsClosed;
    await lurker.close();
    await waitUntil(() => stack.stats().gateway.connectionsClosed > closedBefore);
    await settle(stack, [alice]);
    expect(alice.frames.slice(from)).toEqual([]);
  });
});

describe('every rejected request is answered to its caller only', () => {
  let caller: ChatClient;
  let unnamed: ChatClient;
  let bystanders: ChatClient[];
  const marks = new Map<ChatClient, number>();

  beforeAll(async () => {
    caller = await member('xavier');
    const yolanda = await member('yolanda');
    unnamed = await connect('unnamed');
    const watcher = await connect('watcher');
    bystanders = [yolanda, watcher];
    await settle(stack, [caller, unnamed, ...bystanders]);
    for (const client of bystanders) marks.set(client, client.mark());
  });

  const big = 'x'.repeat(9000);
  const cases: [string, string, object | string, string | undefined, string | RegExp][] = [
    ['text that is not JSON', 'INVALID_JSON', 'hello?', undefined, 'The message must be a JSON object'],
    [
      'a JSON array',
      'INVALID_JSON',
      '[{"action":"sendPublic"}]',
      undefined,
      'The message must be a JSON object',
    ],
    ['a JSON string', 'INVALID_JSON', '"setName"', undefined, 'The message must be a JSON object'],
    [
      'an object without an action',
      'UNKNOWN_ACTION',
      {},
      undefined,
      'Unknown action; valid actions are setName, sendPublic, sendPrivate',
    ],
    [
      'an action that does not exist',
      'UNKNOWN_ACTION',
      { action: 'dance' },
      'dance',
      'Unknown action; valid actions are setName, sendPublic, sendPrivate',
    ],
    [
      'a frame over 8 KiB',
      'FRAME_TOO_LARGE',
      { action: 'sendPublic', message: big },
      'sendPublic',
      'The message is larger than 8192 bytes',
    ],
    [
      'a frame over 8 KiB that is not JSON',
      'FRAME_TOO_LARGE',
      big,
      undefined,
      'The message is larger than 8192 bytes',
    ],
    ['setName without a name', 'INVALID_NAME', { action: 'setName' }, 'setName', 'The name must be a string'],
    ['a name that is a number', 'INVALID_NAME', { action: 'setName', name: 42 }, 'setName', /string/],
    ['a blank name', 'INVALID_NAME', { action: 'setName', name: '  \t ' }, 'setName', /empty/],
    [
      'a name of 33 characters',
      'INVALID_NAME',
      { action: 'setName', name: 'n'.repeat(33) },
      'setName',
      'The name must be at most 32 characters',
    ],
    ['a name with a bell', 'INVALID_NAME', { action: 'setName', name: 'ding\u0007' }, 'setName', /control/],
    [
      'a name with a line break',
      'INVALID_NAME',
      { action: 'setName', name: 'two\nlines' },
      'setName',
      /control/,
    ],
    [
      "another member's name in other case",
      'NAME_TAKEN',
      { action: 'setName', name: 'YOLANDA' },
      'setName',
      'The name "YOLANDA" is already taken',
    ],
    ['sendPublic without a message', 'INVALID_MESSAGE', { action: 'sendPublic' }, 'sendPublic', /string/],
    [
      'a message that is a number',
      'INVALID_MESSAGE',
      { action: 'sendPublic', message: 7 },
      'sendPublic',
      /string/,
    ],
    ['a blank message', 'INVALID_MESSAGE', { action: 'sendPublic', message: ' \n ' }, 'sendPublic', /empty/],
    [
      'a private message without text',
      'INVALID_MESSAGE',
      { action: 'sendPrivate', to: 'yolanda' },
      'sendPrivate',
      /string/,
    ],
    [
      'a message of 2,001 characters',
      'MESSAGE_TOO_LONG',
      { action: 'sendPublic', message: 'm'.repeat(2001) },
      'sendPublic',
      'The message is longer than 2000 characters',
    ],
    [
      'a message of 2,001 emoji (code points, not UTF-16 units)',
      'MESSAGE_TOO_LONG',
      { action: 'sendPublic', message: '😀'.repeat(2001) },
      'sendPublic',
      'The message is longer than 2000 characters',
    ],
    [
      'a private message without a recipient',
      'INVALID_RECIPIENT',
      { action: 'sendPrivate', message: 'hi' },
      'sendPrivate',
      /"to"/,
    ],
    [
      'a recipient that is not a string',
      'INVALID_RECIPIENT',
      { action: 'sendPrivate', to: 7, message: 'hi' },
      'sendPrivate',
      /"to"/,
    ],
    [
      'a private message to oneself, in other case',
      'INVALID_RECIPIENT',
      { action: 'sendPrivate', to: 'Xavier', message: 'hi' },
      'sendPrivate',
      'You cannot send a private message to yourself',
    ],
    [
      'a private message to nobody',
      'RECIPIENT_NOT_FOUND',
      { action: 'sendPrivate', to: 'nobody-here', message: 'hi' },
      'sendPrivate',
      'Nobody named "nobody-here" is connected',
    ],
  ];

  it.each(cases)('answers %s with %s', async (_what, code, frame, action, message) => {
    const error = await caller.expectError(frame);
    expect(error).toEqual({
      type: 'error',
      code,
      errorMessage: typeof message === 'string' ? message : expect.stringMatching(message),
      ...(action === undefined ? {} : { action }),
    });
  });

  it.each([
    ['sendPublic', { action: 'sendPublic', message: 'hi' }],
    ['sendPrivate', { action: 'sendPrivate', to: 'yolanda', message: 'hi' }],
  ])('answers %s from a client without a name with NAME_REQUIRED', async (action, frame) => {
    expect(await unnamed.expectError(frame)).toEqual({
      type: 'error',
      code: 'NAME_REQUIRED',
      errorMessage: 'Choose a name with setName before sending messages',
      action,
    });
  });

  it('leaves the caller with its name after its rejected setName', async () => {
    const from = caller.mark();
    caller.send({ action: 'sendPrivate', to: 'yolanda', message: 'still me' });
    const copy = await caller.waitFor(isPrivate('still me'), { from, what: "the sender's copy" });
    expect(copy).toMatchObject({ from: 'xavier', to: 'yolanda' });
  });

  it('sent nothing to anyone else: no error frame, no message, no announcement', async () => {
    await settle(stack, [caller, unnamed, ...bystanders]);
    const [yolanda, watcher] = bystanders as [ChatClient, ChatClient];
    expect(yolanda.frames.slice(marks.get(yolanda))).toEqual([
      expect.objectContaining({ type: 'private', text: 'still me' }),
    ]);
    expect(watcher.frames.slice(marks.get(watcher))).toEqual([]);
  });
});

describe('names and messages at their limits', () => {
  it('accepts a name of 32 emoji and a message of 2,000 emoji: lengths count code points', async () => {
    const name = '🦊'.repeat(32);
    const fox = await member(name);
    const from = fox.mark();
    const message = '😀'.repeat(2000);
    fox.send({ action: 'sendPublic', message });
    expect(await fox.waitFor(isPublic(message), { from, what: 'the long message' })).toMatchObject({
      from: name,
    });
  });

  it('takes the sender name from its records, not from the frame', async () => {
    const honest = await member('honest');
    const from = honest.mark();
    honest.send({ action: 'sendPublic', message: 'who am I', from: 'mallory', name: 'mallory' });
    expect(await honest.waitFor(isPublic('who am I'), { from, what: 'the message' })).toMatchObject({
      from: 'honest',
      publicMessage: 'honest: who am I',
    });
  });
});

describe('a race for one name', () => {
  it('lets exactly one of two clients that ask for the same name at the same time have it', async () => {
    const watcher = await connect('race watcher');
    for (const [first, second] of [
      ['racer1', 'racer1'],
      ['Racer2', 'rACER2'],
      ['racer3', 'RACER3'],
    ] as const) {
      const [a, b] = await Promise.all([connect(`${first} a`), connect(`${second} b`)]);
      const from = watcher.mark();
      // Act: both frames leave in the same tick, so the two setName invocations run side by side.
      const answers = await Promise.all([a.setName(first), b.setName(second)]);

      const winners = answers.filter((frame) => frame.type === 'name');
      const losers = answers.filter(isError('NAME_TAKEN'));
      expect({ winners: winners.length, losers: losers.length }).toEqual({ winners: 1, losers: 1 });
      await settle(stack, [a, b, watcher]);
      const joins = watcher.matching((f) => isSystem('joined', String(winners[0]?.name))(f), from);
      expect(joins).toHaveLength(1);
      const members = watcher.matching(isMembers, from).at(-1)?.members as string[];
      expect(members.filter((name) => name.toLowerCase() === first.toLowerCase())).toEqual([
        winners[0]?.name,
      ]);
    }
  });
});

describe('connections that vanish', () => {
  it('announces a member whose socket drops without a close frame as left', async () => {
    const observer = await member('observer1');
    const vanisher = await member('vanisher');
    await observer.waitFor((f) => isMembers(f) && (f.members as string[]).includes('vanisher'), {
      what: 'members with vanisher',
    });
    const from = observer.mark();

    // No close frame: the TCP connection just ends.
    vanisher.ws.terminate();

    const left = await observer.waitFor(isSystem('left', 'vanisher'), { from, what: 'vanisher left' });
    const members = await observer.waitFor(isMembers, {
      from: observer.frames.indexOf(left) + 1,
      what: 'members after the leave',
    });
    expect(members.members).not.toContain('vanisher');
  });

  it('prunes a stale connection whose $disconnect never ran when a broadcast meets its GoneException, and tells the others it left', async () => {
    const observer = await connect('observer2');
    const sender = await member('sender');
    await settle(stack, live());
    // Prepare: the records a connection leaves behind when API Gateway never delivers $disconnect.
    const staleId = 'StaleConnXYZ=';
    const now = Date.now();
    const expiresAt = Math.floor(now / 1000) + 2 * 60 * 60;
    await aws.document.send(
      new PutCommand({
        TableName: chatTable,
        Item: {
          pk: `CONN#${staleId}`,
          connectionId: staleId,
          shard: shardOf(staleId, shardCount),
          connectedAt: now - 60_000,
          expiresAt,
          name: 'ghost',
          nameKey: 'ghost',
        },
      }),
    );
    await aws.document.send(
      new PutCommand({
        TableName: chatTable,
        Item: {
          pk: 'NAME#ghost',
          nameKey: 'ghost',
          name: 'ghost',
          connectionId: staleId,
          claimedAt: now - 5_000,
          expiresAt,
          memberList: 'members',
        },
      }),
    );
    // Records a vanished client left behind were written long ago: wait until the (eventually
    // consistent) indexes show them, as they would by then (LOCAL_STACK_QUIRKS=gsi-lag=...).
    const indexes = new DynamoDbConnectionStore(aws.document, chatTable);
    for (let look = 0; !(await indexes.inShardIndex(staleId, shardOf(staleId, shardCount))); look++) {
      if (look >= 100) throw new Error('the ghost never showed in the ByShard index');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (let look = 0; !(await indexes.isListed('ghost')); look++) {
      if (look >= 100) throw new Error('the ghost never showed in the Members index');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The gateway itself has no such connection: the real SDK gets its GoneException.
    await expect(
      aws.management.send(new PostToConnectionCommand({ ConnectionId: staleId, Data: 'ping' })),
    ).rejects.toBeInstanceOf(GoneException);

    // The stale member still holds its name.
    expect(await sender.setName('Ghost')).toMatchObject({ code: 'NAME_TAKEN' });
    const from = observer.mark();
    stack.resetStats();

    // Act
    sender.send({ action: 'sendPublic', message: 'anyone there?' });

    // Assert: delivery to the others goes on, the ghost is announced as left, its records are gone.
    await observer.waitFor(isPublic('anyone there?'), { from, what: 'the message' });
    await observer.waitFor(isSystem('left', 'ghost'), { from, what: 'ghost left' });
    const members = await observer.waitFor(
      (f) => isMembers(f) && !(f.members as string[]).includes('ghost'),
      { from, what: 'members without ghost' },
    );
    expect(members.members).toContain('sender');
    await settle(stack, [observer, sender]);
    expect(stack.stats().gateway.postToConnection.gone).toBe(1);
    expect(observer.matching(isSystem('left', 'ghost'), from)).toHaveLength(1);
    for (const pk of [`CONN#${staleId}`, 'NAME#ghost']) {
      const { Item } = await aws.document.send(
        new GetCommand({ TableName: chatTable, Key: { pk }, ConsistentRead: true }),
      );
      expect(Item).toBeUndefined();
    }
    expect(await sender.setName('Ghost')).toEqual({ type: 'name', name: 'Ghost' });
  });
});

describe('frames beyond the size limits', () => {
  it('closes the socket with 1009 on a frame over 32 KB, and announces the member as left', async () => {
    const observer = await member('observer3');
    const bigmouth = await member('bigmouth');
    await settle(stack, live());
    const from = observer.mark();

    bigmouth.send({ action: 'sendPublic', message: 'y'.repeat(40_000) });

    expect(await bigmouth.closed).toMatchObject({ code: 1009 });
    await observer.waitFor(isSystem('left', 'bigmouth'), { from, what: 'bigmouth left' });
    await settle(stack, [observer]);
    expect(observer.matching((f) => f.type === 'public', from)).toEqual([]);
  });

  // The gateway's frame-size watcher must see a chunk before ws parses it: a whole oversize frame
  // arriving in one chunk was once routed before the socket closed.
  it('does not hand a frame over 32 KB to the integration, as API Gateway does not', async () => {
    const talker = await member('oversize');
    await settle(stack, live());
    stack.resetStats();

    talker.send({ action: 'sendPublic', message: 'v'.repeat(33_000) });

    expect(await talker.closed).toMatchObject({ code: 1009 });
    await stack.drain();
    expect(stack.stats().gateway.routeInvocations.sendPublic).toBeUndefined();
  });

  it('answers a frame between 8 KiB and 32 KB with FRAME_TOO_LARGE and keeps the socket open', async () => {
    const talker = await member('talker');
    const error = await talker.expectError({ action: 'sendPublic', message: 'z'.repeat(30_000) });
    expect(error).toMatchObject({ code: 'FRAME_TOO_LARGE', action: 'sendPublic' });

    const from = talker.mark();
    talker.send({ action: 'sendPublic', message: 'still here' });
    await talker.waitFor(isPublic('still here'), { from, what: 'the next message' });
  });

  it('measures the 8 KiB limit on the whole frame in bytes', async () => {
    const talker = await member('measurer');
    const frameOf = (bytes: number) => {
      const head = '{"action":"sendPublic","message":"';
      return `${head}${'w'.repeat(bytes - head.length - 2)}"}`;
    };
    expect(Buffer.byteLength(frameOf(8192))).toBe(8192);
    // 8,192 bytes pass the frame check and fail the message length; one byte more is too large.
    expect(await talker.expectError(frameOf(8192))).toMatchObject({ code: 'MESSAGE_TOO_LONG' });
    expect(await talker.expectError(frameOf(8193))).toMatchObject({ code: 'FRAME_TOO_LARGE' });
  });

  it('answers a message sent in fragments of 16 KB with FRAME_TOO_LARGE: the limit is on the message', async () => {
    const talker = await member('fragmenter');
    const from = talker.mark();
    const text = JSON.stringify({ action: 'sendPublic', message: 'f'.repeat(48_000) });
    const chunk = 16 * 1024;
    for (let offset = 0; offset < text.length; offset += chunk) {
      talker.ws.send(text.slice(offset, offset + chunk), { fin: offset + chunk >= text.length });
    }
    expect(await talker.waitFor((f) => f.type === 'error', { from })).toMatchObject({
      code: 'FRAME_TOO_LARGE',
    });
    expect(talker.ws.readyState).toBe(talker.ws.OPEN);
  });
});

describe('an infrastructure failure', () => {
  it('is answered with the gateway\'s "Internal server error" frame, not an error frame', async () => {
    const victim = await member('victim');
    await settle(stack, [victim]);
    const table = stack.model.tables.find((candidate) => candidate.tableName === chatTable);
    await aws.dynamoDb.send(new DeleteTableCommand({ TableName: chatTable }));
    try {
      const from = victim.mark();
      victim.send({ action: 'sendPublic', message: 'into the void' });
      const frame = await victim.waitFor(() => true, { from, what: 'an answer' });
      expect(frame).toEqual({
        message: 'Internal server error',
        connectionId: expect.any(String),
        requestId: expect.any(String),
      });
      await settle(stack, [victim]);
      expect(victim.frames.slice(from)).toHaveLength(1);
    } finally {
      // Later tests (and the $disconnects at the end) find an empty table rather than none.
      if (table) await aws.dynamoDb.send(new CreateTableCommand(table.createTableInput));
    }
  });
});
