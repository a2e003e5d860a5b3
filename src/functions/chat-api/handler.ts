import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { ChatService, ConnectionRecordMissingError } from '../../chat/chat-service';
import { ClientError, DeliveryDelayedError } from '../../chat/errors';
import { errorFrame, type ServerFrame } from '../../chat/frames';
import { perMinute, perSecond } from '../../chat/rate-limit';
import { PING_ACTION, parseFrame, unknownAction } from '../../chat/rules';
import { EventBridgePublisher } from '../../delivery/event-bridge-publisher';
import type { UnpublishedEvent } from '../../delivery/unpublished-events';
import {
  createConnectionSender,
  createDynamoDbClients,
  createEventBridgeClient,
  queueOfUnpublishedEvents,
} from '../../shared/aws-clients';
import { chatApiEnvironment, loadConfig } from '../../shared/config';
import { logger, tracer } from '../../shared/powertools';
import { DynamoDbConnectionStore } from '../../stores/dynamodb-connection-store';
import { bodyText, parseWebSocketEvent, type RouteKey, type WebSocketEvent } from './websocket-event';

const config = loadConfig(chatApiEnvironment);
const dynamoDb = createDynamoDbClients();

/**
 * The events of the running request that PutEvents would not take after every retry, parked in the
 * unpublished-events queue instead (an environment runs one request at a time, so this is that
 * request's). Why park rather than fail the request or ask the sender to resend
 * (docs/architecture.md, "Delivery guarantees"): a join publishes two entries (the broadcast and
 * the joiner's list), and one may be on the bus when the other fails; joins, renames and leaves
 * (from $disconnect, or the broadcaster's prune) have no sender who could resend; and asking a
 * sender to resend would need an id the sender chooses, which a connection could use to silence
 * anyone else's message (clients drop frames by `id`). A parked event is delivered when re-driven;
 * the sender is told (DELIVERY_DELAYED) and the queue's alarm tells an operator.
 */
let parkedInRequest: UnpublishedEvent[] = [];
const publisher = new EventBridgePublisher(createEventBridgeClient(), config.EVENT_BUS_NAME, {
  unpublished: queueOfUnpublishedEvents(config.UNPUBLISHED_EVENTS_QUEUE_URL),
  onParked: (events) => {
    parkedInRequest.push(...events);
    logger.error('Chat events parked for re-drive: PutEvents would not take them', {
      parked: events.length,
      detailTypes: events.map((event) => event.entry.DetailType),
      errorCodes: events.map((event) => event.errorCode),
    });
  },
});
const chat = new ChatService({
  store: new DynamoDbConnectionStore(dynamoDb.document, config.CHAT_TABLE_NAME),
  publisher,
  shardCount: config.SHARD_COUNT,
  limits: {
    public: perSecond(config.PUBLIC_MESSAGE_BURST, config.PUBLIC_MESSAGES_PER_SECOND),
    private: perSecond(config.PRIVATE_MESSAGE_BURST, config.PRIVATE_MESSAGES_PER_SECOND),
    name: perMinute(config.NAME_CHANGE_BURST, config.NAME_CHANGES_PER_MINUTE),
  },
});
// Replies go to one connection (the caller), so one socket is plenty.
const replies = createConnectionSender(config.CALLBACK_URL, 4, dynamoDb.client.config);

interface RouteRequest {
  event: WebSocketEvent;
  connectionId: string;
  correlationId: string;
}
/** A route returns the frame to send back to the caller, if any. */
type Route = (request: RouteRequest) => Promise<ServerFrame | undefined>;

const frameOf = (event: WebSocketEvent) => parseFrame(bodyText(event));

const routes: Record<RouteKey, Route> = {
  $connect: async ({ connectionId }) => {
    await chat.connect(connectionId);
    return undefined;
  },
  $disconnect: async ({ connectionId, correlationId }) => {
    await chat.leave(connectionId, correlationId);
    return undefined;
  },
  $default: async ({ event }) => {
    if (frameOf(event).action === PING_ACTION) return { type: 'pong' };
    throw unknownAction();
  },
  setName: async ({ event, connectionId, correlationId }) =>
    chat.setName(connectionId, frameOf(event).name, correlationId),
  sendPublic: async ({ event, connectionId, correlationId }) => {
    await chat.sendPublic(connectionId, frameOf(event).message, correlationId);
    return undefined;
  },
  sendPrivate: async ({ event, connectionId, correlationId }) => {
    const frame = frameOf(event);
    await chat.sendPrivate(connectionId, frame.to, frame.message, correlationId);
    return undefined;
  },
};

const isRouteKey = (key: string): key is RouteKey => Object.hasOwn(routes, key);

/** The action a rejected frame asked for, echoed in the error frame when there is one. */
const requestedAction = (event: WebSocketEvent, routeKey: string): string | undefined => {
  if (routeKey !== '$default') return routeKey;
  try {
    const { action } = frameOf(event);
    return typeof action === 'string' ? action : undefined;
  } catch {
    return undefined;
  }
};

/** Routes whose caller cannot be answered: not connected yet, or gone. */
const UNANSWERABLE: ReadonlySet<string> = new Set(['$connect', '$disconnect']);

const reply = async (connectionId: string, correlationId: string, frame: ServerFrame) => {
  if ((await replies.send(connectionId, JSON.stringify(frame))) === 'gone') {
    logger.info('Caller left before its reply was delivered');
    await chat.leave(connectionId, correlationId);
  }
};

const lambdaHandler = async (rawEvent: unknown): Promise<{ statusCode: number }> => {
  const event = parseWebSocketEvent(rawEvent);
  const { routeKey, connectionId, requestId } = event.requestContext;
  logger.appendKeys({ route: routeKey, connectionId });
  tracer.putAnnotation('route', routeKey);
  if (!isRouteKey(routeKey)) throw new Error(`No handler for route ${routeKey}`);

  const request = { event, connectionId, correlationId: requestId };
  parkedInRequest = [];
  try {
    const frame = await routes[routeKey](request);
    if (frame) await reply(connectionId, requestId, frame);
    // Never a silent success for a message that did not reach everyone yet.
    if (parkedInRequest.length > 0 && !UNANSWERABLE.has(routeKey)) {
      await reply(connectionId, requestId, errorFrame(new DeliveryDelayedError(), routeKey));
    }
    logger.info('Request handled');
  } catch (error) {
    if (error instanceof ConnectionRecordMissingError) {
      // $disconnect (or a prune after a 410) removed the caller's record during this request: the
      // caller has gone, there is nobody to answer, and nothing failed.
      logger.info('Caller left during the request', { reason: error.message });
      return { statusCode: 200 };
    }
    if (!(error instanceof ClientError)) throw error;
    logger.info('Request rejected', { code: error.code, reason: error.message });
    await reply(connectionId, requestId, errorFrame(error, requestedAction(event, routeKey)));
  }
  return { statusCode: 200 };
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { correlationIdPath: 'requestContext.requestId', clearState: true }));
