import type { BroadcastFrame, PresenceFrame } from './frames';
import type { AudienceKey } from './sharding';

/** EventBridge `source` of every chat event; the broadcaster's rule matches it. */
export const CHAT_EVENT_SOURCE = 'chat.api';

export const DETAIL_TYPES = {
  memberJoined: 'Member Joined',
  memberRenamed: 'Member Renamed',
  memberLeft: 'Member Left',
  publicMessage: 'Public Message Sent',
  privateMessage: 'Private Message Sent',
  /** A large room's presence changes, coalesced over PresenceQueue's batching window (the broadcaster's parts). */
  presenceChanged: 'Presence Changed',
} as const;
export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/**
 * Who receives an event:
 * - `room`: everybody. chat-api publishes ONE such event per broadcast; the broadcaster that gets it
 *   reads the audience (one Query when it is small, which is also its recipient list) and either
 *   delivers it or splits it into `range` parts, as many as the audience size calls for.
 * - `range`: one part of a split room, delivered by its own invocation. `key` is its idempotency
 *   key (the room event's id and the range), so a redelivered room event does not deliver a part twice.
 * - `shard`: one shard, from a chat-api older than audience-sized sharding (still accepted).
 * - `connections`: named connections (private messages, the joiner's list).
 */
export type Audience =
  | { kind: 'room' }
  | { kind: 'range'; key: string; from?: AudienceKey; to?: AudienceKey }
  | { kind: 'shard'; shard: number }
  | { kind: 'connections'; connectionIds: string[] };

/** The one change a join, rename or leave makes to the members list. */
export type PresenceChange =
  | { event: 'joined'; name: string; connectionId: string }
  | { event: 'left'; name: string; connectionId: string }
  | { event: 'renamed'; name: string; previousName: string; connectionId: string };

/**
 * What the broadcaster does about the members list for a presence event. The change travels with
 * the event because the Members index it reads is eventually consistent: the list a recipient gets
 * has the change applied, whatever the index returned (docs/architecture.md, "Presence").
 * - `room`: a broadcast. Audiences up to the threshold get the system line and the full list
 *   (seed-compatible); larger ones get one `presence` frame with the change and no system line.
 * - `full`: the full list, paged when large, to the audience (the joiner's own connection). chat-api
 *   published it as an event of its own before `joinerList`; the broadcaster still takes one.
 */
export interface PresenceDetail {
  change: PresenceChange;
  send: 'room' | 'full';
  /**
   * On a join's `room` event: the joiner (`change.connectionId`) also gets the full list, from this
   * same event, so a join costs one broadcaster invocation, not two.
   */
  joinerList?: boolean;
}

export interface ChatEventDetail {
  /** Follows a request from chat-api through EventBridge into the broadcaster's logs. */
  correlationId: string;
  audience: Audience;
  /** Sent in order to every recipient. */
  frames: BroadcastFrame[];
  /**
   * Also send the current members list (after a join, rename or leave). Kept on presence events
   * so that a broadcaster from before `presence` still sends a list during a deployment.
   */
  includeMembers: boolean;
  /** On join, rename and leave events: the change, which the broadcaster applies to the list. */
  presence?: PresenceDetail;
  /**
   * Sent after `frames`: a large room's changes coalesced over a batch of PresenceQueue (one frame,
   * or pages of one when it is large). Only on the parts the broadcaster publishes itself.
   */
  presenceFrames?: PresenceFrame[];
}

export interface ChatEvent {
  detailType: DetailType;
  detail: ChatEventDetail;
}

/**
 * One event for the whole room, whatever its size: the broadcaster sizes the audience and splits it
 * (chat-api's cost per broadcast is one PutEvents entry).
 */
export const broadcastEvent = (
  detailType: DetailType,
  frames: BroadcastFrame[],
  options: {
    correlationId: string;
    includeMembers: boolean;
    presence?: PresenceChange;
    /** A join: the joiner gets the full list from this event too (PresenceDetail.joinerList). */
    joinerList?: boolean;
  },
): ChatEvent => ({
  detailType,
  detail: {
    correlationId: options.correlationId,
    audience: { kind: 'room' },
    frames,
    includeMembers: options.includeMembers,
    ...(options.presence
      ? {
          presence: {
            change: options.presence,
            send: 'room' as const,
            ...(options.joinerList ? { joinerList: true } : {}),
          },
        }
      : {}),
  },
});

/**
 * The full members list (with the join applied) to the joiner's connection only: how chat-api asked
 * for the joiner's list before `joinerList`. Not published any more; an event of this shape still
 * in flight during a deployment is delivered (the tests of that path build it here).
 */
export const joinerListEvent = (
  change: PresenceChange & { event: 'joined' },
  correlationId: string,
): ChatEvent => ({
  detailType: DETAIL_TYPES.memberJoined,
  detail: {
    correlationId,
    audience: { kind: 'connections', connectionIds: [change.connectionId] },
    frames: [],
    includeMembers: false,
    presence: { change, send: 'full' },
  },
});

export const directEvent = (
  detailType: DetailType,
  connectionIds: string[],
  frames: BroadcastFrame[],
  correlationId: string,
): ChatEvent => ({
  detailType,
  detail: { correlationId, audience: { kind: 'connections', connectionIds }, frames, includeMembers: false },
});

/**
 * One message of PresenceQueue: a presence event of a large room, queued by the broadcaster to be
 * coalesced with the others of its batching window (docs/architecture.md, "Presence").
 * - `send: 'room'`: the change, for everybody (coalesced into one presence frame per batch);
 * - `send: 'full'`: the joiner's connection (`change.connectionId`) needs the full list.
 */
export interface PresenceMessage {
  correlationId: string;
  presence: PresenceDetail;
  /**
   * Orders changes within a batch (a standard queue does not keep order): the id (a ULID, so its
   * time first) of the change's system frame, stamped by chat-api when it made the change.
   */
  at: string;
}
