import {
  DeleteCommand,
  type DynamoDBDocumentClientResolvedConfig,
  PutCommand,
  QueryCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/lib-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';

type DynamoStub = AwsStub<ServiceInputTypes, ServiceOutputTypes, DynamoDBDocumentClientResolvedConfig>;

/**
 * Answers the exact-key index lookups ChatService makes before it announces a presence change
 * (`inShardIndex`, `isListed`) as indexes that have caught up: a connection is in its shard, and a
 * name is listed when the last write of its item was a Put. The lag itself is tested through the
 * ports (tests/unit/src/chat/chat-service-index-lag.test.ts).
 */
export function indexesCaughtUp(dynamo: DynamoStub): void {
  dynamo
    .on(QueryCommand, { KeyConditionExpression: '#shard = :shard AND #connectionId = :connectionId' })
    .callsFake((input) => ({ Items: [{ connectionId: input.ExpressionAttributeValues[':connectionId'] }] }));
  dynamo
    .on(QueryCommand, { KeyConditionExpression: '#memberList = :members AND #nameKey = :nameKey' })
    .callsFake((input) => {
      const pk = `NAME#${input.ExpressionAttributeValues[':nameKey']}`;
      const last = dynamo
        .calls()
        .map((call) => call.args[0])
        .filter((command) => {
          if (command instanceof PutCommand) return command.input.Item?.pk === pk;
          if (command instanceof DeleteCommand) return command.input.Key?.pk === pk;
          return false;
        })
        .at(-1);
      return { Items: last instanceof PutCommand ? [{ nameKey: pk.slice(5) }] : [] };
    });
}
