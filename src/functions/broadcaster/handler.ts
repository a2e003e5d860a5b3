import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { parseChatEventEnvelope } from '../../chat/chat-events';
import { ChatService } from '../../chat/chat-service';
import { FanOut, type FanOutResult } from '../../chat/fan-out';
import { ApiGatewayConnectionSender } from '../../delivery/connection-sender';
import { EventBridgePublisher } from '../../delivery/event-bridge-publisher';
import {
  createDynamoDbClients,
  createEventBridgeClient,
  createManagementApiClient,
} from '../../shared/aws-clients';
import { broadcasterEnvironment, loadConfig } from '../../shared/config';
import { logger, metrics, tracer } from '../../shared/powertools';
import { DynamoDbConnectionStore } from '../../stores/dynamodb-connection-store';

const config = loadConfig(broadcasterEnvironment);
const dynamoDb = createDynamoDbClients();
const store = new DynamoDbConnectionStore(dynamoDb.document, config.CHAT_TABLE_NAME);
const chat = new ChatService({
  store,
  publisher: new EventBridgePublisher(createEventBridgeClient(), config.EVENT_BUS_NAME),
  shardCount: config.SHARD_COUNT,
});

// A redelivered EventBridge event has the same envelope id: the second copy returns the stored
// result instead of posting the frames again. Records outlive every retry window (see template).
const idempotency = {
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: config.IDEMPOTENCY_TABLE_NAME,
    awsSdkV3Client: dynamoDb.client,
  }),
  config: new IdempotencyConfig({ eventKeyJmesPath: 'id', expiresAfterSeconds: 2 * 60 * 60 }),
};

const fanOut = new FanOut({
  store,
  sender: new ApiGatewayConnectionSender(
    createManagementApiClient(config.CALLBACK_URL, config.SEND_CONCURRENCY),
  ),
  concurrency: config.SEND_CONCURRENCY,
  onGone: async (connectionId, detail) => {
    logger.info('Pruning stale connection', { staleConnectionId: connectionId });
    // Same code path as $disconnect: delete the connection and its name, tell the others.
    await chat.goneOnDelivery(connectionId, detail.correlationId);
  },
});

const lambdaHandler = async (rawEvent: unknown): Promise<FanOutResult> => {
  const event = parseChatEventEnvelope(rawEvent);
  const detailType = event['detail-type'];
  logger.appendKeys({ eventType: detailType, eventId: event.id, audience: event.detail.audience });
  tracer.putAnnotation('eventType', detailType);

  const result = await fanOut.deliver(event.detail);
  metrics.addMetric('FramesDelivered', MetricUnit.Count, result.framesSent);
  metrics.addMetric('StaleConnectionsPruned', MetricUnit.Count, result.gone);
  logger.info('Event delivered', { ...result });
  return result;
};

// makeIdempotent, not the makeHandlerIdempotent middleware: in Powertools 2.35 the middleware's
// error hook deletes the record when a copy is rejected as already in progress, removing the running
// delivery's lock, so the next copy delivers again (powertools-lambda-typescript#5675).
const idempotentHandler = makeIdempotent(lambdaHandler, idempotency);

export const handler = middy(idempotentHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { correlationIdPath: 'detail.correlationId', clearState: true }))
  .use(logMetrics(metrics));
