import { CONNECT_WINDOW_MS } from '../../../src/chat/chat-service';
import { settle } from '../helpers/chat-client';
import { useChatStack } from '../helpers/chat-stack';
import { listOf, timesShown } from '../helpers/screen';

// The chat on a local stack where API Gateway never runs $disconnect for a dropped socket (its
// delivery is best effort on AWS). What users see: the ghost stays in the members list until a
// broadcast meets its GoneException (only once its record is older than the connect window), then
// everyone is told it left.
jest.setTimeout(120_000);

const chat = useChatStack({ quirks: { lostDisconnectShare: 1 } });

const member = (name: string) => chat.member(name);

describe('the chat when $disconnect is lost', () => {
  it('keeps a ghost listed until the next broadcast meets its GoneException, then announces it left once', async () => {
    const ghost = await member('ghost');
    const ghostConnectedAt = Date.now();
    const ann = await member('ann');
    const bob = await member('bob');
    ann.send({ action: 'sendPublic', message: 'hi bob' });
    await settle(chat.stack, [ghost, ann, bob]);
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
    await settle(chat.stack, [ann, bob]);
    expect(chat.stack.stats().gateway.disconnectsLost).toBe(1);
    // No $disconnect ran: nobody was told, and the ghost is still listed.
    for (const client of [ann, bob]) expect(listOf(client.frames)).toEqual(['ann', 'bob', 'ghost']);

    bob.send({ action: 'sendPublic', message: 'anyone there?' });
    await settle(chat.stack, [ann, bob]);
    for (const client of [ann, bob]) {
      expect(timesShown(client.frames, 'anyone there?')).toBe(1);
      expect(timesShown(client.frames, 'ghost has left the chat')).toBe(1);
      expect(listOf(client.frames)).toEqual(['ann', 'bob']);
    }
  });
});
