import { broadcastEvents, DETAIL_TYPES, directEvent, joinerListEvent } from './chat-events';
import { NameRequiredError, NameTakenError, RecipientNotFoundError } from './errors';
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

export interface ChatServiceOptions {
  store: ConnectionStore;
  publisher: ChatEventPublisher;
  shardCount: number;
  now?: () => number;
  newId?: (now: number) => string;
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
  readonly #now: () => number;
  readonly #newId: (now: number) => string;

  constructor(options: ChatServiceOptions) {
    this.#store = options.store;
    this.#publisher = options.publisher;
    this.#shardCount = options.shardCount;
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? ulid;
  }

  async connect(connectionId: string): Promise<void> {
    const now = this.#now();
    await this.#store.putConnection({
      connectionId,
      shard: shardOf(connectionId, this.#shardCount),
      connectedAt: now,
      expiresAt: Math.floor(now / 1000) + CONNECTION_TTL_SECONDS,
    });
  }

  /**
   * Claims the name first (conditional put on the name item), then records it on the connection,
   * then releases the old name only if it is still ours. No step needs a transaction: a crash
   * between steps leaves at most an orphaned name item, which a later setName can take over.
   */
  async setName(connectionId: string, rawName: unknown, correlationId: string): Promise<NameFrame> {
    const name = validateName(rawName);
    const nameKey = nameKeyOf(name);
    const connection = await this.#store.getConnection(connectionId);
    if (!connection) throw new ConnectionRecordMissingError(connectionId);
    if (connection.name === name) return nameFrame(name);

    const now = this.#now();
    const claim: NameClaim = { nameKey, name, connectionId, claimedAt: now, expiresAt: connection.expiresAt };
    if (!(await this.#claim(claim, now))) throw new NameTakenError(name);

    const written = await this.#store.setConnectionName(connectionId, name, nameKey);
    if (!written) {
      await this.#store.releaseName(nameKey, connectionId);
      throw new ConnectionRecordMissingError(connectionId);
    }
    const { previous } = written;
    if (previous.nameKey !== undefined && previous.nameKey !== nameKey) {
      await this.#store.releaseName(previous.nameKey, connectionId);
    }
    if (previous.name !== name) {
      const stamp = this.#stamp();
      // The change rides with the events: the broadcaster applies it to whatever the (eventually
      // consistent) Members index returns, so every list sent includes it.
      if (previous.name === undefined) {
        const change = { event: 'joined' as const, name, connectionId };
        await this.#publisher.publish([
          ...broadcastEvents(DETAIL_TYPES.memberJoined, [joinedFrame(name, stamp)], {
            shardCount: this.#shardCount,
            correlationId,
            includeMembers: true,
            presence: change,
          }),
          joinerListEvent(change, correlationId),
        ]);
      } else {
        await this.#publisher.publish(
          broadcastEvents(DETAIL_TYPES.memberRenamed, [renamedFrame(previous.name, name, stamp)], {
            shardCount: this.#shardCount,
            correlationId,
            includeMembers: true,
            presence: { event: 'renamed', name, previousName: previous.name, connectionId },
          }),
        );
      }
    }
    return nameFrame(name);
  }

  async sendPublic(connectionId: string, rawMessage: unknown, correlationId: string): Promise<void> {
    const text = validateMessage(rawMessage);
    const sender = await this.#requireName(connectionId);
    const frame = publicFrame(sender.name, text, this.#stamp());
    await this.#publisher.publish(
      broadcastEvents(DETAIL_TYPES.publicMessage, [frame], {
        shardCount: this.#shardCount,
        correlationId,
        includeMembers: false,
      }),
    );
  }

  async sendPrivate(connectionId: string, rawTo: unknown, rawMessage: unknown, correlationId: string) {
    const text = validateMessage(rawMessage);
    const sender = await this.#requireName(connectionId);
    const to = validateRecipient(rawTo, sender.name);
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
   */
  async leave(connectionId: string, correlationId: string): Promise<ConnectionRecord | undefined> {
    const removed = await this.#store.deleteConnection(connectionId);
    if (removed?.nameKey === undefined || removed.name === undefined) return removed;
    await this.#store.releaseName(removed.nameKey, connectionId);
    await this.#publisher.publish(
      broadcastEvents(DETAIL_TYPES.memberLeft, [leftFrame(removed.name, this.#stamp())], {
        shardCount: this.#shardCount,
        correlationId,
        includeMembers: true,
        presence: { event: 'left', name: removed.name, connectionId },
      }),
    );
    return removed;
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

  async #requireName(connectionId: string): Promise<{ name: string }> {
    const connection = await this.#store.getConnection(connectionId);
    if (connection?.name === undefined) throw new NameRequiredError();
    return { name: connection.name };
  }

  #stamp() {
    const ts = this.#now();
    return { id: this.#newId(ts), ts };
  }
}
