/**
 * The naive baseline: broadcast the way the common AWS WebSocket chat samples do it (the
 * "sendmessage" function of simple-websockets-chat-app, ported to SDK v3). It Scans the whole
 * table for connections and posts to all of them at once with Promise.all over one
 * @connections client; there is no sharding and no bound on posts in flight beyond the SDK's
 * own socket pool. It exists only so the bench can compare our broadcaster with it on the same
 * stack; it is never deployed.
 *
 * Two deliberate deviations, so that the comparison is about speed and not about correctness:
 * the Scan is paginated (the samples read one page, which silently drops connections past 1 MB),
 * and a gone connection is recognised with `instanceof GoneException` (the samples' SDK v2
 * `statusCode === 410` check never fires in v3).
 */
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

const tableName = process.env.CHAT_TABLE_NAME;
const callbackUrl = process.env.CALLBACK_URL;
if (!tableName || !callbackUrl) throw new Error('CHAT_TABLE_NAME and CALLBACK_URL must be set');

const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const api = new ApiGatewayManagementApiClient({ endpoint: callbackUrl });

/** What the sample's route receives: an API Gateway MESSAGE event whose body carries the data to send. */
export interface NaiveEvent {
  body: string;
}

export const handler = async (event: NaiveEvent): Promise<{ statusCode: number; body: string }> => {
  const { data } = JSON.parse(event.body) as { data: string };

  const connectionIds: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: tableName,
        // The table is shared with name claims, which also carry a connectionId.
        FilterExpression: 'begins_with(pk, :conn)',
        ExpressionAttributeValues: { ':conn': 'CONN#' },
        ProjectionExpression: 'connectionId',
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) connectionIds.push(String(item.connectionId));
    startKey = page.LastEvaluatedKey;
  } while (startKey);

  const postCalls = connectionIds.map(async (connectionId) => {
    try {
      await api.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
    } catch (e) {
      if (e instanceof GoneException) {
        await ddb.send(new DeleteCommand({ TableName: tableName, Key: { pk: `CONN#${connectionId}` } }));
      } else {
        throw e;
      }
    }
  });
  await Promise.all(postCalls);

  return { statusCode: 200, body: `Data sent to ${connectionIds.length} connections.` };
};
