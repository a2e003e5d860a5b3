import {
  type ConnectionKey,
  deliveriesFor,
  partKey,
  shardQueries,
  shardRange,
  splitAudience,
  WHOLE_AUDIENCE,
} from '../../../../src/chat/sharding';

describe('shardQueries', () => {
  it('reads the whole audience as one Query per shard, without sort-key bounds', () => {
    expect(shardQueries(WHOLE_AUDIENCE, 1)).toEqual([{ shard: 0 }]);
    expect(shardQueries(WHOLE_AUDIENCE, 3)).toEqual([{ shard: 0 }, { shard: 1 }, { shard: 2 }]);
  });

  it('reads a range inside one shard as one bounded Query', () => {
    const range = { from: { shard: 0, connectionId: 'b=' }, to: { shard: 0, connectionId: 'k=' } };
    expect(shardQueries(range, 1)).toEqual([{ shard: 0, from: 'b=', to: 'k=' }]);
    expect(shardQueries({ to: { shard: 0, connectionId: 'k=' } }, 4)).toEqual([{ shard: 0, to: 'k=' }]);
    expect(shardQueries({ from: { shard: 0, connectionId: 'k=' } }, 1)).toEqual([{ shard: 0, from: 'k=' }]);
  });

  it('reads a range across shards: the open middle shards whole', () => {
    const range = { from: { shard: 1, connectionId: 'x=' }, to: { shard: 3, connectionId: 'c=' } };
    expect(shardQueries(range, 4)).toEqual([{ shard: 1, from: 'x=' }, { shard: 2 }, { shard: 3, to: 'c=' }]);
  });

  it('reads a legacy shard event as its one shard, even one at or above the shard count', () => {
    expect(shardQueries(shardRange(2), 4)).toEqual([{ shard: 2 }]);
    expect(shardQueries(shardRange(3), 1)).toEqual([{ shard: 3 }]);
  });
});

describe('splitAudience', () => {
  const keys = (n: number): ConnectionKey[] =>
    Array.from({ length: n }, (_, i) => ({ shard: 0, connectionId: `c${String(i).padStart(3, '0')}=` }));

  it('cuts at connections that were read, with open outer ends', () => {
    expect(splitAudience(keys(10), 3)).toEqual([
      { to: { shard: 0, connectionId: 'c004=' } },
      { from: { shard: 0, connectionId: 'c004=' }, to: { shard: 0, connectionId: 'c008=' } },
      { from: { shard: 0, connectionId: 'c008=' } },
    ]);
  });

  it('never makes an empty part', () => {
    expect(splitAudience(keys(3), 5)).toHaveLength(3);
    expect(splitAudience(keys(1), 1)).toEqual([{}]);
  });
});

describe('deliveriesFor', () => {
  it('is one per started block of recipients, at least 1 and at most the cap', () => {
    expect([0, 1, 2000, 2001, 10_000].map((n) => deliveriesFor(n, 2000, 100))).toEqual([1, 1, 1, 2, 5]);
    expect(deliveriesFor(1_000_000, 2000, 100)).toBe(100);
  });
});

describe('partKey', () => {
  it('names the room event and the exact range, so equal splits dedupe and different ones do not', () => {
    const range = { from: { shard: 0, connectionId: 'c004=' }, to: { shard: 1 } };
    expect(partKey('evt-1', range)).toBe('evt-1/0:c004=..1:');
    expect(partKey('evt-1', {})).toBe('evt-1/..');
    expect(partKey('evt-1', range)).not.toBe(partKey('evt-1', { ...range, to: { shard: 2 } }));
    expect(partKey('evt-1', range)).not.toBe(partKey('evt-2', range));
  });
});
