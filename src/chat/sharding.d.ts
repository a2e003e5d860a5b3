/**
 * The bucket a connection belongs to: FNV-1a of its id, modulo the shard count. Stable across
 * processes and deploys, so the broadcaster for shard N finds exactly the connections written with N.
 */
export declare const shardOf: (connectionId: string, shardCount: number) => number;
