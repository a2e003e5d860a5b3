import { type ChatClient, settle } from '../helpers/chat-client';
import { useChatStack } from '../helpers/chat-stack';
import { listOf, timesShown } from '../helpers/screen';

// The chat on a local stack whose global secondary indexes lag as AWS's may (eventually
// consistent): the recipients (ByShard) and the members list (Members) are read from indexes.
jest.setTimeout(120_000);

// Longer than a join takes here, so every join and message below meets indexes that have not
// caught up yet. On AWS the lag is usually well under a second; a slow replication is longer.
const LAG_MS = 1_500;
const chat = useChatStack({ quirks: { gsiLagMs: LAG_MS } });

const sorted = (names: Iterable<string>) => [...names].sort();

describe('the chat with lagging global secondary indexes', () => {
  it('members who join one by one and speak at once see exact lists and every later message once', async () => {
    const names = ['ann', 'bob', 'cat'];
    const clients: ChatClient[] = [];
    for (const name of names) {
      const client = await chat.member(name);
      clients.push(client);
      // As soon as it has its name: its own connection is younger than the lag.
      client.send({ action: 'sendPublic', message: `hello from ${name}` });
    }
    await settle(chat.stack, clients);

    clients.forEach((client, i) => {
      expect(listOf(client.frames)).toEqual(sorted(names));
      names.forEach((name, j) => {
        // A message sent after this client had its name is shown once; one sent before may be
        // shown (its broadcast can come after the join) but never twice.
        const shown = timesShown(client.frames, `hello from ${name}`);
        if (j >= i)
          expect({ client: names[i], message: name, shown }).toEqual({
            client: names[i],
            message: name,
            shown: 1,
          });
        else expect(shown).toBeLessThanOrEqual(1);
      });
    });

    // One leaves and one renames, within the lag of each other.
    const leaving = clients[1] as ChatClient;
    await leaving.close();
    expect(await (clients[2] as ChatClient).setName('cathy')).toEqual({ type: 'name', name: 'cathy' });
    (clients[0] as ChatClient).send({ action: 'sendPublic', message: 'still here' });
    const stayed = clients.filter((client) => client !== leaving);
    await settle(chat.stack, stayed);
    for (const client of stayed) {
      expect(listOf(client.frames)).toEqual(['ann', 'cathy']);
      expect(timesShown(client.frames, 'still here')).toBe(1);
    }
  });
});
