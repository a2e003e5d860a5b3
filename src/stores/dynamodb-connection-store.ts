import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ConnectionRecord, ConnectionStore, NameClaim } from '../chat/ports';
import { type BucketStep, RATE_BUCKETS, type RateBucket } from '../chat/rate-limit';
import { type AudienceRange, type ConnectionKey, type ShardQuery, shardQueries } from '../chat/sharding';
import { backoffDelay, sleep as realSleep, type Sleep } from '../shared/backoff';

/** BatchGetItem takes at most 100 keys a call. */
const BATCH_GET_KEYS = 100;
/** Calls for the keys DynamoDB left unprocessed (it does under throttling) before giving up. */
const BATCH_GET_ATTEMPTS = 5;

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

/** Each rate-limit bucket is a top-level number on the connection item (GCRA's TAT, epoch ms). */
export const bucketAttribute = (bucket: RateBucket) => `tat_${bucket}`;

const bucketsOf = (item: Record<string, unknown>): ConnectionRecord['tat'] => {
  const tat: NonNullable<ConnectionRecord['tat']> = {};
  for (const bucket of RATE_BUCKETS) {
    const value = item[bucketAttribute(bucket)];
    if (typeof value === 'number') tat[bucket] = value;
  }
  return Object.keys(tat).length > 0 ? tat : undefined;
};

const toConnection = (item: Record<string, unknown>): ConnectionRecord => {
  const tat = bucketsOf(item);
  return {
    connectionId: String(item.connectionId),
    shard: Number(item.shard),
    connectedAt: Number(item.connectedAt),
    expiresAt: Number(item.expiresAt),
    ...(typeof item.name === 'string' ? { name: item.name } : {}),
    ...(typeof item.nameKey === 'string' ? { nameKey: item.nameKey } : {}),
    ...(tat ? { tat } : {}),
  };
};

/**
 * A rate-limit step as parts of one UpdateItem: GCRA needs only `+` and comparisons, which update
 * and condition expressions have, so taking a token is a single atomic write (no read-then-write).
 */
const bucketExpression = (step: BucketStep) => {
  const names = { '#tat': bucketAttribute(step.bucket) };
  if (step.kind === 'restart') {
    return {
      update: '#tat = :tat',
      condition: '(attribute_not_exists(#tat) OR #tat < :before)',
      names,
      values: { ':tat': step.tat, ':before': step.before },
    };
  }
  return {
    update: '#tat = #tat + :by',
    condition: '#tat BETWEEN :from AND :upTo',
    names,
    values: { ':by': step.by, ':from': step.from, ':upTo': step.upTo },
  };
};

