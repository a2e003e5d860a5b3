import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { FanOutResult, QueueDecision } from '../../chat/fan-out';
import type { ConnectionKey } from '../../chat/sharding';
import { metrics } from '../../shared/metrics';
import { logger, tracer } from '../../shared/powertools';
import { type ChatEventEnvelope, parseChatEventEnvelope } from './chat-event-envelope';
import { config, dynamoDb, fanOut, postRetries } from './dependencies';

// A redelivered EventBridge event has the same envelope id: the second copy returns the stored
// result instead of posting the frames again. Records outlive every retry window (see template).
const idempotency = {
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: config.IDEMPOTENCY_TABLE_NAME,
    awsSdkV3Client: dynamoDb.client,
  }),
  // A part of a split room is keyed on the room event and its range (src/chat/sharding.ts, partKey).
  config: new IdempotencyConfig({
    eventKeyJmesPath: 'detail.audience.key || id',
    expiresAfterSeconds: 2 * 60 * 60,
  }),
};

export type ChatEventDelivered = Pick<FanOutResult, 'recipients' | 'framesSent' | 'gone' | 'queued'>;

const record = ({ throttledConnectionIds, throttled, ...result }: FanOutResult): ChatEventDelivered => {
  metrics.addMetric('FramesDelivered', MetricUnit.Count, result.framesSent);
  metrics.addMetric('StaleConnectionsPruned', MetricUnit.Count, result.gone);
  metrics.addMetric('ThrottledRecipientsGivenUp', MetricUnit.Count, throttled);
  if (throttled > 0) {
    // A slow reader (or the account's rate) kept answering 429 through every deferred pass.
    logger.warn('Gave up on throttled recipients', { throttled, throttledConnectionIds });
  }
  const retried = postRetries.take();
  metrics.addMetric('PostsRetried', MetricUnit.Count, retried.retriedPosts);
  logger.info(result.queued ? 'Presence event queued to be coalesced' : 'Event delivered', {
    ...result,
    throttled,
    ...retried,
  });
  return result;
};

const countsOf = ({ throttledConnectionIds: _ids, ...counts }: FanOutResult) => counts;

// The event is the envelope the caller validated (the idempotency key is read from it); the context
// is for makeIdempotent (it bounds the in-progress lock by the remaining time); `decided` is the room
// size the caller already read and `audience` the room's read it already started (neither is part
// of the idempotency key, which is the event's).
const deliver = async (
  event: ChatEventEnvelope,
  _context?: unknown,
  decided?: QueueDecision,
  audience?: Promise<ConnectionKey[]>,
) =>
  record(
    await traceFanOut(
      () =>
        fanOut.deliver(
          event.detail,
          { id: event.id, detailType: event['detail-type'] },
          { decided, audience },
        ),
      countsOf,
    ),
  );

/**
 * One X-Ray subsegment for the whole fan-out, with its counts as metadata: the @connections client
 * is not traced per call, since a subsegment per post cost more CPU than the post itself.
 */
export const traceFanOut = async <Result>(
  deliver: () => Promise<Result>,
  counts: (result: Result) => object,
): Promise<Result> => {
  const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!parent) return deliver();
  const subsegment = parent.addNewSubsegment('### fan-out');
  tracer.setSegment(subsegment);
  try {
    const result = await deliver();
    subsegment.addMetadata('fanOut', { ...counts(result), concurrency: config.SEND_CONCURRENCY });
    return result;
  } catch (error) {
    subsegment.addError(error as Error);
    throw error;
  } finally {
    subsegment.close();
    tracer.setSegment(parent);
  }
};

// makeIdempotent, not the makeHandlerIdempotent middleware: in Powertools 2.35 the middleware's
// error hook deletes the record when a copy is rejected as already in progress, removing the running
// delivery's lock, so the next copy delivers again (powertools-lambda-typescript#5675).
const idempotentDeliver = makeIdempotent(deliver, idempotency);

/**
 * The EventBridge path: one chat event (or a part of a split room), delivered at most once per key.
 * A large room's presence event is only queued to PresenceQueue, and that is done before (and
 * without) the idempotency record: a change queued twice is harmless (the batch nets it with itself
 * and restates it as the claims are now; docs/architecture.md, "Presence"), and the record's two
 * writes were half of that path's DynamoDB calls.
 */
export const deliverChatEvent = async (rawEvent: unknown, context: unknown): Promise<ChatEventDelivered> => {
  const event = parseChatEventEnvelope(rawEvent);
  const detailType = event['detail-type'];
  logger.appendKeys({ eventType: detailType, eventId: event.id, audience: event.detail.audience });
  tracer.putAnnotation('eventType', detailType);
  postRetries.take();
  const decided = await fanOut.queueIfLarge(event.detail);
  if (!('size' in decided)) return record(decided);
  // The room's audience Query goes out beside the idempotency record's PutItem, not after it. Only
  // once the event is known not to be queued: a large room's presence event never reads it.
  const audience = fanOut.readRoomAudience(event.detail);
  try {
    return await idempotentDeliver(event, context, decided, audience);
  } finally {
    // A copy the record refused never awaited the read: it must not outlive the invocation (a
    // frozen environment would resume it in a later one, its socket and trace segment stale).
    await audience?.catch(() => undefined);
  }
};
