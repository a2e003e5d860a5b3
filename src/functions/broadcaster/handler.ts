import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { ChatService } from '../../chat/chat-service';
import { FanOut, type FanOutResult } from '../../chat/fan-out';
import { EventBridgePublisher } from '../../delivery/event-bridge-publisher';
import {
  createConnectionSender,
  createDynamoDbClients,
  createEventBridgeClient,
  queueOfUnpublishedEvents,
} from '../../shared/aws-clients';
import { broadcasterEnvironment, loadConfig } from '../../shared/config';
import { metrics } from '../../shared/metrics';
import { logger, tracer } from '../../shared/powertools';
import { DynamoDbConnectionStore } from '../../stores/dynamodb-connection-store';
import { parseChatEventEnvelope } from './chat-event-envelope';

const config = loadConfig(broadcasterEnvironment);
const dynamoDb = createDynamoDbClients();
const store = new DynamoDbConnectionStore(dynamoDb.document, config.CHAT_TABLE_NAME);
const eventBridge = createEventBridgeClient();
// The parts of a large room are published without parking: a failure fails the invocation, Lambda
// retries it, and the parts published again carry the same idempotency keys (docs/architecture.md).
const partsPublisher = new EventBridgePublisher(eventBridge, config.EVENT_BUS_NAME);
const chat = new ChatService({
  store,
  // A prune's "Member Left" that PutEvents would not take is parked, as chat-api's events are: failing
  // the invocation instead would not bring it back (the retry finds the connection already deleted).
  publisher: new EventBridgePublisher(eventBridge, config.EVENT_BUS_NAME, {
    unpublished: queueOfUnpublishedEvents(config.UNPUBLISHED_EVENTS_QUEUE_URL),
    onParked: (events) =>
      logger.error('Chat events parked for re-drive: PutEvents would not take them', {
        parked: events.length,
        errorCodes: events.map((event) => event.errorCode),
      }),
  }),
  shardCount: config.SHARD_COUNT,
});

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

const fanOut = new FanOut({
  store,
  sender: createConnectionSender(config.CALLBACK_URL, config.SEND_CONCURRENCY, dynamoDb.client.config),
  concurrency: config.SEND_CONCURRENCY,
  shardCount: config.SHARD_COUNT,
  split: {
    publisher: partsPublisher,
    recipientsPerDelivery: config.RECIPIENTS_PER_DELIVERY,
    maxParallelDeliveries: config.MAX_PARALLEL_DELIVERIES,
  },
  presenceFullListMax: config.PRESENCE_FULL_LIST_MAX,
  onGone: async (connectionId, detail) => {
    // Same code path as $disconnect, except for a connection still inside its connect window.
    const pruned = await chat.goneOnDelivery(connectionId, detail.correlationId);
    logger.info(
      pruned
        ? 'Pruned stale connection'
        : 'Kept a connection the post found gone (connecting, or already removed)',
      {
        staleConnectionId: connectionId,
      },
    );
  },
});

const lambdaHandler = async (
  rawEvent: unknown,
): Promise<Pick<FanOutResult, 'recipients' | 'framesSent' | 'gone'>> => {
  const event = parseChatEventEnvelope(rawEvent);
  const detailType = event['detail-type'];
  logger.appendKeys({ eventType: detailType, eventId: event.id, audience: event.detail.audience });
  tracer.putAnnotation('eventType', detailType);

  const { throttledConnectionIds, throttled, ...result } = await traceFanOut(() =>
    fanOut.deliver(event.detail, { id: event.id, detailType }),
  );
  metrics.addMetric('FramesDelivered', MetricUnit.Count, result.framesSent);
  metrics.addMetric('StaleConnectionsPruned', MetricUnit.Count, result.gone);
  metrics.addMetric('ThrottledRecipientsGivenUp', MetricUnit.Count, throttled);
  if (throttled > 0) {
    // A slow reader (or the account's rate) kept answering 429 through every deferred pass.
    logger.warn('Gave up on throttled recipients', { throttled, throttledConnectionIds });
  }
  logger.info('Event delivered', { ...result, throttled });
  return result;
};

/**
 * One X-Ray subsegment for the whole fan-out, with its counts as metadata: the @connections client
 * is not traced per call, since a subsegment per post cost more CPU than the post itself.
 */
const traceFanOut = async (deliver: () => Promise<FanOutResult>): Promise<FanOutResult> => {
  const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!parent) return deliver();
  const subsegment = parent.addNewSubsegment('### fan-out');
  tracer.setSegment(subsegment);
  try {
    const result = await deliver();
    const { throttledConnectionIds: _ids, ...counts } = result;
    subsegment.addMetadata('fanOut', { ...counts, concurrency: config.SEND_CONCURRENCY });
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
const idempotentHandler = makeIdempotent(lambdaHandler, idempotency);

export const handler = middy(idempotentHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { correlationIdPath: 'detail.correlationId', clearState: true }))
  .use(logMetrics(metrics));
