import { type NameFrame } from './frames';
import type { ChatEventPublisher, ConnectionRecord, ConnectionStore } from './ports';
/** API Gateway closes every connection after 2 hours; records outlive that only by this margin. */
export declare const CONNECTION_TTL_SECONDS: number;
/**
 * A name item whose owner does not hold that name may be mid-setName in another invocation; it is
 * only treated as orphaned (left by a failed setName) once it is older than any invocation can run.
 */
export declare const ORPHANED_CLAIM_AFTER_MS = 60000;
export interface ChatServiceOptions {
    store: ConnectionStore;
    publisher: ChatEventPublisher;
    shardCount: number;
    now?: () => number;
    newId?: (now: number) => string;
}
export declare class ConnectionRecordMissingError extends Error {
    readonly name = "ConnectionRecordMissingError";
    constructor(connectionId: string);
}
/** The chat's use cases. Each publishes at most one batch of events, whatever the audience size. */
export declare class ChatService {
    #private;
    constructor(options: ChatServiceOptions);
    connect(connectionId: string): Promise<void>;
    /**
     * Claims the name first (conditional put on the name item), then records it on the connection,
     * then releases the old name only if it is still ours. No step needs a transaction: a crash
     * between steps leaves at most an orphaned name item, which a later setName can take over.
     */
    setName(connectionId: string, rawName: unknown, correlationId: string): Promise<NameFrame>;
    sendPublic(connectionId: string, rawMessage: unknown, correlationId: string): Promise<void>;
    sendPrivate(connectionId: string, rawTo: unknown, rawMessage: unknown, correlationId: string): Promise<void>;
    /**
     * The one way a connection leaves, used by $disconnect and by the broadcaster on GoneException:
     * delete the connection, release its name, tell everyone. A second call for the same connection
     * finds nothing to delete and tells nobody, so racing $disconnect and Gone announce it once.
     */
    leave(connectionId: string, correlationId: string): Promise<ConnectionRecord | undefined>;
}
