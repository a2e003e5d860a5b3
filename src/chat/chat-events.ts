import type { BroadcastFrame } from './frames';

/** EventBridge `source` of every chat event; the broadcaster's rule matches it. */
export const CHAT_EVENT_SOURCE = 'chat.api';

export const DETAIL_TYPES = {
  memberJoined: 'Member Joined',
  memberRenamed: 'Member Renamed',
  memberLeft: 'Member Left',
  publicMessage: 'Public Message Sent',
  privateMessage: 'Private Message Sent',
} as const;
export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/**
 * Who receives an event: every connection of one shard (a broadcast is published as one event per
 * shard, so each shard is delivered by its own broadcaster invocation), or named connections.
 */
export type Audience = { kind: 'shard'; shard: number } | { kind: 'connections'; connectionIds: string[] };

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
export const broadcastEvents = (
  detailType: DetailType,
  frames: BroadcastFrame[],
  options: { shardCount: number; correlationId: string; includeMembers: boolean },
): ChatEvent[] =>
  Array.from({ length: options.shardCount }, (_, shard) => ({
    detailType,
    detail: {
      correlationId: options.correlationId,
      audience: { kind: 'shard', shard },
      frames,
      includeMembers: options.includeMembers,
    },
  }));

export const directEvent = (
  detailType: DetailType,
  connectionIds: string[],
  frames: BroadcastFrame[],
  correlationId: string,
): ChatEvent => ({
  detailType,
  detail: { correlationId, audience: { kind: 'connections', connectionIds }, frames, includeMembers: false },
});
