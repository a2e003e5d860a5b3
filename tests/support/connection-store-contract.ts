import type { ConnectionRecord, ConnectionStore, NameClaim } from '../../src/chat/ports';
import {
  type AudienceRange,
  type ConnectionKey,
  compareKeys,
  shardRange,
  splitAudience,
  WHOLE_AUDIENCE,
} from '../../src/chat/sharding';

/**
 * What every ConnectionStore promises (src/chat/ports.ts), as one suite: run against the DynamoDB
 * store on dynalite (real expressions, real indexes of template.yaml) and against the in-memory
 * store the domain tests use, so the fake cannot promise more than the real store keeps.
 */
export const describeConnectionStore = (
  storeName: string,
  /** An empty store for each test. */
  freshStore: () => Promise<ConnectionStore>,
): void => {
  const NOW_SECONDS = 1_800_000_000;
  const connection = (connectionId: string, shard: number, extra: Partial<ConnectionRecord> = {}) => ({
    connectionId,
    shard,
    connectedAt: NOW_SECONDS * 1000,
    expiresAt: NOW_SECONDS + 600,
    ...extra,
  });
  const claim = (name: string, connectionId: string, extra: Partial<NameClaim> = {}): NameClaim => ({
    nameKey: name.toLowerCase(),
    name,
    connectionId,
    claimedAt: NOW_SECONDS * 1000,
    expiresAt: NOW_SECONDS + 600,
    ...extra,
  });
  const read = async (store: ConnectionStore, range: AudienceRange, shardCount = 8) => {
    const keys: ConnectionKey[] = [];
    for await (const page of store.audiencePages(range, shardCount)) keys.push(...page);
    return keys;
  };
  const allPages = async (store: ConnectionStore, shard: number) =>
    (await read(store, shardRange(shard))).map((key) => key.connectionId).sort();

  describe(`${storeName} (the ConnectionStore port)`, () => {
    let store: ConnectionStore;
    beforeEach(async () => {
      store = await freshStore();
    });

    it('keeps a connection record as written, and forgets it on delete, returning what it was', async () => {
      const record = connection('BFaT_fALIAMCKug=', 3);
      await store.putConnection(record);

      await expect(store.getConnection('BFaT_fALIAMCKug=')).resolves.toEqual(record);
      await expect(store.deleteConnection('BFaT_fALIAMCKug=')).resolves.toEqual(record);
      await expect(store.getConnection('BFaT_fALIAMCKug=')).resolves.toBeUndefined();
      await expect(store.deleteConnection('BFaT_fALIAMCKug=')).resolves.toBeUndefined();
    });

    it('tells whether the indexes list a connection in its shard and a name key', async () => {
      await store.putConnection(connection('c1=', 2));
      await store.claimName(claim('Alice', 'c1='), NOW_SECONDS);

      await expect(store.inShardIndex('c1=', 2)).resolves.toBe(true);
      await expect(store.inShardIndex('c1=', 1)).resolves.toBe(false);
      await expect(store.inShardIndex('c2=', 2)).resolves.toBe(false);
      await expect(store.isListed('alice')).resolves.toBe(true);
      await expect(store.isListed('bob')).resolves.toBe(false);

      await store.releaseName('alice', 'c1=');
      await store.deleteConnection('c1=');
      await expect(store.isListed('alice')).resolves.toBe(false);
      await expect(store.inShardIndex('c1=', 2)).resolves.toBe(false);
    });

    it('claims a free name, refuses one held by a live connection, and lets the holder claim again', async () => {
      await expect(store.claimName(claim('Alice', 'a='), NOW_SECONDS)).resolves.toBe(true);
      await expect(store.claimName(claim('alice', 'b='), NOW_SECONDS)).resolves.toBe(false);
      await expect(store.claimName(claim('ALICE', 'a='), NOW_SECONDS)).resolves.toBe(true);

      await expect(store.getName('alice')).resolves.toEqual(claim('ALICE', 'a='));
    });

    it('reads many claims at once, more than one BatchGetItem takes, leaving out names nobody holds', async () => {
      const held = Array.from({ length: 130 }, (_, i) => claim(`member${i}`, `c${i}=`));
      for (const each of held) await store.claimName(each, NOW_SECONDS);

      const keys = [...held.map((each) => each.nameKey), 'nobody', 'member0'];
      const claims = await store.getNames(keys);

      expect(claims.size).toBe(130);
      expect(claims.get('member129')).toEqual(held[129]);
      expect(claims.has('nobody')).toBe(false);
      await expect(store.getNames([])).resolves.toEqual(new Map());
    });

    it('lets anyone claim a name whose claim has expired', async () => {
      await store.claimName(claim('bob', 'a=', { expiresAt: NOW_SECONDS - 1 }), NOW_SECONDS - 100);

      await expect(store.claimName(claim('bob', 'b='), NOW_SECONDS)).resolves.toBe(true);
      await expect(store.getName('bob')).resolves.toMatchObject({ connectionId: 'b=' });
    });

    it('takes a name over only from the exact claim that was read', async () => {
      const orphan = claim('carol', 'a=');
      await store.claimName(orphan, NOW_SECONDS);
      const later = claim('carol', 'c=', { claimedAt: orphan.claimedAt + 1 });

      await expect(store.takeOverName(later, { ...orphan, claimedAt: orphan.claimedAt - 1 })).resolves.toBe(
        false,
      );
      await expect(store.takeOverName(later, { ...orphan, connectionId: 'x=' })).resolves.toBe(false);
      await expect(store.takeOverName(later, orphan)).resolves.toBe(true);
      await expect(store.getName('carol')).resolves.toEqual(later);
      // The same read cannot win twice.
      await expect(store.takeOverName(claim('carol', 'd='), orphan)).resolves.toBe(false);
      await expect(store.takeOverName(claim('nobody', 'd='), claim('nobody', 'a='))).resolves.toBe(false);
    });

    it('releases a name only for its holder', async () => {
      await store.claimName(claim('dave', 'a='), NOW_SECONDS);

      await expect(store.releaseName('dave', 'b=')).resolves.toBe(false);
      await expect(store.getName('dave')).resolves.toBeDefined();
      await expect(store.releaseName('dave', 'a=')).resolves.toBe(true);
      await expect(store.getName('dave')).resolves.toBeUndefined();
      await expect(store.releaseName('dave', 'a=')).resolves.toBe(false);
    });

    it('records a name on a connection and returns the one it had before', async () => {
      await store.putConnection(connection('a=', 0));

      await expect(store.setConnectionName('a=', 'Erin', 'erin')).resolves.toEqual({
        previous: { name: undefined, nameKey: undefined },
      });
      await expect(store.setConnectionName('a=', 'Frank', 'frank')).resolves.toEqual({
        previous: { name: 'Erin', nameKey: 'erin' },
      });
      await expect(store.getConnection('a=')).resolves.toEqual(
        connection('a=', 0, { name: 'Frank', nameKey: 'frank' }),
      );
    });

    it('does not bring a disconnected connection back by naming it', async () => {
      await expect(store.setConnectionName('gone=', 'Grace', 'grace')).resolves.toBeUndefined();
      await expect(store.getConnection('gone=')).resolves.toBeUndefined();
      await expect(allPages(store, 0)).resolves.toEqual([]);
    });

    it('lists the names of unexpired claims only, not named connection records', async () => {
      await store.putConnection(connection('a=', 0));
      await store.setConnectionName('a=', 'Heidi', 'heidi');
      await store.claimName(claim('Heidi', 'a='), NOW_SECONDS);
      await store.claimName(claim('ivan', 'b='), NOW_SECONDS);
      await store.claimName(claim('judy', 'c=', { expiresAt: NOW_SECONDS - 1 }), NOW_SECONDS - 100);

      await expect(store.listMembers(NOW_SECONDS).then((names) => names.sort())).resolves.toEqual([
        'Heidi',
        'ivan',
      ]);
    });

    it('lists at most max members, and says whether there are more, skipping expired claims', async () => {
      await store.claimName(claim('expired', 'x=', { expiresAt: NOW_SECONDS - 1 }), NOW_SECONDS - 100);
      for (const name of ['lee', 'mia', 'ned']) await store.claimName(claim(name, `${name}=`), NOW_SECONDS);

      const three = await store.listMembersUpTo(NOW_SECONDS, 3);
      expect({ ...three, names: three.names.sort() }).toEqual({ names: ['lee', 'mia', 'ned'], more: false });
      const two = await store.listMembersUpTo(NOW_SECONDS, 2);
      expect(two.more).toBe(true);
      expect(two.names).toHaveLength(2);
      await expect(store.listMembersUpTo(NOW_SECONDS, 5)).resolves.toMatchObject({ more: false });
    });

    it('puts a connection only where there is none, keeping the record it found', async () => {
      const first = connection('c1=', 1);
      await expect(store.putConnectionIfAbsent(first)).resolves.toBe(true);
      await expect(store.putConnectionIfAbsent(connection('c1=', 2))).resolves.toBe(false);

      await expect(store.getConnection('c1=')).resolves.toEqual(first);
    });

    it('deletes a connection on condition only when it was recorded before the given time', async () => {
      const connectedAt = NOW_SECONDS * 1000;
      await store.putConnection(connection('young=', 0, { connectedAt }));

      await expect(store.deleteConnection('young=', connectedAt)).resolves.toBeUndefined();
      await expect(store.getConnection('young=')).resolves.toBeDefined();
      await expect(store.deleteConnection('young=', connectedAt + 1)).resolves.toMatchObject({
        connectionId: 'young=',
      });
      await expect(store.getConnection('young=')).resolves.toBeUndefined();
    });

    it('takes rate-limit tokens with conditional steps: restart when full, advance within the tolerance', async () => {
      const now = NOW_SECONDS * 1000;
      await store.putConnection(connection('talker=', 0));
      const restart = { bucket: 'public', kind: 'restart', before: now, tat: now + 500 } as const;
      const advance = { bucket: 'public', kind: 'advance', from: now, upTo: now + 1000, by: 500 } as const;

      await expect(store.stepBucket('talker=', restart)).resolves.toBe(true);
      // The bucket is no longer full: a second restart is refused, an advance is taken twice, then
      // its TAT is past `upTo` and the third is refused.
      await expect(store.stepBucket('talker=', restart)).resolves.toBe(false);
      await expect(store.stepBucket('talker=', advance)).resolves.toBe(true);
      await expect(store.stepBucket('talker=', advance)).resolves.toBe(true);
      await expect(store.stepBucket('talker=', advance)).resolves.toBe(false);
      // Buckets are separate, and a connection without a record takes no token.
      await expect(store.stepBucket('talker=', { ...restart, bucket: 'private' })).resolves.toBe(true);
      await expect(store.stepBucket('nobody=', restart)).resolves.toBe(false);
    });

    it('pages the connection ids of one shard, and nothing else', async () => {
      for (let i = 0; i < 25; i++) await store.putConnection(connection(`conn-${i}=`, i % 2));
      await store.claimName(claim('kim', 'conn-1='), NOW_SECONDS);

      const odd = Array.from({ length: 12 }, (_, i) => `conn-${2 * i + 1}=`).sort();
      await expect(allPages(store, 1)).resolves.toEqual(odd);
      await expect(allPages(store, 7)).resolves.toEqual([]);
    });

    it('reads the whole audience in (shard, id) order, every shard up to the shard count', async () => {
      const written = Array.from({ length: 17 }, (_, i) => ({ shard: i % 3, connectionId: `id-${i}=` }));
      for (const key of written) await store.putConnection(connection(key.connectionId, key.shard));

      const keys = await read(store, WHOLE_AUDIENCE, 3);
      expect(keys).toEqual([...written].sort(compareKeys));
      // Shard 2 is past a count of 2: not read.
      expect((await read(store, WHOLE_AUDIENCE, 2)).every((key) => key.shard < 2)).toBe(true);
    });

    it('reads a range from its first key (inclusive) to its last (exclusive), across shards', async () => {
      for (const id of ['a=', 'b=', 'c=', 'd=']) {
        await store.putConnection(connection(id, 0));
        await store.putConnection(connection(`x${id}`, 1));
      }
      const ids = async (range: AudienceRange) => (await read(store, range, 2)).map((k) => k.connectionId);

      await expect(
        ids({ from: { shard: 0, connectionId: 'b=' }, to: { shard: 0, connectionId: 'd=' } }),
      ).resolves.toEqual(['b=', 'c=']);
      await expect(
        ids({ from: { shard: 0, connectionId: 'c=' }, to: { shard: 1, connectionId: 'xb=' } }),
      ).resolves.toEqual(['c=', 'd=', 'xa=']);
      await expect(ids({ from: { shard: 1, connectionId: 'xc=' } })).resolves.toEqual(['xc=', 'xd=']);
      await expect(ids({ to: { shard: 0, connectionId: 'b=' } })).resolves.toEqual(['a=']);
      // A boundary that is no connection (it left) still splits in the same place.
      await expect(ids({ from: { shard: 0, connectionId: 'bb=' }, to: { shard: 1 } })).resolves.toEqual([
        'c=',
        'd=',
      ]);
    });

    it('splits an audience into parts that, read again, hold every connection exactly once', async () => {
      for (let i = 0; i < 23; i++) await store.putConnection(connection(`conn-${i}=`, i % 2));
      const audience = await read(store, WHOLE_AUDIENCE, 2);
      // A connection that the splitting read did not see (it came later) still falls in one part.
      await store.putConnection(connection('late=', 1));

      const parts = splitAudience(audience, 4);
      const seen = (await Promise.all(parts.map((range) => read(store, range, 2)))).flat();

      expect(parts).toHaveLength(4);
      expect(seen.map((key) => key.connectionId).sort()).toEqual(
        [...audience.map((key) => key.connectionId), 'late='].sort(),
      );
    });
  });
};
