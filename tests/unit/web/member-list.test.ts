import { sortMembers } from '../../../src/chat/rules';
import { type MemberChange, MemberList, RECENT_DELTAS } from '../../../web/src/member-list';
import type { MembersFrame, PresenceFrame } from '../../../web/src/protocol';
import { parseServerFrame } from '../../../web/src/protocol';

const presence = (change: Partial<Omit<PresenceFrame, 'type'>>): PresenceFrame => ({
  type: 'presence',
  joined: [],
  left: [],
  renamed: [],
  ...change,
});
const page = (members: string[], number: number, pages: number): MembersFrame => ({
  type: 'members',
  members,
  page: number,
  pages,
});

/** Replays changes on a copy of the list, as the page does on its rows. */
const replay = (before: readonly string[], changes: readonly MemberChange[]): string[] => {
  const rows = [...before];
  for (const change of changes) {
    if (change.kind === 'remove') rows.splice(change.index, 1);
    else rows.splice(change.index, 0, change.name);
  }
  return rows;
};

describe('MemberList', () => {
  it('replaces the list with a full members frame', () => {
    const list = new MemberList();
    expect(list.receiveMembers({ type: 'members', members: ['alice', 'bob'] })).toEqual({
      kind: 'replaced',
      members: ['alice', 'bob'],
    });
    expect(list.members).toEqual(['alice', 'bob']);
  });

  it('shows a paged list only once its last page is in, and drops pages out of order', () => {
    const list = new MemberList();
    list.receiveMembers({ type: 'members', members: ['zed'] });

    expect(list.receiveMembers(page(['alice'], 1, 3))).toBeUndefined();
    expect(list.receiveMembers(page(['bob'], 2, 3))).toBeUndefined();
    expect(list.members).toEqual(['zed']);
    expect(list.receiveMembers(page(['carol'], 3, 3))).toEqual({
      kind: 'replaced',
      members: ['alice', 'bob', 'carol'],
    });

    expect(list.receiveMembers(page(['dave'], 2, 2))).toBeUndefined();
    expect(list.members).toEqual(['alice', 'bob', 'carol']);
  });

  it('applies deltas that arrive between the pages of a list on top of it', () => {
    const list = new MemberList();
    list.receiveMembers(page(['alice', 'bob'], 1, 2));
    list.receivePresence(presence({ joined: ['erin'], left: ['bob'] }));

    list.receiveMembers(page(['carol', 'dave'], 2, 2));

    expect(list.members).toEqual(['alice', 'carol', 'dave', 'erin']);
  });

  it('re-applies deltas received since the last list to a list that missed them (index lag)', () => {
    const list = new MemberList();
    list.receiveMembers({ type: 'members', members: ['alice'] });
    // bob's join reaches this client before its own list, which was read before bob was indexed.
    list.receivePresence(presence({ joined: ['bob'] }));
    list.receivePresence(presence({ left: ['alice'] }));

    list.receiveMembers(page(['alice', 'carol'], 1, 2));
    list.receiveMembers(page(['me'], 2, 2));

    expect(list.members).toEqual(['bob', 'carol', 'me']);
    // Once applied they are forgotten: the next list is taken as it is.
    list.receiveMembers({ type: 'members', members: ['carol', 'me'] });
    expect(list.members).toEqual(['carol', 'me']);
  });

  it(`keeps only the last ${RECENT_DELTAS} deltas to re-apply`, () => {
    const list = new MemberList();
    for (let i = 0; i <= RECENT_DELTAS; i += 1) list.receivePresence(presence({ joined: [`m${i}`] }));

    list.receiveMembers({ type: 'members', members: [] });

    expect(list.members).toHaveLength(RECENT_DELTAS);
    expect(list.members).not.toContain('m0');
  });

  it('keeps the server order (case-insensitive) and reports the rows each delta changes', () => {
    const list = new MemberList();
    const start = ['alice', 'Bob', 'carol', 'dave'];
    list.receiveMembers({ type: 'members', members: start });

    const update = list.receivePresence(
      presence({ joined: ['Ben'], left: ['carol'], renamed: [{ previousName: 'dave', name: 'Aaron' }] }),
    );

    expect(list.members).toEqual(['Aaron', 'alice', 'Ben', 'Bob']);
    expect(update?.kind).toBe('changed');
    expect(replay(start, update?.kind === 'changed' ? update.changes : [])).toEqual(list.members);
  });

  it('replaces a held entry of the same name in another case, and ignores changes it already holds', () => {
    const list = new MemberList();
    list.receiveMembers({ type: 'members', members: ['alice', 'bob'] });

    list.receivePresence(presence({ joined: ['Alice'] }));
    expect(list.members).toEqual(['Alice', 'bob']);
    expect(list.receivePresence(presence({ left: ['nobody'] }))).toBeUndefined();
  });

  it('holds the right list at 10,000 members through a full list and 2,000 deltas, one row per change', () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `member-${i}`);
    const list = new MemberList();
    list.receiveMembers({ type: 'members', members: sortMembers(names) });
    const expected = new Set(names);
    let rows = [...list.members];

    for (let i = 0; i < 1000; i += 1) {
      const joinedName = `New-${i}`;
      const leftName = `member-${i * 7}`;
      expected.add(joinedName);
      expected.delete(leftName);
      // Through the parser, as frames arrive.
      for (const frame of [presence({ joined: [joinedName] }), presence({ left: [leftName] })]) {
        const parsed = parseServerFrame(JSON.stringify(frame));
        if (parsed?.type !== 'presence') throw new Error('not a presence frame');
        const update = list.receivePresence(parsed);
        if (update?.kind !== 'changed') throw new Error('nothing changed');
        expect(update.changes).toHaveLength(1);
        rows = replay(rows, update.changes);
      }
    }

    expect(list.members).toEqual(sortMembers(expected));
    expect(rows).toEqual(list.members);
  });
});
