import type { PresenceChange } from '../../../../src/chat/chat-events';
import { type PresenceFrame, presenceFrame, presencePages, utf8Length } from '../../../../src/chat/frames';
import { applyPresenceFrame, coalescePresence, reconcilePresence } from '../../../../src/chat/presence';
import { nameKeyOf, sortMembers } from '../../../../src/chat/rules';
import { MemberList } from '../../../../web/src/member-list';

const joined = (connectionId: string, name: string): PresenceChange => ({
  event: 'joined',
  name,
  connectionId,
});
const left = (connectionId: string, name: string): PresenceChange => ({ event: 'left', name, connectionId });
const renamed = (connectionId: string, previousName: string, name: string): PresenceChange => ({
  event: 'renamed',
  previousName,
  name,
  connectionId,
});

/** What the web client shows after a full list and then the frames, in order. */
const clientList = (initial: string[], frames: PresenceFrame[]): string[] => {
  const list = new MemberList();
  list.receiveMembers({ type: 'members', members: sortMembers(initial) });
  for (const frame of frames) list.receivePresence(frame);
  return [...list.members].sort();
};

const sorted = (names: Iterable<string>) => [...names].sort();

describe('coalescePresence: one frame for a window of changes', () => {
  it('nets a join followed by a leave to nothing', () => {
    expect(coalescePresence([joined('a=', 'ann'), left('a=', 'ann')])).toEqual(presenceFrame({}));
  });

  it('nets a rename chain A→B→C to A→C', () => {
    expect(coalescePresence([renamed('a=', 'ann', 'bea'), renamed('a=', 'bea', 'cyd')])).toEqual(
      presenceFrame({ renamed: [{ previousName: 'ann', name: 'cyd' }] }),
    );
  });

  it('nets a join then a rename to the join of the new name', () => {
    expect(coalescePresence([joined('a=', 'ann'), renamed('a=', 'ann', 'bea')])).toEqual(
      presenceFrame({ joined: ['bea'] }),
    );
  });

  it('nets a rename then a leave to the leave of the old name', () => {
    expect(coalescePresence([renamed('a=', 'ann', 'bea'), left('a=', 'bea')])).toEqual(
      presenceFrame({ left: ['ann'] }),
    );
  });

  it('nets a rename and its way back (A→B→A) to nothing', () => {
    expect(coalescePresence([renamed('a=', 'ann', 'bea'), renamed('a=', 'bea', 'ann')])).toEqual(
      presenceFrame({}),
    );
  });

  it("keeps one connection's leave and another's join of the same name, which clients apply leave first", () => {
    const frame = coalescePresence([left('a=', 'ann'), joined('b=', 'ann')]);
    expect(frame).toEqual(presenceFrame({ left: ['ann'], joined: ['ann'] }));
    expect(clientList(['ann', 'zed'], [frame])).toEqual(['ann', 'zed']);
  });

  it('changes nothing when SQS delivers a change twice', () => {
    const once = [joined('a=', 'ann'), renamed('b=', 'bob', 'rob'), left('c=', 'cyd')];
    const twice = [once[0], once[0], once[1], once[1], once[2], once[2]] as PresenceChange[];
    expect(coalescePresence(twice)).toEqual(coalescePresence(once));
  });

  it('keeps a case change as a rename', () => {
    expect(coalescePresence([renamed('a=', 'alice', 'Alice')])).toEqual(
      presenceFrame({ renamed: [{ previousName: 'alice', name: 'Alice' }] }),
    );
  });

  it('sends a rename that takes a name another rename freed as a leave and a join, so order cannot lose it', () => {
    // x= frees "xav" for z=. Applied in the other order, the second rename would remove z='s new name.
    const frame = coalescePresence([renamed('x=', 'xav', 'yan'), renamed('z=', 'zoe', 'xav')]);
    expect(frame.renamed).toEqual([]);
    expect(sorted(frame.left)).toEqual(['xav', 'zoe']);
    expect(sorted(frame.joined)).toEqual(['xav', 'yan']);
    expect(clientList(['xav', 'zoe'], [frame])).toEqual(['xav', 'yan']);
  });

  it('sends two members who swapped names over the window as leaves and joins', () => {
    const frame = coalescePresence([
      renamed('a=', 'ann', 'tmp'),
      renamed('b=', 'bob', 'ann'),
      renamed('a=', 'tmp', 'bob'),
    ]);
    expect(frame.renamed).toEqual([]);
    expect(clientList(['ann', 'bob'], [frame])).toEqual(['ann', 'bob']);
  });

  it('sends a rename to a look-alike of a freed name as a leave and a join too (names are unique by key)', () => {
    expect(nameKeyOf('Xav')).toBe(nameKeyOf('xav'));
    const frame = coalescePresence([renamed('x=', 'xav', 'yan'), renamed('z=', 'zoe', 'Xav')]);
    expect(frame.renamed).toEqual([]);
    expect(clientList(['xav', 'zoe'], [frame])).toEqual(['Xav', 'yan']);
  });

  it('gives the list the changes made, for any run of joins, renames and leaves (seeded random runs)', () => {
    // mulberry32: a small seeded generator, so a failing run can be replayed.
    let seed = 42;
    const random = (below: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * below);
    };
    const pool = ['ann', 'bob', 'cyd', 'dee', 'eve', 'fay'];
    for (let run = 0; run < 2_000; run++) {
      // The room before the window: some connections with names.
      const holders = new Map<string, string>();
      for (const name of pool.slice(0, random(5))) holders.set(`${name}=`, name);
      const initial = [...holders.values()];
      const changes: PresenceChange[] = [];
      let nextConnection = 0;
      for (let step = random(16); step > 0; step--) {
        const taken = new Set(holders.values());
        const free = pool.filter((name) => !taken.has(name));
        const connections = [...holders.keys()];
        const kind = random(3);
        if (kind === 0 && free.length > 0) {
          const connectionId = `new-${nextConnection++}=`;
          const name = free[random(free.length)] as string;
          holders.set(connectionId, name);
          changes.push(joined(connectionId, name));
        } else if (kind === 1 && connections.length > 0 && free.length > 0) {
          const connectionId = connections[random(connections.length)] as string;
          const name = free[random(free.length)] as string;
          changes.push(renamed(connectionId, holders.get(connectionId) as string, name));
          holders.set(connectionId, name);
        } else if (connections.length > 0) {
          const connectionId = connections[random(connections.length)] as string;
          changes.push(left(connectionId, holders.get(connectionId) as string));
          holders.delete(connectionId);
        }
      }
      const frame = coalescePresence(changes);
      const expected = sorted(holders.values());
      expect({ run, changes, list: sorted(applyPresenceFrame(initial, frame)) }).toEqual({
        run,
        changes,
        list: expected,
      });
      expect({ run, changes, client: clientList(initial, [frame]) }).toEqual({
        run,
        changes,
        client: expected,
      });
      // At most one entry per connection that changed.
      const mentioned = frame.joined.length + frame.left.length + frame.renamed.length;
      expect(mentioned).toBeLessThanOrEqual(2 * new Set(changes.map((c) => c.connectionId)).size);
    }
  });
});

