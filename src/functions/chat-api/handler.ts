import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { ChatService, ConnectionRecordMissingError } from '../../chat/chat-service';
import { ClientError } from '../../chat/errors';
import { errorFrame, type ServerFrame } from '../../chat/frames';
import { perMinute, perSecond } from '../../chat/rate-limit';
import { PING_ACTION, parseFrame, unknownAction } from '../../chat/rules';
import { EventBridgePublisher } from '../../delivery/event-bridge-publisher';
import {
  createConnectionSender,
  createDynamoDbClients,
  createEventBridgeClient,
} from '../../shared/aws-clients';
import { chatApiEnvironment, loadConfig } from '../../shared/config';
import { logger, tracer } from '../../shared/powertools';
import { DynamoDbConnectionStore } from '../../stores/dynamodb-connection-store';
import { bodyText, parseWebSocketEvent, type RouteKey, type WebSocketEvent } from './websocket-event';

const config = loadConfig(chatApiEnvironment);
const dynamoDb = createDynamoDbClients();
const chat = new ChatService({
  store: new DynamoDbConnectionStore(dynamoDb.document, config.CHAT_TABLE_NAME),
  publisher: new EventBridgePublisher(createEventBridgeClient(), config.EVENT_BUS_NAME),
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
  try {
    const frame = await routes[routeKey](request);
    if (frame) await reply(connectionId, requestId, frame);
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
