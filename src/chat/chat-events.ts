import { z } from 'zod';
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

// What the broadcaster accepts. Frames are checked for the fields every client relies on; the
// rest of a frame passes through untouched so the wire format is decided in frames.ts only.
const stampedFrame = z.looseObject({
  type: z.enum(['system', 'public', 'private']),
  id: z.string().min(1),
  ts: z.number(),
  text: z.string(),
});

export const chatEventDetailSchema = z.object({
  correlationId: z.string().min(1),
  audience: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('shard'), shard: z.number().int().nonnegative() }),
    z.object({ kind: z.literal('connections'), connectionIds: z.array(z.string().min(1)).min(1) }),
  ]),
  frames: z.array(stampedFrame),
  includeMembers: z.boolean(),
});

export const chatEventEnvelopeSchema = z.looseObject({
  id: z.string().min(1),
  'detail-type': z.enum(Object.values(DETAIL_TYPES) as [DetailType, ...DetailType[]]),
  source: z.literal(CHAT_EVENT_SOURCE),
  detail: chatEventDetailSchema,
});

export type ChatEventEnvelope = z.infer<typeof chatEventEnvelopeSchema>;

/**
 * Validates the event as the broadcaster receives it from EventBridge; throws on anything else.
 * Returns the event itself rather than zod's copy, so frames keep the key order frames.ts gave them.
 */
export const parseChatEventEnvelope = (event: unknown): ChatEventEnvelope & { detail: ChatEventDetail } => {
  chatEventEnvelopeSchema.parse(event);
  return event as ChatEventEnvelope & { detail: ChatEventDetail };
};
