import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentityProvider, Provider } from '@smithy/types';
import type { RetryPolicyOptions } from '../delivery/connection-sender';
import { SignedHttpConnectionSender } from '../delivery/signed-http-connection-sender';
import { SqsPresenceQueue } from '../delivery/sqs-presence-queue';
import { QueueUnpublishedEvents } from '../delivery/unpublished-events';
import { tracer } from './powertools';

// Clients are built once per execution environment. DynamoDB and EventBridge are traced, so every
// call is an X-Ray subsegment; @connections calls are not (the broadcaster traces each fan-out as
// one subsegment). Endpoints come from the SDK's own configuration (AWS_ENDPOINT_URL_* when set).
// The functions post through createConnectionSender; the SDK @connections client below is kept
// for the tests and the bench that compare both senders (unused, it is not bundled).

/**
 * Every client fails a stalled call fast so it is retried (by the SDK, or by the sender) instead of
 * holding a fan-out lane until the Lambda timeout (chat-api 10 s, broadcaster 30 s). In-region
 * calls answer in single-digit (DynamoDB) to tens of (PutEvents, PostToConnection) milliseconds, so
 * these bounds are far above a healthy call and only cut a stalled one:
 * - connect: 2 s, hundreds of TCP and TLS handshakes in the Region;
 * - request (the whole call, thrown as TimeoutError) and socket (idle during a call): 3 s for
 *   DynamoDB and PutEvents, so the SDK's 3 attempts end within about 9 s, inside chat-api's 10 s;
 *   5 s for a post, so the sender's 3 attempts end within about 15 s, half of the
 *   broadcaster's 30 s. (2 s for posts was tried: on a 2-core machine at load average 30-40 the
 *   local gateway itself took longer, and healthy posts failed.)
 */
export const CLIENT_TIMEOUTS = {
  dynamoDb: { connectionTimeout: 2_000, requestTimeout: 3_000 },
  eventBridge: { connectionTimeout: 2_000, requestTimeout: 3_000 },
  sqs: { connectionTimeout: 2_000, requestTimeout: 3_000 },
  managementApi: { connectionTimeout: 2_000, requestTimeout: 5_000 },
} as const;

const timeouts = ({
  connectionTimeout,
  requestTimeout,
}: {
  connectionTimeout: number;
  requestTimeout: number;
}) => ({
  connectionTimeout,
  requestTimeout,
  // Without it a request over requestTimeout is only logged as a warning (smithy's default).
  throwOnRequestTimeout: true,
  socketTimeout: requestTimeout,
});

export const createDynamoDbClients = () => {
  const client = tracer.captureAWSv3Client(
    new DynamoDBClient({ requestHandler: timeouts(CLIENT_TIMEOUTS.dynamoDb) }),
  );
  const document = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { client, document };
};

export const createEventBridgeClient = () =>
  tracer.captureAWSv3Client(new EventBridgeClient({ requestHandler: timeouts(CLIENT_TIMEOUTS.eventBridge) }));

/**
 * SendMessage, for the queue that keeps chat events EventBridge would not take and for PresenceQueue.
 * Only a PutEvents outage or a large room's presence event calls it, so the SQS client is loaded
 * on first use, not bundled: template.yaml lists
 * `@aws-sdk/client-sqs` as External and Lambda's Node.js runtime provides it (as it does the
 * credential providers). Bundled, it added 27 KB and module-init time to every cold start for a
 * path that is almost never taken.
 */
export const createLazySqsSender = () => {
  let loaded: Promise<(message: SendMessageCommandInput) => Promise<unknown>> | undefined;
  const load = () => {
    loaded ??= (async () => {
      const { SQSClient, SendMessageCommand } = await import('@aws-sdk/client-sqs');
      const client = tracer.captureAWSv3Client(
        // The SDK's own endpoint (the Region's, or AWS_ENDPOINT_URL_SQS), not the queue URL's host:
        // on AWS they are the same, and an endpoint set through the environment is honoured.
        new SQSClient({ requestHandler: timeouts(CLIENT_TIMEOUTS.sqs), useQueueUrlAsEndpoint: false }),
      );
      return (message: SendMessageCommandInput) => client.send(new SendMessageCommand(message));
    })().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    return loaded;
  };
  return {
    send: async (message: SendMessageCommandInput): Promise<unknown> => (await load())(message),
    /** Starts loading the client (during a PutEvents backoff), so parking does not wait for it. */
    prepare: (): void => void load().catch(() => undefined),
  };
};

/**
 * The @connections client. `callbackUrl` is the stage's https endpoint. Keep-alive sockets, as
 * many as posts in flight, so a fan-out does not pay a TLS handshake per message. Not traced: a
 * subsegment per post cost about 0.3 ms of CPU, more than the rest of the post. maxAttempts 1:
 * the sender owns the retry policy (410 is an answer, 429 is deferred, a timeout is retried).
 */
export const createManagementApiClient = (callbackUrl: string, maxSockets: number) => {
  const agentOptions = { keepAlive: true, maxSockets };
  return new ApiGatewayManagementApiClient({
    endpoint: callbackUrl,
    maxAttempts: 1,
    requestHandler: {
      ...timeouts(CLIENT_TIMEOUTS.managementApi),
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    },
  });
};

/**
 * The @connections sender of both functions: PostToConnection signed with the SDK's own SigV4
 * signer over keep-alive sockets (as many as posts in flight), without the SDK client's
 * per-request middleware, which cost about three times the CPU per post (docs/benchmarks.md).
 * Credentials and region are the ones the SDK resolved for another client of the function (its
 * default chain: Lambda's environment variables), so there is one credential chain to trust.
 */
export const createConnectionSender = (
  callbackUrl: string,
  maxSockets: number,
  identity: { credentials: AwsCredentialIdentityProvider; region: string | Provider<string> },
  onRetry?: RetryPolicyOptions['onRetry'],
) =>
  new SignedHttpConnectionSender({
    callbackUrl,
    maxSockets,
    credentials: identity.credentials,
    region: identity.region,
    requestTimeoutMs: CLIENT_TIMEOUTS.managementApi.requestTimeout,
    onRetry,
  });
/** The queue (UnpublishedEventsQueue) where chat events PutEvents would not take are parked. */
export const queueOfUnpublishedEvents = (queueUrl: string): QueueUnpublishedEvents => {
  const sqs = createLazySqsSender();
  return new QueueUnpublishedEvents(queueUrl, sqs.send, sqs.prepare);
};

/**
 * PresenceQueue, where the broadcaster queues a large room's presence events to coalesce them
 * (the same lazily loaded SQS client: small rooms never load it).
 */
export const presenceQueueAt = (queueUrl: string): SqsPresenceQueue =>
  new SqsPresenceQueue(queueUrl, createLazySqsSender().send);
