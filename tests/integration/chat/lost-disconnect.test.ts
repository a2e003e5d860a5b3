import { type LocalStack, startLocalStack } from '../../../local/stack';
import { CONNECT_WINDOW_MS } from '../../../src/chat/chat-service';
import { ChatClient, settle } from '../helpers/chat-client';
import { listOf, timesShown } from '../helpers/screen';

// The chat on a local stack where API Gateway never runs $disconnect for a dropped socket (its
// delivery is best effort on AWS). What users see: the ghost stays in the members list until a
// broadcast meets its GoneException (only once its record is older than the connect window), then
// everyone is told it left.
jest.setTimeout(120_000);

let stack: LocalStack;
const open: ChatClient[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    templatePath: 'template.yaml',
    port: 0,
    asyncRetryDelaysMs: [200, 400],
    ttlSweepIntervalMs: 0,
    quirks: { lostDisconnectShare: 1 },
  });
});

afterAll(async () => {
  await stack?.stop();
  for (const client of open) client.ws.terminate();
});

async function member(name: string): Promise<ChatClient> {
  const client = await ChatClient.connect(stack.webSocketUrl(), name);
  open.push(client);
  expect(await client.setName(name)).toEqual({ type: 'name', name });
  return client;
}

describe('the chat when $disconnect is lost', () => {
  it('keeps a ghost listed until the next broadcast meets its GoneException, then announces it left once', async () => {
    const ghost = await member('ghost');
    const ghostConnectedAt = Date.now();
    const ann = await member('ann');
    const bob = await member('bob');
    ann.send({ action: 'sendPublic', message: 'hi bob' });
    await settle(stack, [ghost, ann, bob]);
    for (const client of [ghost, ann, bob]) {
      expect(listOf(client.frames)).toEqual(['ann', 'bob', 'ghost']);
      expect(timesShown(client.frames, 'hi bob')).toBe(1);
    }

    // Only a connection recorded more than the connect window ago is pruned on a 410 (a younger
    // one may still be inside its $connect): let the ghost's record age past it.
    await new Promise((resolve) =>
      setTimeout(resolve, ghostConnectedAt + CONNECT_WINDOW_MS + 1_000 - Date.now()),
    );
    await ghost.close();
    await settle(stack, [ann, bob]);
    expect(stack.stats().gateway.disconnectsLost).toBe(1);
    // No $disconnect ran: nobody was told, and the ghost is still listed.
    for (const client of [ann, bob]) expect(listOf(client.frames)).toEqual(['ann', 'bob', 'ghost']);

    bob.send({ action: 'sendPublic', message: 'anyone there?' });
    await settle(stack, [ann, bob]);
    for (const client of [ann, bob]) {
      expect(timesShown(client.frames, 'anyone there?')).toBe(1);
      expect(timesShown(client.frames, 'ghost has left the chat')).toBe(1);
      expect(listOf(client.frames)).toEqual(['ann', 'bob']);
    }
  });
});
