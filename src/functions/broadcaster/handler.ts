import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { metrics } from '../../shared/metrics';
import { logger, tracer } from '../../shared/powertools';
import { type ChatEventDelivered, deliverChatEvent } from './chat-event-delivery';
import { type BatchResponse, deliverPresenceBatch } from './presence-batch-delivery';
import { isRecordsEvent } from './presence-queue-records';

/**
 * The broadcaster has two sources: EventBridge (one chat event, in its envelope) and PresenceQueue
 * (an SQS batch, `Records`). The event's shape says which; anything else is refused by the
 * EventBridge path's check, with every problem named.
 */
const route = (event: unknown, context: unknown): Promise<ChatEventDelivered | BatchResponse> =>
  isRecordsEvent(event) ? deliverPresenceBatch(event) : deliverChatEvent(event, context);

export const handler = middy(route)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { correlationIdPath: 'detail.correlationId', clearState: true }))
  .use(logMetrics(metrics));
