// The join stage's client-side members list: it must apply docs/protocol.md's rules exactly, or the
// bench reports a settled list that is wrong (or a wrong list that is right).
import { expectedMembers, MembersModel } from '../lib/members-model';

const presence = (
  p: Partial<{ joined: string[]; left: string[]; renamed: { previousName: string; name: string }[] }>,
) => ({
  type: 'presence' as const,
  joined: p.joined ?? [],
  left: p.left ?? [],
  renamed: p.renamed ?? [],
});
const page = (members: string[], n: number, of: number) => ({
  type: 'members' as const,
  members,
  page: n,
  pages: of,
});

describe('MembersModel', () => {
  it('knows nothing until a full list arrives, then holds exactly that list', () => {
    const m = new MembersModel();
    const expected = expectedMembers(['alice', 'bob']);
    expect(m.equals(expected)).toBe(false);
    m.apply({ type: 'members', members: ['bob', 'alice'] });
    expect(m.equals(expected)).toBe(true);
    expect(m.names()).toEqual(['alice', 'bob']);
  });

  it('an empty list is exact for an empty room only once it arrived', () => {
    const m = new MembersModel();
    expect(m.equals(expectedMembers([]))).toBe(false);
    m.apply({ type: 'members', members: [] });
    expect(m.equals(expectedMembers([]))).toBe(true);
  });

  it('applies left, then renamed, then joined', () => {
    const m = new MembersModel();
    m.apply({ type: 'members', members: ['alice', 'bob', 'carol'] });
    m.apply(
      presence({ left: ['bob'], renamed: [{ previousName: 'alice', name: 'alicia' }], joined: ['dave'] }),
    );
    expect(m.names()).toEqual(['alicia', 'carol', 'dave']);
    // A name that leaves and joins in one coalesced frame is present afterwards.
    m.apply(presence({ left: ['carol'], joined: ['carol'] }));
    expect(m.names()).toEqual(['alicia', 'carol', 'dave']);
  });

  it('treats names as unique ignoring case, and a change already held as a no-op', () => {
    const m = new MembersModel();
    m.apply({ type: 'members', members: ['alice'] });
    m.apply(presence({ joined: ['Alice'] }));
    expect(m.names()).toEqual(['Alice']);
    m.apply(presence({ joined: ['Alice'] }));
    m.apply(presence({ left: ['zed'] }));
    expect(m.equals(expectedMembers(['Alice']))).toBe(true);
    // Exact means the same spelling too.
    expect(m.equals(expectedMembers(['alice']))).toBe(false);
    expect(m.differences(expectedMembers(['alice']))).toEqual({ missing: ['alice'], extra: ['Alice'] });
  });

  it('shows a paged list only once its last page is in, keeping the old list until then', () => {
    const m = new MembersModel();
    m.apply({ type: 'members', members: ['old'] });
    m.apply(page(['a', 'b'], 1, 3));
    m.apply(page(['c'], 2, 3));
    expect(m.names()).toEqual(['old']);
    m.apply(page(['d'], 3, 3));
    expect(m.names()).toEqual(['a', 'b', 'c', 'd']);
    expect(m.droppedLists).toBe(0);
  });

  it('drops a partial list when a page comes out of sequence, and takes the next whole one', () => {
    const m = new MembersModel();
    m.apply({ type: 'members', members: ['old'] });
    m.apply(page(['a'], 1, 3));
    m.apply(page(['c'], 3, 3));
    expect(m.names()).toEqual(['old']);
    expect(m.droppedLists).toBe(1);
    // A page without its page 1 is ignored too.
    m.apply(page(['b'], 2, 2));
    expect(m.names()).toEqual(['old']);
    m.apply(page(['x'], 1, 2));
    m.apply(page(['y'], 2, 2));
    expect(m.names()).toEqual(['x', 'y']);
  });

  it('a page 1 restarts a list in progress', () => {
    const m = new MembersModel();
    m.apply(page(['a'], 1, 2));
    m.apply(page(['x'], 1, 2));
    m.apply(page(['y'], 2, 2));
    expect(m.names()).toEqual(['x', 'y']);
  });

  it('re-applies deltas received since the last full list on top of the next one (a lagging index)', () => {
    const m = new MembersModel();
    m.apply({ type: 'members', members: ['alice'] });
    // carol's delta arrives before a list read from an index that has not seen her yet.
    m.apply(presence({ joined: ['carol'] }));
    m.apply(presence({ left: ['alice'] }));
    m.apply({ type: 'members', members: ['alice', 'bob'] });
    expect(m.names()).toEqual(['bob', 'carol']);
    // Deltas are spent by the list: a later list is taken as it is.
    m.apply({ type: 'members', members: ['bob'] });
    expect(m.names()).toEqual(['bob']);
  });

  it('keeps only the last few deltas, as the web client does', () => {
    const m = new MembersModel(2);
    m.apply(presence({ joined: ['a'] }));
    m.apply(presence({ joined: ['b'] }));
    m.apply(presence({ joined: ['c'] }));
    m.apply({ type: 'members', members: [] });
    expect(m.names()).toEqual(['b', 'c']);
  });

  it('ignores frames that are not about members', () => {
    const m = new MembersModel();
    m.apply({ type: 'members', members: ['alice'] });
    m.apply({ type: 'system' });
    m.apply({ type: 'public' });
    expect(m.names()).toEqual(['alice']);
  });
});