const recordItem = (record: ConnectionRecord) => {
  const { tat, ...plain } = record;
  const item: Record<string, unknown> = { ...connectionKey(record.connectionId), ...plain };
  for (const bucket of RATE_BUCKETS) {
    if (tat?.[bucket] !== undefined) item[bucketAttribute(bucket)] = tat[bucket];
  }
  return item;
};

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
    private readonly sleep: Sleep = realSleep,
  ) {}

  async putConnection(record: ConnectionRecord): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: recordItem(record) }));
  }

  async putConnectionIfAbsent(record: ConnectionRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: recordItem(record),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async stepBucket(connectionId: string, step: BucketStep): Promise<boolean> {
    const bucket = bucketExpression(step);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: connectionKey(connectionId),
          UpdateExpression: `SET ${bucket.update}`,
          ConditionExpression: `attribute_exists(#pk) AND ${bucket.condition}`,
          ExpressionAttributeNames: { '#pk': 'pk', ...bucket.names },
          ExpressionAttributeValues: bucket.values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
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

  /**
   * BatchGetItem, 100 keys a call, consistent. Keys DynamoDB leaves unprocessed (throttling) are
   * asked again with backoff, as AWS advises; still unprocessed after a few calls, it throws.
   */
  async getNames(keys: readonly string[]): Promise<Map<string, NameClaim>> {
    const claims = new Map<string, NameClaim>();
    for (let start = 0; start < keys.length; start += BATCH_GET_KEYS) {
      let pending: Record<string, unknown>[] = keys.slice(start, start + BATCH_GET_KEYS).map(nameKey);
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > BATCH_GET_ATTEMPTS)
          throw new Error(
            `BatchGetItem left ${pending.length} name claims unprocessed ${BATCH_GET_ATTEMPTS} times`,
          );
        if (attempt > 1) await this.sleep(backoffDelay(attempt - 1, { baseMs: 50, maxMs: 1_000 }));
        const { Responses, UnprocessedKeys } = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of Responses?.[this.tableName] ?? []) {
          const claim = toClaim(item);
          claims.set(claim.nameKey, claim);
        }
        pending = UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return claims;
  }

  async setConnectionName(connectionId: string, name: string, key: string, step?: BucketStep) {
    const bucket = step ? bucketExpression(step) : undefined;
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: connectionKey(connectionId),
          UpdateExpression: `SET #name = :name, #nameKey = :nameKey${bucket ? `, ${bucket.update}` : ''}`,
          ConditionExpression: `attribute_exists(#pk)${bucket ? ` AND ${bucket.condition}` : ''}`,
          ExpressionAttributeNames: { '#pk': 'pk', '#name': 'name', '#nameKey': 'nameKey', ...bucket?.names },
          ExpressionAttributeValues: { ':name': name, ':nameKey': key, ...bucket?.values },
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

  async deleteConnection(
    connectionId: string,
    connectedBefore?: number,
  ): Promise<ConnectionRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: connectionKey(connectionId),
          ReturnValues: 'ALL_OLD',
          ...(connectedBefore === undefined
            ? {}
            : {
                // Atomic with the delete: a connection recorded since then is kept (see ChatService).
                ConditionExpression: '#connectedAt < :before',
                ExpressionAttributeNames: { '#connectedAt': 'connectedAt' },
                ExpressionAttributeValues: { ':before': connectedBefore },
              }),
        }),
      );
      return Attributes ? toConnection(Attributes) : undefined;
    } catch (error) {
      // Too young to prune, or already gone.
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async listMembers(nowSeconds: number): Promise<string[]> {
    const names: string[] = [];
    for await (const name of this.#liveMembers(nowSeconds, () => undefined)) names.push(name);
    return names;
  }

  /** One Query with `Limit`, read further only while expired claims kept it from deciding. */
  async listMembersUpTo(nowSeconds: number, max: number): Promise<{ names: string[]; more: boolean }> {
    const names: string[] = [];
    // One more than max is enough to know the list is longer than max.
    for await (const name of this.#liveMembers(nowSeconds, () => max + 1 - names.length)) {
      if (names.length === max) return { names, more: true };
      names.push(name);
    }
    return { names, more: false };
  }

  /** Unexpired members from the Members index, page by page; `limit` sizes the next page. */
  async *#liveMembers(nowSeconds: number, limit: () => number | undefined): AsyncGenerator<string> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: MEMBERS_INDEX,
          KeyConditionExpression: '#memberList = :members',
          ExpressionAttributeNames: { '#memberList': 'memberList' },
          ExpressionAttributeValues: { ':members': MEMBER_LIST },
          Limit: limit(),
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        // TTL deletion lags expiry by hours: an expired claim is no longer a member.
        if (Number(item.expiresAt) > nowSeconds && typeof item.name === 'string') yield item.name;
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  async inShardIndex(connectionId: string, shard: number): Promise<boolean> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: SHARD_INDEX,
        KeyConditionExpression: '#shard = :shard AND #connectionId = :connectionId',
        ExpressionAttributeNames: { '#shard': 'shard', '#connectionId': 'connectionId' },
        ExpressionAttributeValues: { ':shard': shard, ':connectionId': connectionId },
      }),
    );
    return (Items ?? []).length > 0;
  }

  async isListed(key: string): Promise<boolean> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: MEMBERS_INDEX,
        KeyConditionExpression: '#memberList = :members AND #nameKey = :nameKey',
        ExpressionAttributeNames: { '#memberList': 'memberList', '#nameKey': 'nameKey' },
        ExpressionAttributeValues: { ':members': MEMBER_LIST, ':nameKey': key },
      }),
    );
    return (Items ?? []).length > 0;
  }

  async *audiencePages(range: AudienceRange, shardCount: number): AsyncGenerator<ConnectionKey[]> {
    for (const query of shardQueries(range, shardCount)) yield* this.#shardPages(query);
  }

  async *#shardPages({ shard, from, to }: ShardQuery): AsyncGenerator<ConnectionKey[]> {
    // A key condition takes one comparison on the sort key: `to` is exclusive, so BETWEEN reads it
    // too and it is dropped here (it is the first connection of the next range).
    const bounds =
      from !== undefined && to !== undefined
        ? { condition: ' AND #id BETWEEN :from AND :to', values: { ':from': from, ':to': to } }
        : from !== undefined
          ? { condition: ' AND #id >= :from', values: { ':from': from } }
          : to !== undefined
            ? { condition: ' AND #id < :to', values: { ':to': to } }
            : { condition: '', values: {} };
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: SHARD_INDEX,
          KeyConditionExpression: `#shard = :shard${bounds.condition}`,
          ExpressionAttributeNames: {
            '#shard': 'shard',
            ...(bounds.condition ? { '#id': 'connectionId' } : {}),
          },
          ExpressionAttributeValues: { ':shard': shard, ...bounds.values },
          ExclusiveStartKey,
        }),
      );
      const keys: ConnectionKey[] = [];
      for (const item of page.Items ?? []) {
        const connectionId = String(item.connectionId);
        if (connectionId !== to) keys.push({ shard, connectionId });
      }
      if (keys.length > 0) yield keys;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
}
