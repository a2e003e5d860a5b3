import { GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../../../local/stack';
import type { Audience } from '../../../src/chat/chat-events';
import { nameKeyOf } from '../../../src/chat/rules';
import { type ConnectionKey, inRange, shardRange } from '../../../src/chat/sharding';
import { output, type StackClients } from './aws';
import type { ChatClient, Frame } from './chat-client';

/** What one conversation under faults produced, message by message and recipient by recipient. */
export interface Conversation {
  /** Texts whose sender saw its own message come back: the chat accepted and delivered them. */
  accepted: string[];
  /**
   * Texts answered with API Gateway's `Internal server error` (or `Endpoint request timed out`)
   * frame: refused visibly.
   */
  refused: string[];
  /**
   * Texts answered with a DELIVERY_DELAYED error frame: part of the broadcast was parked for a
   * re-drive. (That frame can also come after the sender's own copy, and then answers the sender's
   * next text: count delayed senders, not texts.)
   */
  delayed: string[];
}

/**
 * API Gateway's own answers when the route's Lambda failed (Internal server error) or did not answer
 * within the 29 s integration timeout (an overloaded box): visible refusals, never a silent loss.
 */
const isGatewayFailure = (frame: Frame): boolean =>
  frame.message === 'Internal server error' || frame.message === 'Endpoint request timed out';

export const isDeliveryDelayed = (frame: Frame): boolean =>
  frame.type === 'error' && frame.code === 'DELIVERY_DELAYED';

/**
 * Every client sends `perClient` public messages, one after the other: each waits for its own copy
 * (the broadcast reached the sender) or for the gateway's `Internal server error` frame (the chat-api
 * Lambda failed: the documented, visible refusal) before the next, so each answer maps to one text.
 */
export async function converse(
  clients: readonly ChatClient[],
  perClient: number,
  tag: string,
  // A whole conversation under faults: longer than one frame's wait, inside jest's 120 s.
  timeoutMs = 100_000,
): Promise<Conversation> {
  const accepted: string[] = [];
  const refused: string[] = [];
  const delayed: string[] = [];
  await Promise.all(
    clients.map(async (client) => {
      for (let n = 1; n <= perClient; n++) {
        const text = `${tag}: ${client.label} says ${n}`;
        const from = client.mark();
        client.send({ action: 'sendPublic', message: text });
        const answer = await client.waitFor(
          (f) => (f.type === 'public' && f.text === text) || isGatewayFailure(f) || isDeliveryDelayed(f),
          { from, timeoutMs, what: `its own "${text}", DELIVERY_DELAYED or an Internal server error` },
        );
        (answer.type === 'public' ? accepted : isDeliveryDelayed(answer) ? delayed : refused).push(text);
      }
    }),
  );
  return { accepted, refused, delayed };
}

export interface Accounting {
  /** (text, recipient) pairs that never arrived. */
  lost: string[];
  /** (text, recipient) pairs that arrived more than once, with the number of copies. */
  duplicated: { text: string; recipient: string; copies: number }[];
  /** Texts whose copies did not all carry one and the same `id` (clients drop repeats by id). */
  idMismatch: string[];
}

/** Counts the copies of each (message, recipient) pair: the exact-once ledger of a conversation. */
export function account(clients: readonly ChatClient[], texts: readonly string[]): Accounting {
  const result: Accounting = { lost: [], duplicated: [], idMismatch: [] };
  for (const text of texts) {
    const ids = new Set<unknown>();
    for (const client of clients) {
      const copies = client.matching((f: Frame) => f.type === 'public' && f.text === text);
      for (const copy of copies) ids.add(copy.id);
      if (copies.length === 0) result.lost.push(`${text} -> ${client.label}`);
      if (copies.length > 1) result.duplicated.push({ text, recipient: client.label, copies: copies.length });
    }
    if (ids.size > 1) result.idMismatch.push(text);
  }
  return result;
}

/** Every message waiting in one of the template's SQS queues (by output name), read with the real SDK. */
export async function queueMessages(
  stack: LocalStack,
  aws: StackClients,
  queueNameOutput: string,
): Promise<unknown[]> {
  const { QueueUrl } = await aws.sqs.send(
    new GetQueueUrlCommand({ QueueName: output(stack, queueNameOutput) }),
  );
  const bodies: unknown[] = [];
  for (;;) {
    const { Messages = [] } = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300 }),
    );
    if (Messages.length === 0) return bodies;
    for (const message of Messages) bodies.push(JSON.parse(message.Body ?? 'null'));
  }
}

