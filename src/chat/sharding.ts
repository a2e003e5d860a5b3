/**
 * The bucket a connection belongs to: FNV-1a of its id, modulo the shard count. Stable across
 * processes and deploys, so the broadcaster for shard N finds exactly the connections written with N.
 */
export const shardOf = (connectionId: string, shardCount: number): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < connectionId.length; i++) {
    hash ^= connectionId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shardCount;
};