describe('presencePages: a large coalesced frame in frames a gateway accepts', () => {
  const names = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);

  it('returns a frame that fits as it is', () => {
    const frame = presenceFrame({ joined: ['ann'], left: ['bob'] });
    expect(presencePages(frame)).toEqual([frame]);
  });

  it('splits many changes into frames of at most the budget that give the same list, in order', () => {
    // 10,000 changes at the real 16 KiB budget is this shape at scale; a small budget keeps it quick.
    const frame = presenceFrame({
      left: names('gone', 90),
      renamed: names('old', 60).map((previousName, i) => ({ previousName, name: `new-${i}` })),
      joined: names('join', 150),
    });
    const budget = 1024;
    const pages = presencePages(frame, budget);
    expect(pages.length).toBeGreaterThan(5);
    for (const page of pages) expect(utf8Length(JSON.stringify(page))).toBeLessThanOrEqual(budget);
    expect(pages.flatMap((page) => page.left)).toEqual(frame.left);
    expect(pages.flatMap((page) => page.renamed)).toEqual(frame.renamed);
    expect(pages.flatMap((page) => page.joined)).toEqual(frame.joined);
    const initial = [...names('gone', 90), ...names('old', 60), 'stays'];
    expect(clientList(initial, pages)).toEqual(sorted(applyPresenceFrame(initial, frame)));
  });
});

describe('reconcilePresence: a frame restated as the claims are now', () => {
  const heldNow = (...names: string[]) => new Map(names.map((name) => [nameKeyOf(name), name]));
  const touched = (...names: string[]) => new Map(names.map((name) => [nameKeyOf(name), undefined]));

  it('keeps a frame that agrees with the claims', () => {
    const frame = presenceFrame({
      joined: ['eve'],
      left: ['dan'],
      renamed: [{ previousName: 'ann', name: 'anna' }],
    });
    const held = new Map([...touched('dan', 'ann'), ...heldNow('eve', 'anna')]);
    expect(reconcilePresence(frame, held)).toEqual(frame);
  });

  it('turns a join of a name nobody holds any more into its leave', () => {
    expect(reconcilePresence(presenceFrame({ joined: ['eve'] }), touched('eve'))).toEqual(
      presenceFrame({ left: ['eve'] }),
    );
  });

  it('turns a leave of a name someone holds again into its join', () => {
    expect(reconcilePresence(presenceFrame({ left: ['eve'] }), heldNow('eve'))).toEqual(
      presenceFrame({ joined: ['eve'] }),
    );
  });

  it('sends a rename whose old name was taken again as the join of the new one, keeping the old', () => {
    const frame = presenceFrame({ renamed: [{ previousName: 'ann', name: 'anna' }] });
    expect(reconcilePresence(frame, heldNow('ann', 'anna'))).toEqual(
      presenceFrame({ joined: ['ann', 'anna'] }),
    );
    expect(reconcilePresence(frame, touched('ann', 'anna'))).toEqual(
      presenceFrame({ left: ['ann', 'anna'] }),
    );
  });

  it('treats a name held by a look-alike as not held (that holder comes with its own change)', () => {
    expect(reconcilePresence(presenceFrame({ joined: ['eve'] }), heldNow('Eve'))).toEqual(
      presenceFrame({ left: ['eve'] }),
    );
  });
});
