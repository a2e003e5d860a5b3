import type { ChatEvent } from './chat-events';
export interface ConnectionRecord {
    connectionId: string;
    shard: number;
    connectedAt: number;
    expiresAt: number;
    name?: string;
    nameKey?: string;
}
/** Ownership of a name: one item per lowercased name, written with a conditional put. */
export interface NameClaim {
    nameKey: string;
    name: string;
    connectionId: string;
    claimedAt: number;
    expiresAt: number;
}
export interface ConnectionStore {
    putConnection(record: ConnectionRecord): Promise<void>;
    getConnection(connectionId: string): Promise<ConnectionRecord | undefined>;
    /** Writes the claim if the name is free, expired, or already held by the same connection. */
    claimName(claim: NameClaim, nowSeconds: number): Promise<boolean>;
    /** Replaces `previous` with `claim` only if `previous` is still exactly what is stored. */
    takeOverName(claim: NameClaim, previous: NameClaim): Promise<boolean>;
    getName(nameKey: string): Promise<NameClaim | undefined>;
    /**
     * Records the connection's new name and returns its name before this write, read atomically.
     * Returns undefined when the connection has no record (it disconnected meanwhile).
     */
    setConnectionName(connectionId: string, name: string, nameKey: string): Promise<{
        previous: Pick<ConnectionRecord, 'name' | 'nameKey'>;
    } | undefined>;
    /** Deletes the name item only if it still belongs to `connectionId`; false if it did not. */
    releaseName(nameKey: string, connectionId: string): Promise<boolean>;
    /** Deletes the connection and returns what it was, or undefined if it was already gone. */
    deleteConnection(connectionId: string): Promise<ConnectionRecord | undefined>;
    /** Display names of every member whose claim has not expired (a Query, never a Scan). */
    listMembers(nowSeconds: number): Promise<string[]>;
    /** The connection ids of one shard, a page at a time (a Query on the shard index). */
    connectionPages(shard: number): AsyncIterable<string[]>;
}
export interface ChatEventPublisher {
    /** Publishes every event or throws; partial failures are retried inside. */
    publish(events: ChatEvent[]): Promise<void>;
}
export type SendResult = 'sent' | 'gone';
export interface ConnectionSender {
    /** Posts one frame. 'gone' when the connection no longer exists; throws on other failures. */
    send(connectionId: string, data: string): Promise<SendResult>;
}
