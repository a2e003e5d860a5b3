/**
 * The bucket a connection belongs to: FNV-1a of its id, modulo the shard count. Stable across
 * processes and deploys, so a reader of shard N finds exactly the connections written with N.
 */
export const shardOf = (connectionId: string, shardCount: number): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < connectionId.length; i++) {
    hash ^= connectionId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shardCount;
};

/**
 * A position in the audience, which is ordered by shard and then by connection id (the ByShard
 * index's partition and sort keys). Without a connection id it is the start of that shard.
 */
export interface AudienceKey {
  shard: number;
  connectionId?: string;
}

/** One connection as the audience read returns it. */
export interface ConnectionKey {
  shard: number;
  connectionId: string;
}

/**
 * A contiguous part of the audience: from `from` (inclusive) up to `to` (exclusive). An absent end
 * is open, so the parts of a split always cover the whole key space, including connections that
 * the read which chose the boundaries did not see (written later, or not yet in the index).
 */
export interface AudienceRange {
  from?: AudienceKey;
  to?: AudienceKey;
}

/** The whole audience. */
export const WHOLE_AUDIENCE: AudienceRange = {};

/** One shard, as events from a chat-api older than audience-sized sharding name it. */
export const shardRange = (shard: number): AudienceRange => ({ from: { shard }, to: { shard: shard + 1 } });

/**
 * One Query of the shard index: a shard, with its sort-key bounds (`from` inclusive, `to` exclusive).
 * A range inside one shard is one Query (and its pages); a range across shards is one per shard.
 */
export interface ShardQuery {
  shard: number;
  from?: string;
  to?: string;
}

/**
 * The Queries that read `range`. `shardCount` closes an open end; a range that names a shard at or
 * above it (written before ShardCount was lowered) is still read up to that shard.
 */
export const shardQueries = (range: AudienceRange, shardCount: number): ShardQuery[] => {
  const first = range.from?.shard ?? 0;
  const { to } = range;
  const last = to ? (to.connectionId === undefined ? to.shard - 1 : to.shard) : shardCount - 1;
  const queries: ShardQuery[] = [];
  for (let shard = first; shard <= last; shard++) {
    const from = shard === range.from?.shard ? range.from.connectionId : undefined;
    const before = shard === to?.shard ? to.connectionId : undefined;
    queries.push({
      shard,
      ...(from === undefined ? {} : { from }),
      ...(before === undefined ? {} : { to: before }),
    });
  }
  return queries;
};

/** Whether `key` lies inside `range` (the same order the Queries read in). */
export const inRange = (key: ConnectionKey, range: AudienceRange): boolean =>
  (range.from === undefined || compareKeys(key, range.from) >= 0) &&
  (range.to === undefined || compareKeys(key, range.to) < 0);

/** Audience order: by shard, then by connection id (a key without an id comes first in its shard). */
export const compareKeys = (a: AudienceKey, b: AudienceKey): number => {
  if (a.shard !== b.shard) return a.shard - b.shard;
  if (a.connectionId === b.connectionId) return 0;
  if (a.connectionId === undefined) return -1;
  if (b.connectionId === undefined) return 1;
  // DynamoDB orders string sort keys by their UTF-8 bytes; connection ids are ASCII, so by code unit.
  return a.connectionId < b.connectionId ? -1 : 1;
};

/** How many parallel deliveries an audience of `size` gets: one per `perDelivery` recipients, at most `max`. */
export const deliveriesFor = (size: number, perDelivery: number, max: number): number =>
  Math.max(1, Math.min(max, Math.ceil(size / perDelivery)));

/**
 * Splits an audience read in order into `parts` ranges of (almost) equal size. Boundaries are
 * connections that were read; the first range starts open and the last ends open, so together they
 * cover every connection, seen by this read or not.
 */
export const splitAudience = (keys: readonly ConnectionKey[], parts: number): AudienceRange[] => {
  const size = Math.ceil(keys.length / parts);
  const boundaries: ConnectionKey[] = [];
  for (let i = 1; i < parts && i * size < keys.length; i++) boundaries.push(keys[i * size] as ConnectionKey);
  const edges: (ConnectionKey | undefined)[] = [undefined, ...boundaries, undefined];
  const ranges: AudienceRange[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const from = edges[i];
    const to = edges[i + 1];
    ranges.push({ ...(from ? { from: { ...from } } : {}), ...(to ? { to: { ...to } } : {}) });
  }
  return ranges;
};

/**
 * The idempotency key of one part of a split broadcast: the event it was split from plus its exact
 * range. A redelivered event that splits the same way produces the same keys (those parts are not
 * delivered twice); one that splits differently (the audience changed meanwhile) produces new keys,
 * so every recipient is still covered, at worst twice (clients drop repeats by frame id).
 */
export const partKey = (eventId: string, range: AudienceRange): string => {
  const edge = (key: AudienceKey | undefined) =>
    key === undefined ? '' : `${key.shard}:${key.connectionId ?? ''}`;
  return `${eventId}/${edge(range.from)}..${edge(range.to)}`;
};
