import { type LocalStack, startLocalStack } from '../../../local/stack';
import { ChatClient, connectMany, isPublic, isSystem, settle } from '../helpers/chat-client';

// Hundreds of handshakes, each a $connect invocation, on a busy 2-core box.
jest.setTimeout(120_000);

const AUDIENCE = 300;

let stack: LocalStack;
let audience: ChatClient[] = [];
let sender: ChatClient;

beforeAll(async () => {
  stack = await startLocalStack({
    templatePath: 'template.yaml',
    port: 0,
    ttlSweepIntervalMs: 0,
    // Not about Lambda's retry timing: a broadcaster this loaded box failed is retried within seconds
    // (the stack's default is AWS's 1 and 2 minutes, which would only make the test wait).
    asyncRetryDelaysMs: [1000, 2000],
  });
  sender = await ChatClient.connect(stack.webSocketUrl(), 'sender');
  audience = await connectMany(stack.webSocketUrl(), AUDIENCE, 20);
});

afterAll(async () => {
  // Stopping closes every socket without running 300 $disconnects.
  await stack?.stop();
  for (const client of [sender, ...audience]) client?.ws.terminate();
});

describe('a broadcast to hundreds of clients', () => {
  it('announces a join to every connection once', async () => {
    expect(await sender.setName('announcer')).toEqual({ type: 'name', name: 'announcer' });

    const everyone = [sender, ...audience];
    await Promise.all(everyone.map((client) => client.waitFor(isSystem('joined', 'announcer'))));
    await settle(stack, everyone);
    const counts = everyone.map((client) => client.matching(isSystem('joined', 'announcer')).length);
    expect(counts.filter((count) => count !== 1)).toEqual([]);
  });

  it('delivers a public message to every connection exactly once, in one delivery', async () => {
    const everyone = [sender, ...audience];
    stack.resetStats();

    sender.send({ action: 'sendPublic', message: 'hello, all of you' });

    const received = await Promise.all(
      everyone.map((client) => client.waitFor(isPublic('hello, all of you'))),
    );
    expect(new Set(received.map((frame) => frame.id)).size).toBe(1);
    await settle(stack, everyone);
    const counts = everyone.map((client) => client.matching(isPublic('hello, all of you')).length);
    expect(counts.filter((count) => count !== 1)).toEqual([]);

    const stats = stack.stats();
    expect(stats.gateway.postToConnection).toMatchObject({ ok: AUDIENCE + 1, gone: 0 });
    // One event for the room; 301 connections are under RecipientsPerDelivery, so one invocation.
    expect(stats.eventBridge.entries).toBe(1);
    expect(stats.functions.BroadcasterFunction?.invocations).toBe(1);
  });
});
