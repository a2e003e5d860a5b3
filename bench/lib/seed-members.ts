/**
 * Seeds named members straight into the chat table, for the members-list stage at 100,000: joining
 * 100,000 real clients would take the machine hours. Each member is what a named connection
 * leaves in the table (src/stores/dynamodb-connection-store.ts, read, not changed): its connection
 * item and its name claim, the claim in the sparse Members index the members list is read from.
 * bench/test/seed-members.test.ts reads them back through that store, so a change of shape there
 * fails the test instead of seeding something the server does not read.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CONNECTION_TTL_SECONDS } from '../../src/chat/chat-service';
import { nameKeyOf } from '../../src/chat/rules';
import { connectionKey, MEMBER_LIST, nameKey } from '../../src/stores/dynamodb-connection-store';

/**
 * The seeded connections' shard: outside every shard the broadcaster reads (0 .. ShardCount-1), so
 * they are members without being in the audience. They have no socket: in the audience, each
 * join's delta would be posted to 100,000 gone connections and each 410 would prune one, turning
 * the stage into a storm of leaves instead of a measure of the joiner's list. Fan-out to large
 * audiences is the fan-out stage's measure.
 */
export const PARKED_SHARD = 1_000_000;

/** Seeded names: sortable, distinct, about as long as a typical chat name. */
export const seededName = (i: number): string => `member${String(i).padStart(6, '0')}`;

export function memberItems(name: string, connectionId: string, nowMs: number) {
  const key = nameKeyOf(name);
  const expiresAt = Math.floor(nowMs / 1000) + CONNECTION_TTL_SECONDS;
  return [
    {
      ...connectionKey(connectionId),
      connectionId,
      shard: PARKED_SHARD,
      connectedAt: nowMs,
      expiresAt,
      name,
      nameKey: key,
    },
    {
      ...nameKey(key),
      nameKey: key,
      name,
      connectionId,
      claimedAt: nowMs,
      expiresAt,
      memberList: MEMBER_LIST,
    },
  ];
}

/** BatchWriteItem's limit. */
const BATCH = 25;

/**
 * Writes `count` members (connection + claim each) with BatchWriteItem, `inFlight` batches at a
 * time, retrying unprocessed items. Returns the number of BatchWriteItem calls.
 */
export async function seedMembers(
  document: DynamoDBDocumentClient,
  tableName: string,
  count: number,
  o: { nowMs?: number; inFlight?: number; onProgress?: (written: number) => void } = {},
): Promise<{ calls: number; items: number }> {
  const nowMs = o.nowMs ?? Date.now();
  let next = 0;
  let calls = 0;
  let items = 0;
  const itemsOf = (from: number, to: number) => {
    const out: Record<string, unknown>[] = [];
    for (let i = from; i < to; i++) out.push(...memberItems(seededName(i), `seeded-${i}`, nowMs));
    return out;
  };
  const worker = async () => {
    while (next < count) {
      // Two items per member: a batch of 25 items holds 12 members and a half; keep members whole.
      const from = next;
      const to = Math.min(count, from + Math.floor(BATCH / 2));
      next = to;
      let requests = itemsOf(from, to).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
        if (attempt > 10) throw new Error(`BatchWriteItem left ${requests.length} items unprocessed`);
        const { UnprocessedItems } = await document.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
        );
        calls++;
        requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
      items += (to - from) * 2;
      o.onProgress?.(to);
    }
  };
  await Promise.all(Array.from({ length: o.inFlight ?? 8 }, worker));
  return { calls, items };
}
