import type { BroadcastFrame } from './frames';
/** EventBridge `source` of every chat event; the broadcaster's rule matches it. */
export declare const CHAT_EVENT_SOURCE = "chat.api";
export declare const DETAIL_TYPES: {
    readonly memberJoined: "Member Joined";
    readonly memberRenamed: "Member Renamed";
    readonly memberLeft: "Member Left";
    readonly publicMessage: "Public Message Sent";
    readonly privateMessage: "Private Message Sent";
};
export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];
/**
 * Who receives an event: every connection of one shard (a broadcast is published as one event per
 * shard, so each shard is delivered by its own broadcaster invocation), or named connections.
 */
export type Audience = {
    kind: 'shard';
    shard: number;
} | {
    kind: 'connections';
    connectionIds: string[];
};
export interface ChatEventDetail {
    /** Follows a request from chat-api through EventBridge into the broadcaster's logs. */
    correlationId: string;
    audience: Audience;
    /** Sent in order to every recipient. */
    frames: BroadcastFrame[];
    /** Also send the current members list (after a join, rename or leave). */
    includeMembers: boolean;
}
export interface ChatEvent {
    detailType: DetailType;
    detail: ChatEventDetail;
}
/** One event per shard: the publisher's latency depends on the shard count, never on the audience. */
export declare const broadcastEvents: (detailType: DetailType, frames: BroadcastFrame[], options: {
    shardCount: number;
    correlationId: string;
    includeMembers: boolean;
}) => ChatEvent[];
export declare const directEvent: (detailType: DetailType, connectionIds: string[], frames: BroadcastFrame[], correlationId: string) => ChatEvent;
