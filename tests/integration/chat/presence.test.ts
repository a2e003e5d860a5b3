import { type ChatClient, type Frame, isMembers, isSystem, settle } from '../helpers/chat-client';
import { useChatStack } from '../helpers/chat-stack';
import { listOf, waitForList } from '../helpers/screen';

// Presence on the local stack with the full-list threshold lowered to 3 (the template parameter),
// so a handful of real clients crosses it: full members frames up to 3 members, deltas above
// (through PresenceQueue and its event source mapping: each change here is alone in its window).
jest.setTimeout(120_000);

const THRESHOLD = 3;
const chat = useChatStack({ parameterOverrides: { PresenceFullListMax: String(THRESHOLD) } });

const connect = (label: string) => chat.connect(label);

const live = () => chat.open.filter((client) => client.ws.readyState === client.ws.OPEN);

const isPresence = (frame: Frame) => frame.type === 'presence';
const sorted = (names: Iterable<string>) => [...names].sort();

describe('presence with a full-list threshold of 3', () => {
  const members = new Map<string, ChatClient>();
  let lurker: ChatClient;

  beforeAll(async () => {
    lurker = await connect('lurker');
  });

  it('six clients join one by one: full lists up to 3, then deltas to the others and the full list to the joiner', async () => {
    for (const name of ['ann', 'ben', 'cat', 'dan', 'eve', 'fay']) {
      const client = await connect(name);
      const marks = new Map<ChatClient, number>(
        [...members.values(), lurker].map((other) => [other, other.mark()]),
      );
      expect(await client.setName(name)).toEqual({ type: 'name', name });
      members.set(name, client);
      await Promise.all(live().map((other) => waitForList(other, members.keys())));
      await settle(chat.stack, live());

      const everyone = sorted(members.keys());
      // The joiner always receives the full list, including itself.
      expect(client.matching(isMembers).at(-1)).toEqual({ type: 'members', members: everyone });
      for (const otherClient of [...members.values(), lurker]) {
        if (otherClient === client) continue;
        const since = marks.get(otherClient) ?? 0;
        if (members.size <= THRESHOLD) {
          // The seed frames: the system line and the full list.
          expect(otherClient.matching(isSystem('joined', name), since)).toHaveLength(1);
          expect(otherClient.matching(isMembers, since).at(-1)).toEqual({
            type: 'members',
            members: everyone,
          });
        } else {
          // A large room: one delta, no system line and no full list.
          expect(otherClient.frames.slice(since)).toEqual([
            { type: 'presence', joined: [name], left: [], renamed: [] },
          ]);
        }
      }
    }
    for (const client of [...members.values(), lurker])
      expect(listOf(client.frames)).toEqual(sorted(members.keys()));
  });

  it('a rename above the threshold is one delta that every list applies', async () => {
    const ann = members.get('ann') as ChatClient;
    const marks = new Map([...live()].map((client) => [client, client.mark()]));

    expect(await ann.setName('anna')).toEqual({ type: 'name', name: 'anna' });
    members.delete('ann');
    members.set('anna', ann);
    await Promise.all(live().map((client) => waitForList(client, members.keys())));
    await settle(chat.stack, live());

    for (const client of live()) {
      expect(client.frames.slice(marks.get(client))).toEqual(
        [
          { type: 'name', name: 'anna' },
          { type: 'presence', joined: [], left: [], renamed: [{ previousName: 'ann', name: 'anna' }] },
        ].filter((frame) => client === ann || frame.type !== 'name'),
      );
      expect(listOf(client.frames)).toEqual(sorted(members.keys()));
    }
  });

  it('leaves are deltas above the threshold, and full lists with a system line again at or below it', async () => {
    for (const name of ['fay', 'eve', 'dan']) {
      const leaving = members.get(name) as ChatClient;
      members.delete(name);
      const marks = new Map(live().map((client) => [client, client.mark()]));
      await leaving.close();
      await Promise.all(live().map((client) => waitForList(client, members.keys())));
      await settle(chat.stack, live());

      for (const client of live()) {
        const since = marks.get(client);
        if (members.size > THRESHOLD) {
          expect(client.frames.slice(since)).toEqual([
            { type: 'presence', joined: [], left: [name], renamed: [] },
          ]);
        } else {
          expect(client.matching(isSystem('left', name), since)).toHaveLength(1);
          expect(client.matching(isPresence, since)).toEqual([]);
        }
        expect(listOf(client.frames)).toEqual(sorted(members.keys()));
      }
    }
  });
});
