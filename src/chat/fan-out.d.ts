import type { ChatEventDetail } from './chat-events';
import type { ConnectionSender, ConnectionStore } from './ports';
export interface FanOutOptions {
    store: ConnectionStore;
    sender: ConnectionSender;
    /** Called once for every connection that turned out to be gone (the chat's leave logic). */
    onGone: (connectionId: string, detail: ChatEventDetail) => Promise<void>;
    concurrency: number;
    now?: () => number;
}
export interface FanOutResult {
    recipients: number;
    framesSent: number;
    gone: number;
}
/**
 * Delivers one chat event to its audience: the connections of one shard (read page by page from
 * the shard index) or the named connections, with a bounded number of posts in flight.
 */
export declare class FanOut {
    #private;
    constructor(options: FanOutOptions);
    deliver(detail: ChatEventDetail): Promise<FanOutResult>;
}
