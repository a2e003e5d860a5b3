import { type ChatClient, type Frame, settle } from '../helpers/chat-client';
import { useChatStack } from '../helpers/chat-stack';
import { listOf, timesShown } from '../helpers/screen';

// The chat on a local stack whose EventBridge delivers a share of events twice (at least once) and
// in no particular order (each delivery waits a random jitter), as AWS may.
jest.setTimeout(120_000);

const chat = useChatStack({ quirks: { eventDuplicateShare: 0.5, eventJitterMs: 300 } });

/** Frames of a message (public or private) with this text, as they arrived: 1 is exactly once. */
const framesWithText = (frames: readonly Frame[], text: string) =>
  frames.filter((f) => f.text === text).length;

describe('the chat with at-least-once, unordered EventBridge deliveries', () => {
  it('shows exact members lists and every message exactly once', async () => {
    const names = ['ann', 'bob', 'cat'];
    const clients: ChatClient[] = [];
    for (const name of names) {
      const client = await chat.member(name);
      clients.push(client);
    }
    await settle(chat.stack, clients);
    const texts: string[] = [];
    clients.forEach((client, i) => {
      for (let n = 1; n <= 3; n++) {
        const text = `${names[i]} says ${n}`;
        texts.push(text);
        client.send({ action: 'sendPublic', message: text });
      }
    });
    (clients[0] as ChatClient).send({ action: 'sendPrivate', to: 'cat', message: 'psst cat' });
    await settle(chat.stack, clients);

    expect(chat.stack.stats().eventBridge.duplicated).toBeGreaterThan(0);
    for (const client of clients) {
      expect(listOf(client.frames)).toEqual(names);
      for (const text of texts) {
        // On screen (deduplicated by id) and on the wire: the broadcaster is idempotent.
        expect({ text, shown: timesShown(client.frames, text) }).toEqual({ text, shown: 1 });
        expect({ text, frames: framesWithText(client.frames, text) }).toEqual({ text, frames: 1 });
      }
      for (const name of names)
        expect(framesWithText(client.frames, `${name} has joined the chat`)).toBeLessThanOrEqual(1);
    }
    expect(timesShown((clients[2] as ChatClient).frames, 'psst cat')).toBe(1);
    expect(timesShown((clients[1] as ChatClient).frames, 'psst cat')).toBe(0);

    const [ann, bob, cat] = clients as [ChatClient, ChatClient, ChatClient];
    await cat.close();
    expect(await bob.setName('bobby')).toEqual({ type: 'name', name: 'bobby' });
    await settle(chat.stack, [ann, bob]);
    for (const client of [ann, bob]) {
      expect(listOf(client.frames)).toEqual(['ann', 'bobby']);
      expect(framesWithText(client.frames, 'cat has left the chat')).toBe(1);
    }
  });
});
