import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, type LocalStack } from '../../../local/stack';

// The stack's function credentials: the other services take any, @connections only these.
const credentials = LOCAL_CREDENTIALS;

export interface StackClients {
  dynamoDb: DynamoDBClient;
  document: DynamoDBDocumentClient;
  sqs: SQSClient;
  management: ApiGatewayManagementApiClient;
  destroy(): void;
}

/** The real AWS SDK clients, pointed at the local stack with the credentials the stack hands to functions. */
export function stackClients(stack: LocalStack): StackClients {
  const region = stack.model.region;
  const dynamoDb = new DynamoDBClient({ endpoint: stack.awsEndpoint, region, credentials });
  const document = DynamoDBDocumentClient.from(dynamoDb);
  const sqs = new SQSClient({ endpoint: stack.awsEndpoint, region, credentials });
  const management = new ApiGatewayManagementApiClient({
    endpoint: stack.connectionsUrl(),
    region,
    credentials,
  });
  return {
    dynamoDb,
    document,
    sqs,
    management,
    destroy() {
      document.destroy();
      dynamoDb.destroy();
      sqs.destroy();
      management.destroy();
    },
  };
}

/** A resource's physical name from the template's outputs (e.g. ChatTableName). */
export function output(stack: LocalStack, name: string): string {
  const value = stack.model.outputs[name];
  if (value === undefined) throw new Error(`template.yaml has no output ${name}`);
  return value;
}
