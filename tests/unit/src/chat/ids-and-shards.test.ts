import { shardOf } from '../../../../src/chat/sharding';
import { ulid, ulidTime } from '../../../../src/chat/ulid';

describe('message ids', () => {
  it('are 26 Crockford base32 characters carrying their millisecond timestamp', () => {
    const id = ulid(1795210812345);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(ulidTime(id)).toBe(1795210812345);
  });

  it('sort in time order, and in creation order within one millisecond', () => {
    const ids = [ulid(1000), ulid(1000), ulid(1000), ulid(1001), ulid(2 ** 40)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('are unique across many draws', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => ulid()));
    expect(ids.size).toBe(10_000);
  });
});

describe('shards', () => {
  // Pinned values (32-bit FNV-1a, computed independently): a connection written by one deploy must
  // be found in the same shard by the next, so any change to the hash fails here.
  it.each([
    ['BFaT_fALIAMCKug=', 4, 2],
    ['BFaT_fALIAMCKug=', 7, 3],
    ['BFaT_fALIAMCKug=', 1000, 770],
    ['XDmENcnwIE0CFEQ=', 4, 3],
    ['XDmENcnwIE0CFEQ=', 1000, 467],
    ['a=', 7, 5],
    ['', 4, 1],
  ])('put %j in the same shard on every deploy (of %i: %i)', (connectionId, shardCount, shard) => {
    expect(shardOf(connectionId, shardCount)).toBe(shard);
  });

  it('are within range', () => {
    for (let i = 0; i < 100; i++) {
      const shard = shardOf(`conn-${i}=`, 7);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(7);
    }
  });

  it('spread connections over every shard', () => {
    const counts = new Array(4).fill(0);
    for (let i = 0; i < 4000; i++) counts[shardOf(`${i.toString(36)}Xy_abcDEF=`, 4)] += 1;
    for (const count of counts) expect(count).toBeGreaterThan(700);
  });

  it('put everything in shard 0 when there is one shard', () => {
    expect(shardOf('anything', 1)).toBe(0);
  });
});
