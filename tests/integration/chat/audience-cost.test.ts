import { type LocalStack, startLocalStack } from '../../../local/stack';
import { ChatClient, connectMany, isPublic, settle } from '../helpers/chat-client';

// What one public message costs on the real template: Lambda invocations and DynamoDB calls, from
// the local stack's own counters (docs/architecture.md, "Fan-out and sharding").
jest.setTimeout(120_000);

const invocationsOf = (stack: LocalStack) =>
  Object.fromEntries(Object.entries(stack.stats().functions).map(([name, fn]) => [name, fn.invocations]));

describe('a message to a small room', () => {
  let stack: LocalStack;
  let members: ChatClient[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ templatePath: 'template.yaml', port: 0, ttlSweepIntervalMs: 0 });
    members = await Promise.all(
      ['ann', 'ben', 'cat'].map((name) => ChatClient.connect(stack.webSocketUrl(), name)),
    );
    for (const [index, client] of members.entries()) await client.setName(['ann', 'ben', 'cat'][index]);
    // Warm both functions, so the count below is of one message only.
    members[0]?.send({ action: 'sendPublic', message: 'warm-up' });
    await Promise.all(members.map((client) => client.waitFor(isPublic('warm-up'))));
    await settle(stack, members);
  });

  afterAll(async () => {
    await stack?.stop();
    for (const client of members) client.ws.terminate();
  });

  it('costs 2 Lambda invocations and 5 DynamoDB calls in all', async () => {
    stack.resetStats();

    members[0]?.send({ action: 'sendPublic', message: 'counted' });
    await Promise.all(members.map((client) => client.waitFor(isPublic('counted'))));
    // Not settle(): its pings are chat-api invocations too.
    await stack.drain();

    const stats = stack.stats();
    expect(invocationsOf(stack)).toEqual({ ChatApiFunction: 1, BroadcasterFunction: 1 });
    expect(stats.eventBridge.entries).toBe(1);
    // chat-api: GetItem (the sender), UpdateItem (its rate-limit token). The broadcaster: PutItem
    // (idempotency record, in progress), Query (ByShard: the whole room), UpdateItem (record completed).
    expect(stats.dynamodb.requests).toBe(5);
    expect(stats.aws.dynamodb).toEqual({ GetItem: 1, UpdateItem: 2, PutItem: 1, Query: 1 });
    expect(stats.gateway.postToConnection).toMatchObject({ ok: 3, gone: 0 });
  });

  it('reaches a member who joined just before the message was sent', async () => {
    const late = await ChatClient.connect(stack.webSocketUrl(), 'dan');
    members.push(late);
    expect(await late.setName('dan')).toEqual({ type: 'name', name: 'dan' });

    members[1]?.send({ action: 'sendPublic', message: 'welcome, dan' });

    await Promise.all(members.map((client) => client.waitFor(isPublic('welcome, dan'))));
    await settle(stack, members);
    expect(members.map((client) => client.matching(isPublic('welcome, dan')).length)).toEqual([1, 1, 1, 1]);
  });
});

describe('a message to a room larger than RecipientsPerDelivery', () => {
  const PER_DELIVERY = 10;
  const ROOM = 41;
  let stack: LocalStack;
  let clients: ChatClient[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({
      templatePath: 'template.yaml',
      port: 0,
      ttlSweepIntervalMs: 0,
      parameterOverrides: { RecipientsPerDelivery: String(PER_DELIVERY) },
    });
    clients = await connectMany(stack.webSocketUrl(), ROOM, 20);
    expect(await clients[0]?.setName('speaker')).toEqual({ type: 'name', name: 'speaker' });
    await settle(stack, clients);
  });

  afterAll(async () => {
    await stack?.stop();
    for (const client of clients) client.ws.terminate();
  });

  it('is split over parallel deliveries, as many as its size calls for, each connection once', async () => {
    stack.resetStats();

    clients[0]?.send({ action: 'sendPublic', message: 'to the many' });
    await Promise.all(clients.map((client) => client.waitFor(isPublic('to the many'))));
    await stack.drain();

    const parts = Math.ceil(ROOM / PER_DELIVERY);
    // The room event (which publishes the parts) and one invocation per part.
    expect(invocationsOf(stack)).toEqual({ ChatApiFunction: 1, BroadcasterFunction: 1 + parts });
    expect(stack.stats().eventBridge.entries).toBe(1 + parts);
    await settle(stack, clients);
    expect(clients.filter((client) => client.matching(isPublic('to the many')).length !== 1)).toEqual([]);
  });
});
