import type { ChatClient, Frame } from '../helpers/chat-client';
import { useChatStack } from '../helpers/chat-stack';
import { listOf, waitForList } from '../helpers/screen';

// Presence coalescing on the local stack: real clients, the broadcaster queuing a large room's
// changes to PresenceQueue, and the local SQS event source mapping (AWS's SQS event, batching
// window included) handing it batches. The full-list threshold is lowered to 3, so 5 clients are
// a large room, and the window is widened to 5 s so that changes made together share a batch on a
// loaded machine (the default is 1 s). Nothing here asserts on time: only on frames and lists.
jest.setTimeout(120_000);

const THRESHOLD = 3;
const chat = useChatStack({
  parameterOverrides: { PresenceFullListMax: String(THRESHOLD), PresenceBatchingWindowSeconds: '5' },
});

const sorted = (names: Iterable<string>) => [...names].sort();
const isPresence = (frame: Frame) => frame.type === 'presence';
describe('presence in a room above PresenceFullListMax, coalesced over the batching window', () => {
  const members = new Map<string, ChatClient>();
  let lurker: ChatClient;
  const everyone = () => [...members.values(), lurker];

  beforeAll(async () => {
    lurker = await chat.connect('lurker');
    // One by one: three joins of a small room (full lists), then a fourth that makes it large.
    for (const name of ['ann', 'ben', 'cat', 'dan']) {
      members.set(name, await chat.member(name));
      await Promise.all(everyone().map((client) => waitForList(client, members.keys())));
    }
  });

  it('sends several joins of one window to the others as ONE presence frame, and the joiners the full list', async () => {
    const joiners = await Promise.all(['eve', 'fay', 'gus'].map((name) => chat.connect(name)));
    const others = everyone();
    const marks = new Map(others.map((client) => [client, client.mark()]));

    const acks = await Promise.all(joiners.map((client, i) => client.setName(['eve', 'fay', 'gus'][i])));
    expect(acks.map((ack) => ack.name)).toEqual(['eve', 'fay', 'gus']);
    for (const [i, client] of joiners.entries()) members.set(['eve', 'fay', 'gus'][i] as string, client);
    await Promise.all(everyone().map((client) => waitForList(client, members.keys())));

    for (const client of others) {
      const since = client.frames.slice(marks.get(client));
      // No system line and no full list in a large room: one frame with the three joins.
      expect(since.map((frame) => frame.type)).toEqual(['presence']);
      expect(
        since.filter(isPresence).map((frame) => ({ ...frame, joined: sorted(frame.joined as string[]) })),
      ).toEqual([{ type: 'presence', joined: ['eve', 'fay', 'gus'], left: [], renamed: [] }]);
    }
    for (const client of joiners) {
      // The full list, which holds every join of the batch (its own included).
      expect(client.frames.filter((frame) => frame.type === 'members').at(-1)).toEqual({
        type: 'members',
        members: sorted(members.keys()),
      });
    }
  });

  it('nets the changes of a window: a rename chain is one rename, sent with a leave in the same frame', async () => {
    const ann = members.get('ann') as ChatClient;
    const gus = members.get('gus') as ChatClient;
    members.delete('gus');
    const staying = everyone().filter((client) => client !== gus);
    const marks = new Map(staying.map((client) => [client, client.mark()]));

    expect(await ann.setName('anna')).toEqual({ type: 'name', name: 'anna' });
    expect(await ann.setName('annie')).toEqual({ type: 'name', name: 'annie' });
    await gus.close();
    members.delete('ann');
    members.set('annie', ann);
    await Promise.all(staying.map((client) => waitForList(client, members.keys())));

    for (const client of staying) {
      const presence = client.frames.slice(marks.get(client)).filter(isPresence);
      expect(presence).toEqual([
        { type: 'presence', joined: [], left: ['gus'], renamed: [{ previousName: 'ann', name: 'annie' }] },
      ]);
    }
  });

  it("leaves every client's list exactly the set of named connections", async () => {
    for (const client of everyone()) expect(listOf(client.frames)).toEqual(sorted(members.keys()));
  });
});
