import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ConnectionRecord, ConnectionStore, NameClaim } from '../chat/ports';

/**
 * Single-table layout (docs/architecture.md):
 * - connection item: pk `CONN#<connectionId>`; `shard` puts it in the ByShard index.
 * - name item: pk `NAME#<lowercased name>`; `memberList` puts it in the sparse Members index.
 * Both carry `expiresAt` (TTL) because $disconnect is not guaranteed. Every attribute in an
 * expression goes through ExpressionAttributeNames: `shard` and `name` are DynamoDB reserved words.
 */
export const SHARD_INDEX = 'ByShard';
export const MEMBERS_INDEX = 'Members';
export const MEMBER_LIST = 'members';

export const connectionKey = (connectionId: string) => ({ pk: `CONN#${connectionId}` });
export const nameKey = (key: string) => ({ pk: `NAME#${key}` });

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

const toConnection = (item: Record<string, unknown>): ConnectionRecord => ({
  connectionId: String(item.connectionId),
  shard: Number(item.shard),
  connectedAt: Number(item.connectedAt),
  expiresAt: Number(item.expiresAt),
  ...(typeof item.name === 'string' ? { name: item.name } : {}),
  ...(typeof item.nameKey === 'string' ? { nameKey: item.nameKey } : {}),
});

const toClaim = (item: Record<string, unknown>): NameClaim => ({
  nameKey: String(item.nameKey),
  name: String(item.name),
  connectionId: String(item.connectionId),
  claimedAt: Number(item.claimedAt),
  expiresAt: Number(item.expiresAt),
});

const claimItem = (claim: NameClaim) => ({ ...nameKey(claim.nameKey), ...claim, memberList: MEMBER_LIST });

export class DynamoDbConnectionStore implements ConnectionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async putConnection(record: ConnectionRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...connectionKey(record.connectionId), ...record },
      }),
    );
  }

  async getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: connectionKey(connectionId), ConsistentRead: true }),
    );
    return Item ? toConnection(Item) : undefined;
  }

  async claimName(claim: NameClaim, nowSeconds: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: claimItem(claim),
          ConditionExpression: 'attribute_not_exists(#pk) OR #owner = :me OR #expiresAt < :now',
          ExpressionAttributeNames: { '#pk': 'pk', '#owner': 'connectionId', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':me': claim.connectionId, ':now': nowSeconds },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async takeOverName(claim: NameClaim, previous: NameClaim): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: claimItem(claim),
          ConditionExpression: '#owner = :owner AND #claimedAt = :claimedAt',
          ExpressionAttributeNames: { '#owner': 'connectionId', '#claimedAt': 'claimedAt' },
          ExpressionAttributeValues: { ':owner': previous.connectionId, ':claimedAt': previous.claimedAt },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getName(key: string): Promise<NameClaim | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: nameKey(key), ConsistentRead: true }),
    );
    return Item ? toClaim(Item) : undefined;
  }

  async setConnectionName(connectionId: string, name: string, key: string) {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: connectionKey(connectionId),
          UpdateExpression: 'SET #name = :name, #nameKey = :nameKey',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk', '#name': 'name', '#nameKey': 'nameKey' },
          ExpressionAttributeValues: { ':name': name, ':nameKey': key },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const previous = Attributes ? toConnection(Attributes) : undefined;
      return { previous: { name: previous?.name, nameKey: previous?.nameKey } };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async releaseName(key: string, connectionId: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: nameKey(key),
          ConditionExpression: '#owner = :me',
          ExpressionAttributeNames: { '#owner': 'connectionId' },
          ExpressionAttributeValues: { ':me': connectionId },
        }),
      );
      return true;
    } catch (error) {
      // Someone else holds the name now (or nobody does): it is not ours to delete.
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async deleteConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: connectionKey(connectionId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes ? toConnection(Attributes) : undefined;
  }

  async listMembers(nowSeconds: number): Promise<string[]> {
    const names: string[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: MEMBERS_INDEX,
          KeyConditionExpression: '#memberList = :members',
          ExpressionAttributeNames: { '#memberList': 'memberList' },
          ExpressionAttributeValues: { ':members': MEMBER_LIST },
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        // TTL deletion lags expiry by hours: an expired claim is no longer a member.
        if (Number(item.expiresAt) > nowSeconds && typeof item.name === 'string') names.push(item.name);
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return names;
  }

  /** One Query with `Limit`, read further only while expired claims kept it from deciding. */
  async listMembersUpTo(nowSeconds: number, max: number): Promise<{ names: string[]; more: boolean }> {
    const names: string[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: MEMBERS_INDEX,
          KeyConditionExpression: '#memberList = :members',
          ExpressionAttributeNames: { '#memberList': 'memberList' },
          ExpressionAttributeValues: { ':members': MEMBER_LIST },
          // One more than max is enough to know the list is longer than max.
          Limit: max + 1 - names.length,
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (Number(item.expiresAt) <= nowSeconds || typeof item.name !== 'string') continue;
        if (names.length === max) return { names, more: true };
        names.push(item.name);
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return { names, more: false };
  }

  async *connectionPages(shard: number): AsyncGenerator<string[]> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: SHARD_INDEX,
          KeyConditionExpression: '#shard = :shard',
          ExpressionAttributeNames: { '#shard': 'shard' },
          ExpressionAttributeValues: { ':shard': shard },
          ExclusiveStartKey,
        }),
      );
      const ids = (page.Items ?? []).map((item) => String(item.connectionId));
      if (ids.length > 0) yield ids;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
}
