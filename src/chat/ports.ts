import type { ChatEvent, PresenceMessage } from './chat-events';
import type { BucketStep, RateBucket } from './rate-limit';
import type { AudienceRange, ConnectionKey } from './sharding';

// What the chat rules need from the outside world. DynamoDB, EventBridge and the @connections
// API implement these in src/stores and src/delivery; unit tests can use plain objects.

export interface ConnectionRecord {
  connectionId: string;
  shard: number;
  connectedAt: number; // epoch ms
  expiresAt: number; // epoch seconds (DynamoDB TTL)
  name?: string;
  nameKey?: string;
  /** Rate-limit state per bucket (GCRA theoretical arrival time, epoch ms); absent = never used. */
  tat?: Partial<Record<RateBucket, number>>;
}

/** Ownership of a name: one item per lowercased name, written with a conditional put. */
export interface NameClaim {
  nameKey: string;
  name: string;
  connectionId: string;
  claimedAt: number; // epoch ms
  expiresAt: number; // epoch seconds (DynamoDB TTL)
}

export interface ConnectionStore {
  putConnection(record: ConnectionRecord): Promise<void>;
  /** Writes the record only if the connection has none; false if one exists. */
  putConnectionIfAbsent(record: ConnectionRecord): Promise<boolean>;
  getConnection(connectionId: string): Promise<ConnectionRecord | undefined>;
  /** Writes the claim if the name is free, expired, or already held by the same connection. */
  claimName(claim: NameClaim, nowSeconds: number): Promise<boolean>;
  /** Replaces `previous` with `claim` only if `previous` is still exactly what is stored. */
  takeOverName(claim: NameClaim, previous: NameClaim): Promise<boolean>;
  getName(nameKey: string): Promise<NameClaim | undefined>;
  /** Consistent reads of many claims at once, by name key; a key with no claim is absent. */
  getNames(nameKeys: readonly string[]): Promise<Map<string, NameClaim>>;
  /**
   * Records the connection's new name and returns its name before this write, read atomically.
   * With a `step`, the same write also takes a token (the step's condition must hold too).
   * Returns undefined when nothing was written: no record (it disconnected meanwhile), or the step's
   * condition failed.
   */
  setConnectionName(
    connectionId: string,
    name: string,
    nameKey: string,
    step?: BucketStep,
  ): Promise<{ previous: Pick<ConnectionRecord, 'name' | 'nameKey'> } | undefined>;
  /** Applies one rate-limit step to the connection's record in one atomic write; false if not applied. */
  stepBucket(connectionId: string, step: BucketStep): Promise<boolean>;
  /** Deletes the name item only if it still belongs to `connectionId`; false if it did not. */
  releaseName(nameKey: string, connectionId: string): Promise<boolean>;
  /**
   * Deletes the connection and returns what it was, or undefined if it was already gone. With
   * `connectedBefore` (epoch ms), only a record whose `connectedAt` is earlier is deleted.
   */
  deleteConnection(connectionId: string, connectedBefore?: number): Promise<ConnectionRecord | undefined>;
  /** Display names of every member whose claim has not expired (a Query, never a Scan). */
  listMembers(nowSeconds: number): Promise<string[]>;
  /**
   * At most `max` member names, reading no more of the Members index than it takes to tell: `more`
   * is true when there are more than `max` (then `names` is not the whole list). This is how the
   * broadcaster learns whether an audience is small (full lists) or large (deltas) in one bounded Query.
   */
  listMembersUpTo(nowSeconds: number, max: number): Promise<{ names: string[]; more: boolean }>;
  /**
   * The connections inside `range`, in audience order (shard, then id), one page per Query of the
   * shard index: a range within one shard is one Query (more pages only past 1 MB, about 15,000
   * connections); each further shard it spans is one more. `shardCount` closes an open end.
   */
  audiencePages(range: AudienceRange, shardCount: number): AsyncIterable<ConnectionKey[]>;
  /** Whether the shard index (eventually consistent) already lists the connection. */
  inShardIndex(connectionId: string, shard: number): Promise<boolean>;
  /** Whether the Members index (eventually consistent) already lists the name key. */
  isListed(nameKey: string): Promise<boolean>;
}

export interface ChatEventPublisher {
  /** Publishes every event or throws; partial failures are retried inside. */
  publish(events: ChatEvent[]): Promise<void>;
}

/** Where a large room's presence events wait to be coalesced (PresenceQueue, an SQS queue). */
export interface PresenceQueue {
  /** Queues the message or throws. */
  enqueue(message: PresenceMessage): Promise<void>;
}

/**
 * 'gone': the connection no longer exists (410). 'throttled': API Gateway answered 429 (the account's
 * rate, or this client's outgoing buffer is full); the caller decides when to try again, so one slow
 * reader does not hold a delivery lane.
 */
export type SendResult = 'sent' | 'gone' | 'throttled';

export interface ConnectionSender {
  /** Posts one frame; throws on failures that retrying the same frame soon cannot fix. */
  send(connectionId: string, data: string): Promise<SendResult>;
}