/**
 * Every client sends `perClient` public messages without waiting for them to come back (a fault may
 * lose them); returns the texts. Wait for their effects with `settle` before accounting.
 */
export async function sendAll(
  clients: readonly ChatClient[],
  perClient: number,
  tag: string,
): Promise<string[]> {
  const texts: string[] = [];
  await Promise.all(
    clients.map(async (client) => {
      for (let n = 1; n <= perClient; n++) {
        const text = `${tag}: ${client.label} says ${n}`;
        client.send({ action: 'sendPublic', message: text });
        texts.push(text);
      }
      // The gateway has read them all (a pong travels behind them).
      await client.flush();
    }),
  );
  return texts;
}

/** The senders told DELIVERY_DELAYED after their marks (`client.mark()` per client, in order). */
export function delayedSenders(clients: readonly ChatClient[], marks: readonly number[]): string[] {
  return clients.flatMap((client, i) =>
    client.matching(isDeliveryDelayed, marks[i] ?? 0).map(() => client.label),
  );
}

/**
 * The senders that got the gateway's `Internal server error` frame (a route's Lambda failed: an
 * outage, not a chat error) after their marks (`client.mark()` per client, in order).
 */
export function internalErrors(clients: readonly ChatClient[], marks: readonly number[]): string[] {
  return clients.flatMap((client, i) =>
    client.matching((f) => f.message === 'Internal server error', marks[i] ?? 0).map(() => client.label),
  );
}

/**
 * Each named member's place in the audience (shard and connection id), read from the chat table
 * with the real SDK (name item, then connection).
 */
export async function shardsOf(
  stack: LocalStack,
  aws: StackClients,
  names: readonly string[],
): Promise<Map<string, ConnectionKey>> {
  const TableName = output(stack, 'ChatTableName');
  const shards = new Map<string, ConnectionKey>();
  for (const name of names) {
    const { Item: nameItem } = await aws.document.send(
      new GetCommand({ TableName, Key: { pk: `NAME#${nameKeyOf(name)}` }, ConsistentRead: true }),
    );
    const { Item: connection } = await aws.document.send(
      new GetCommand({
        TableName,
        Key: { pk: `CONN#${String(nameItem?.connectionId)}` },
        ConsistentRead: true,
      }),
    );
    shards.set(name, { shard: Number(connection?.shard), connectionId: String(connection?.connectionId) });
  }
  return shards;
}

/** A chat event as the broadcaster's DLQ holds it (the original EventBridge envelope). */
export interface DeadChatEvent {
  id: string;
  detail: { audience: Audience; frames: { text?: string }[] };
}

/** Whether a room, part or shard event's audience includes the connection at `key`. */
const reaches = (audience: Audience, key: ConnectionKey): boolean => {
  switch (audience.kind) {
    case 'room':
      return true;
    case 'range':
      return inRange(key, audience);
    case 'shard':
      return inRange(key, shardRange(audience.shard));
    case 'connections':
      return audience.connectionIds.includes(key.connectionId);
  }
};

/** The (text, recipient) pairs a set of dead-lettered events would have delivered. */
export function pairsOf(
  events: readonly DeadChatEvent[],
  members: ReadonlyMap<string, ConnectionKey>,
): string[] {
  const pairs: string[] = [];
  for (const event of events) {
    for (const [name, key] of members) {
      if (!reaches(event.detail.audience, key)) continue;
      for (const frame of event.detail.frames) pairs.push(`${frame.text} -> ${name}`);
    }
  }
  return pairs.sort();
}

/** The idempotency records still INPROGRESS: locks left by invocations that never finished. */
export async function inProgressRecords(
  stack: LocalStack,
  aws: StackClients,
): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await aws.document.send(
    new ScanCommand({ TableName: output(stack, 'IdempotencyTableName'), ConsistentRead: true }),
  );
  return Items.filter((item) => item.status === 'INPROGRESS');
}
