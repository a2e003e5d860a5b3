import { sleep as realSleep, type Sleep } from '../shared/backoff';
import { broadcastEvent, DETAIL_TYPES, directEvent } from './chat-events';
import { NameRequiredError, NameTakenError, RateLimitedError, RecipientNotFoundError } from './errors';
import {
  joinedFrame,
  leftFrame,
  type NameFrame,
  nameFrame,
  privateFrame,
  publicFrame,
  renamedFrame,
} from './frames';
import type { ChatEventPublisher, ConnectionRecord, ConnectionStore, NameClaim } from './ports';
import { type BucketStep, decide, type RateBucket, type RateLimits } from './rate-limit';
import { nameKeyOf, validateMessage, validateName, validateRecipient } from './rules';
import { shardOf } from './sharding';
import { ulid } from './ulid';

/** API Gateway closes every connection after 2 hours; records outlive that only by this margin. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60 + 10 * 60;
/**
 * A name item whose owner does not hold that name may be mid-setName in another invocation; it is
 * only treated as orphaned (left by a failed setName) once it is older than any invocation can run.
 */
export const ORPHANED_CLAIM_AFTER_MS = 60_000;
/**
 * How long after its record was written a connection may still be inside `$connect`. API Gateway
 * answers 410 to a post to a connection whose `$connect` has not returned yet, and `$connect` can
 * run up to the 29 s integration timeout; the record is written during `$connect`, so 29 s after
 * `connectedAt` it is certainly over. One more second covers clock skew between Lambda hosts.
 */
export const CONNECT_WINDOW_MS = 30_000;
/**
 * Waits between looks at the (eventually consistent) indexes before a presence change is
 * announced: about 2.3 s in all, longer than GSI replication usually takes. Past that the change
 * is announced anyway (the broadcaster applies it to the lists it sends).
 */
const INDEX_WAITS_MS = [25, 50, 100, 200, 400, 800, 800];
/**
 * A GSI's lag counts from the write: a connection recorded longer ago than the looks would wait in
 * all (plus a second of clock skew between the hosts that wrote and read it) is taken as shown in
 * the shard index without a look, as it would be after the last look anyway.
 */
const SHARD_INDEXED_AFTER_MS = INDEX_WAITS_MS.reduce((sum, wait) => sum + wait, 0) + 1_000;
/** Conditional writes a request retries when its own connection's other requests move a bucket. */
const BUCKET_ATTEMPTS = 4;
/** Entries kept in one instance's memory of limited connections before it is cleared. */
const BLOCKED_MEMORY = 10_000;

const BUCKET_WHAT: Record<RateBucket, string> = {
  public: 'public messages',
  private: 'private messages',
  name: 'name changes',
};

export interface ChatServiceOptions {
  store: ConnectionStore;
  publisher: ChatEventPublisher;
  /** How many shard index partitions new connections are spread over (writes only; see sharding.ts). */
  shardCount: number;
  /** Per-connection rate limits; without them nothing is limited (the broadcaster only prunes). */
  limits?: RateLimits;
  now?: () => number;
  newId?: (now: number) => string;
  sleep?: Sleep;
}

export class ConnectionRecordMissingError extends Error {
  override readonly name = 'ConnectionRecordMissingError';
  constructor(connectionId: string) {
    super(`Connection ${connectionId} has no record (it disconnected during the request)`);
  }
}

/** The chat's use cases. Each publishes at most one batch of events, whatever the audience size. */
export class ChatService {
  readonly #store: ConnectionStore;
  readonly #publisher: ChatEventPublisher;
  readonly #shardCount: number;
  readonly #limits: RateLimits | undefined;
  /**
   * `connectionId bucket` -> until when this instance knows the bucket is empty. A bucket's TAT only
   * grows, so a refusal decided from a read stays valid until its retry time: a flood's later
   * frames are refused here without reading DynamoDB (other instances learn it on their own).
   */
  readonly #blockedUntil = new Map<string, number>();
  readonly #now: () => number;
  readonly #newId: (now: number) => string;
  readonly #sleep: Sleep;

