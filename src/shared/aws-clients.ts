import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools';

// Clients are built once per execution environment. DynamoDB and EventBridge are traced, so every
// call is an X-Ray subsegment; the @connections client is not (the broadcaster traces each fan-out
// as one subsegment). Endpoints come from the SDK's own configuration (AWS_ENDPOINT_URL_* when set).

export const createDynamoDbClients = () => {
  const client = tracer.captureAWSv3Client(new DynamoDBClient({}));
  const document = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { client, document };
};

export const createEventBridgeClient = () => tracer.captureAWSv3Client(new EventBridgeClient({}));

/**
 * The @connections client. `callbackUrl` is the stage's https endpoint. Keep-alive sockets, as
 * many as posts in flight, so a fan-out does not pay a TLS handshake per message. Not traced: a
 * subsegment per post cost about 0.3 ms of CPU, more than the rest of the post. maxAttempts 1:
 * the sender owns the retry policy (410 is an answer, 429 is backed off).
 */
export const createManagementApiClient = (callbackUrl: string, maxSockets: number) => {
  const agentOptions = { keepAlive: true, maxSockets };
  return new ApiGatewayManagementApiClient({
    endpoint: callbackUrl,
    maxAttempts: 1,
    requestHandler: { httpAgent: new HttpAgent(agentOptions), httpsAgent: new HttpsAgent(agentOptions) },
  });
};
