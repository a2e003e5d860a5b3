import { randomBytes, randomUUID } from 'node:crypto';
import type { QueueModel } from '../template/types';
import { type MessageAttributeValue, md5Hex, md5OfMessageAttributes } from './md5';

export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, MessageAttributeValue>;
  md5OfAttributes?: string;
  sentTimestamp: number;
  visibleAt: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  receiptHandle?: string;
}

export interface Queue {
  model: QueueModel;
  createdTimestamp: number;
  messages: StoredMessage[];
  /** Long polls waiting for a message. */
  waiters: Set<() => void>;
}

export interface MessageCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

export interface QueueCounters {
  sent: number;
  received: number;
  deleted: number;
  expired: number;
}

/** In-memory standard queues: retention, visibility timeouts, receipt handles and waiting polls. */
export class QueueStore {
  private readonly queues = new Map<string, Queue>(); // by queue name
  counters: QueueCounters = QueueStore.zero();

  constructor(
    models: QueueModel[],
    private readonly now: () => number,
  ) {
    for (const model of models) {
      this.queues.set(model.queueName, { model, createdTimestamp: now(), messages: [], waiters: new Set() });
    }
  }

  static zero(): QueueCounters {
    return { sent: 0, received: 0, deleted: 0, expired: 0 };
  }

  byName(name: string): Queue | undefined {
    return this.queues.get(name);
  }

  byArn(arn: string): Queue | undefined {
    return [...this.queues.values()].find((q) => q.model.arn === arn);
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  enqueue(
    queue: Queue,
    body: string,
    attributes: Record<string, MessageAttributeValue>,
    delaySeconds = 0,
  ): StoredMessage {
    const now = this.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      attributes,
      md5OfAttributes: md5OfMessageAttributes(attributes),
      sentTimestamp: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
    };
    queue.messages.push(message);
    this.counters.sent++;
    this.wake(queue);
    return message;
  }

  /** Receives up to `max` visible messages, hiding each for `visibilitySeconds`. */
  take(queue: Queue, max: number, visibilitySeconds: number): StoredMessage[] {
    this.expire(queue);
    const now = this.now();
    const taken: StoredMessage[] = [];
    for (const message of queue.messages) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      message.receiveCount++;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + visibilitySeconds * 1000;
      message.receiptHandle = receiptHandle(queue, message);
      taken.push(message);
    }
    this.counters.received += taken.length;
    return taken;
  }

  /** Deletes by a receipt handle checked with `messageIdOf`; a message already gone is fine, as in SQS. */
  delete(queue: Queue, messageId: string): void {
    const before = queue.messages.length;
    queue.messages = queue.messages.filter((m) => m.messageId !== messageId);
    this.counters.deleted += before - queue.messages.length;
  }

  purge(queue: Queue): void {
    queue.messages = [];
  }

  expire(queue: Queue): void {
    const cutoff = this.now() - queue.model.messageRetentionSeconds * 1000;
    const before = queue.messages.length;
    queue.messages = queue.messages.filter((m) => m.sentTimestamp > cutoff);
    this.counters.expired += before - queue.messages.length;
  }

  counts(queue: Queue): MessageCounts {
    this.expire(queue);
    const now = this.now();
    const counts: MessageCounts = { visible: 0, inFlight: 0, delayed: 0 };
    for (const m of queue.messages) {
      if (m.visibleAt <= now) counts.visible++;
      else if (m.receiveCount > 0) counts.inFlight++;
      else counts.delayed++;
    }
    return counts;
  }

  /** Resolves when a message arrives in the queue, or after `ms`. */
  waitForMessage(queue: Queue, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        queue.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      queue.waiters.add(done);
    });
  }

  /** Ends every waiting poll (on close). */
  wakeAll(): void {
    for (const queue of this.queues.values()) this.wake(queue);
  }

  private wake(queue: Queue): void {
    for (const wake of [...queue.waiters]) wake();
  }
}

function receiptHandle(queue: Queue, message: StoredMessage): string {
  const raw = `${queue.model.queueName} ${message.messageId} ${randomBytes(8).toString('hex')}`;
  return Buffer.from(raw, 'utf8').toString('base64');
}

/** The message id a receipt handle of this queue names, or undefined when it is not one. */
export function messageIdOf(queue: Queue, handle: string): string | undefined {
  const decoded = Buffer.from(handle, 'base64').toString('utf8').split(' ');
  return decoded.length === 3 && decoded[0] === queue.model.queueName ? decoded[1] : undefined;
}