  constructor(options: ChatServiceOptions) {
    this.#store = options.store;
    this.#publisher = options.publisher;
    this.#shardCount = options.shardCount;
    this.#limits = options.limits;
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? ulid;
    this.#sleep = options.sleep ?? realSleep;
  }

  async connect(connectionId: string): Promise<void> {
    await this.#store.putConnection(this.#newRecord(connectionId));
  }

  /**
   * Claims the name first (conditional put on the name item), then records it on the connection,
   * then releases the old name only if it is still ours. No step needs a transaction: a crash
   * between steps leaves at most an orphaned name item, which a later setName can take over.
   */
  async setName(connectionId: string, rawName: unknown, correlationId: string): Promise<NameFrame> {
    const name = validateName(rawName);
    const nameKey = nameKeyOf(name);
    const connection = await this.#connectionOf(connectionId);
    if (connection.name === name) return nameFrame(name);

    const now = this.#now();
    let step = this.#nameStep(connection, now);
    const claim: NameClaim = { nameKey, name, connectionId, claimedAt: now, expiresAt: connection.expiresAt };
    if (!(await this.#claim(claim, now))) throw new NameTakenError(name);

    // Recording the name also takes the token, in the same conditional write.
    let written = await this.#store.setConnectionName(connectionId, name, nameKey, step);
    for (let attempt = 1; !written; attempt++) {
      // Nothing was written: the record is gone, or another setName of this connection moved the bucket.
      const fresh = await this.#store.getConnection(connectionId);
      try {
        if (!fresh) throw new ConnectionRecordMissingError(connectionId);
        if (step === undefined || attempt >= BUCKET_ATTEMPTS) throw this.#conflict('name');
        step = this.#nameStep(fresh, this.#now());
      } catch (error) {
        await this.#store.releaseName(nameKey, connectionId);
        throw error;
      }
      written = await this.#store.setConnectionName(connectionId, name, nameKey, step);
    }
    const { previous } = written;
    if (previous.nameKey !== undefined && previous.nameKey !== nameKey) {
      await this.#store.releaseName(previous.nameKey, connectionId);
    }
    if (previous.name !== name) {
      // Recipients and members lists are read from global secondary indexes, which show a write a
      // little later: announce once they show this change, so the joiner receives the broadcasts
      // that follow its join and no list sent for a later change lacks it.
      if (previous.name === undefined) {
        // A join: the joiner in its shard (unless recorded long ago), and its name in Members; both
        // looks at once (one round trip), and a look that showed it is not repeated.
        let inShard = now - connection.connectedAt >= SHARD_INDEXED_AFTER_MS;
        let listed = false;
        await this.#untilIndexed(async () => {
          [inShard, listed] = await Promise.all([
            inShard || this.#store.inShardIndex(connectionId, connection.shard),
            listed || this.#store.isListed(nameKey),
          ]);
          return inShard && listed;
        });
      } else {
        await this.#untilIndexed(
          async () =>
            (await this.#store.isListed(nameKey)) &&
            (previous.nameKey === nameKey || !(await this.#store.isListed(previous.nameKey as string))),
        );
      }
      const stamp = this.#stamp();
      // The change rides with the events: the broadcaster applies it to whatever the (eventually
      // consistent) Members index returns, so every list sent includes it.
      if (previous.name === undefined) {
        const change = { event: 'joined' as const, name, connectionId };
        // One event: everybody gets the change, and the joiner its full list (joinerList).
        await this.#publisher.publish([
          broadcastEvent(DETAIL_TYPES.memberJoined, [joinedFrame(name, stamp)], {
            correlationId,
            includeMembers: true,
            presence: change,
            joinerList: true,
          }),
        ]);
      } else {
        await this.#publisher.publish([
          broadcastEvent(DETAIL_TYPES.memberRenamed, [renamedFrame(previous.name, name, stamp)], {
            correlationId,
            includeMembers: true,
            presence: { event: 'renamed', name, previousName: previous.name, connectionId },
          }),
        ]);
      }
    }
    return nameFrame(name);
  }

  async sendPublic(connectionId: string, rawMessage: unknown, correlationId: string): Promise<void> {
    const text = validateMessage(rawMessage);
    this.#refuseIfKnownBlocked(connectionId, 'public');
    const sender = await this.#requireName(connectionId);
    await this.#takeToken(sender, 'public');
    const frame = publicFrame(sender.name, text, this.#stamp());
    await this.#publisher.publish([
      broadcastEvent(DETAIL_TYPES.publicMessage, [frame], { correlationId, includeMembers: false }),
    ]);
  }

  async sendPrivate(connectionId: string, rawTo: unknown, rawMessage: unknown, correlationId: string) {
    const text = validateMessage(rawMessage);
    this.#refuseIfKnownBlocked(connectionId, 'private');
    const sender = await this.#requireName(connectionId);
    const to = validateRecipient(rawTo, sender.name);
    await this.#takeToken(sender, 'private');
    const recipient = await this.#store.getName(nameKeyOf(to));
    if (!recipient || recipient.expiresAt <= Math.floor(this.#now() / 1000))
      throw new RecipientNotFoundError(to);
    const frame = privateFrame(sender.name, recipient.name, text, this.#stamp());
    await this.#publisher.publish([
      directEvent(
        DETAIL_TYPES.privateMessage,
        [recipient.connectionId, connectionId],
        [frame],
        correlationId,
      ),
    ]);
  }

  /**
   * The one way a connection leaves, used by $disconnect and by the broadcaster on GoneException:
   * delete the connection, release its name, tell everyone. A second call for the same connection
   * finds nothing to delete and tells nobody, so racing $disconnect and Gone announce it once.
   * With `connectedBefore`, a connection recorded at or after that time is kept.
   */
  async leave(
    connectionId: string,
    correlationId: string,
    connectedBefore?: number,
  ): Promise<ConnectionRecord | undefined> {
    const removed = await this.#store.deleteConnection(connectionId, connectedBefore);
    if (removed?.nameKey === undefined || removed.name === undefined) return removed;
    await this.#store.releaseName(removed.nameKey, connectionId);
    const { nameKey } = removed;
    await this.#untilIndexed(async () => !(await this.#store.isListed(nameKey)));
    await this.#publisher.publish([
      broadcastEvent(DETAIL_TYPES.memberLeft, [leftFrame(removed.name, this.#stamp())], {
        correlationId,
        includeMembers: true,
        presence: { event: 'left', name: removed.name, connectionId },
      }),
    ]);
    return removed;
  }

  /**
   * A broadcast's post to this connection answered 410. A connection still inside its `$connect`
   * is already in its shard but answers 410 too; deleting it would leave an open socket with no
   * record (a zombie that never receives a broadcast). So only a connection recorded more than
   * CONNECT_WINDOW_MS ago is pruned; a younger one that really vanished is left to its
   * `$disconnect`, a later broadcast, or its TTL.
   */
  async goneOnDelivery(connectionId: string, correlationId: string): Promise<ConnectionRecord | undefined> {
    return this.leave(connectionId, correlationId, this.#now() - CONNECT_WINDOW_MS);
  }

  /** Looks until `shown` holds, a bounded number of times (see INDEX_WAITS_MS). */
  async #untilIndexed(shown: () => Promise<boolean>): Promise<void> {
    for (const wait of INDEX_WAITS_MS) {
      if (await shown()) return;
      await this.#sleep(wait);
    }
  }

  async #claim(claim: NameClaim, now: number): Promise<boolean> {
    if (await this.#store.claimName(claim, Math.floor(now / 1000))) return true;
    const holder = await this.#store.getName(claim.nameKey);
    // Released between our write and this read: try once more.
    if (!holder) return this.#store.claimName(claim, Math.floor(now / 1000));
    if (now - holder.claimedAt < ORPHANED_CLAIM_AFTER_MS) return false;
    const owner = await this.#store.getConnection(holder.connectionId);
    if (owner?.nameKey === holder.nameKey) return false;
    return this.#store.takeOverName(claim, holder);
  }

  /** The sender's record; a connection with no record has no name either (NAME_REQUIRED). */
  async #requireName(connectionId: string): Promise<ConnectionRecord & { name: string }> {
    const connection = await this.#store.getConnection(connectionId);
    if (connection?.name === undefined) throw new NameRequiredError();
    return { ...connection, name: connection.name };
  }

  /**
   * The connection's record, or a fresh one when it has none: API Gateway routed a frame from this
   * connection, so it is open. (A record can be missing after a lost race with `$disconnect`; if
   * the caller has in fact gone, the reply's 410 removes the record again.)
   */
  async #connectionOf(connectionId: string): Promise<ConnectionRecord> {
    const existing = await this.#store.getConnection(connectionId);
    if (existing) return existing;
    const fresh = this.#newRecord(connectionId);
    if (await this.#store.putConnectionIfAbsent(fresh)) return fresh;
    const concurrent = await this.#store.getConnection(connectionId);
    if (!concurrent) throw new ConnectionRecordMissingError(connectionId);
    return concurrent;
  }

  /**
   * Takes one token from the connection's bucket or throws RATE_LIMITED. The decision is made on the
   * record already read, and applied by one conditional write whose condition re-checks it, so
   * concurrent requests of one connection (separate Lambda environments) never take more than the
   * burst. A conflicting write is re-read and decided again, a few times at most.
   */
  async #takeToken(record: ConnectionRecord, bucket: RateBucket): Promise<void> {
    if (!this.#limits) return;
    let current: ConnectionRecord | undefined = record;
    for (let attempt = 1; current; attempt++) {
      const step = this.#stepFor(bucket, current, this.#now());
      if (await this.#store.stepBucket(record.connectionId, step)) return;
      if (attempt >= BUCKET_ATTEMPTS) throw this.#conflict(bucket);
      current = await this.#store.getConnection(record.connectionId);
    }
    throw new ConnectionRecordMissingError(record.connectionId);
  }

  /** The step that takes a token from `bucket`, or RATE_LIMITED with the time to wait. */
  #stepFor(bucket: RateBucket, record: ConnectionRecord, now: number): BucketStep {
    const limit = (this.#limits as RateLimits)[bucket];
    const decision = decide(bucket, record.tat?.[bucket], now, limit);
    if (decision.allowed) return decision.step;
    if (this.#blockedUntil.size >= BLOCKED_MEMORY) this.#blockedUntil.clear();
    this.#blockedUntil.set(`${record.connectionId} ${bucket}`, now + decision.retryAfterMs);
    throw new RateLimitedError(BUCKET_WHAT[bucket], decision.retryAfterMs);
  }

  #refuseIfKnownBlocked(connectionId: string, bucket: RateBucket): void {
    const key = `${connectionId} ${bucket}`;
    const until = this.#blockedUntil.get(key);
    if (until === undefined) return;
    const waitMs = Math.ceil(until - this.#now());
    if (waitMs <= 0) {
      this.#blockedUntil.delete(key);
      return;
    }
    throw new RateLimitedError(BUCKET_WHAT[bucket], waitMs);
  }

  #nameStep(record: ConnectionRecord, now: number): BucketStep | undefined {
    return this.#limits ? this.#stepFor('name', record, now) : undefined;
  }

  /** Requests of one connection kept moving its bucket under us: it is sending fast, so it waits. */
  #conflict(bucket: RateBucket): RateLimitedError {
    const intervalMs = this.#limits ? this.#limits[bucket].intervalMs : 0;
    return new RateLimitedError(BUCKET_WHAT[bucket], Math.max(1, Math.ceil(intervalMs)));
  }

  #newRecord(connectionId: string): ConnectionRecord {
    const now = this.#now();
    return {
      connectionId,
      shard: shardOf(connectionId, this.#shardCount),
      connectedAt: now,
      expiresAt: Math.floor(now / 1000) + CONNECTION_TTL_SECONDS,
    };
  }

  #stamp() {
    const ts = this.#now();
    return { id: this.#newId(ts), ts };
  }
}
