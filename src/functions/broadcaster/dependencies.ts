import { ChatService } from '../../chat/chat-service';
import { FanOut } from '../../chat/fan-out';
import { PresenceBatch } from '../../chat/presence-batch';
import { EventBridgePublisher } from '../../delivery/event-bridge-publisher';
import { RetryTally } from '../../delivery/retry-tally';
import {
  createConnectionSender,
  createDynamoDbClients,
  createEventBridgeClient,
  presenceQueueAt,
  queueOfUnpublishedEvents,
} from '../../shared/aws-clients';
import { broadcasterEnvironment, loadConfig } from '../../shared/config';
import { logger } from '../../shared/powertools';
import { DynamoDbConnectionStore } from '../../stores/dynamodb-connection-store';

// The broadcaster's parts, built once per execution environment and shared by both of its paths
// (EventBridge chat events, and PresenceQueue batches).
export const config = loadConfig(broadcasterEnvironment);
export const dynamoDb = createDynamoDbClients();
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

/** Posts retried in this invocation, by cause: each summary log takes them. */
export const postRetries = new RetryTally();

export const fanOut = new FanOut({
  store,
  sender: createConnectionSender(
    config.CALLBACK_URL,
    config.SEND_CONCURRENCY,
    dynamoDb.client.config,
    postRetries.record,
  ),
  concurrency: config.SEND_CONCURRENCY,
  shardCount: config.SHARD_COUNT,
  split: {
    publisher: partsPublisher,
    recipientsPerDelivery: config.RECIPIENTS_PER_DELIVERY,
    maxParallelDeliveries: config.MAX_PARALLEL_DELIVERIES,
  },
  presenceFullListMax: config.PRESENCE_FULL_LIST_MAX,
  presenceQueue: presenceQueueAt(config.PRESENCE_QUEUE_URL),
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

export const presenceBatch = new PresenceBatch({ store, fanOut });
