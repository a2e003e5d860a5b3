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
  /** AWSTraceHeader: the X-Ray context of the send (its X-Amzn-Trace-Id header or the system attribute). */
  traceHeader?: string;
  /** Set when a redrive policy moved the message here: the queue it came from. */
  deadLetterQueueSourceArn?: string;
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
  /** Moved to a dead-letter queue by a RedrivePolicy (maxReceiveCount reached). */
  movedToDeadLetter: number;
}

/**
 * In-memory standard queues: retention, visibility timeouts, receipt handles, waiting polls and
 * redrive to a dead-letter queue.
 */
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
    return { sent: 0, received: 0, deleted: 0, expired: 0, movedToDeadLetter: 0 };
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
    traceHeader?: string,
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
      ...(traceHeader ? { traceHeader } : {}),
    };
    queue.messages.push(message);
    this.counters.sent++;
    this.wake(queue);
    return message;
  }

  /**
   * Receives up to `max` visible messages, hiding each for `visibilitySeconds`. `accept` may pass
   * over a message (an event source mapping's batch that would grow past 6 MB): it stays visible
   * and its receive count is untouched. A message already received `maxReceiveCount` times goes to
   * the queue's dead-letter queue instead, as SQS moves it "when the ReceiveCount for a message
   * exceeds the maxReceiveCount"
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
   */
  take(
    queue: Queue,
    max: number,
    visibilitySeconds: number,
    accept: (message: StoredMessage) => boolean = () => true,
  ): StoredMessage[] {
    this.expire(queue);
    const now = this.now();
    const taken: StoredMessage[] = [];
    const redrive = queue.model.redrivePolicy;
    const deadLetter = redrive ? this.byArn(redrive.deadLetterTargetArn) : undefined;
    for (const message of [...queue.messages]) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      if (redrive && deadLetter && deadLetter !== queue && message.receiveCount >= redrive.maxReceiveCount) {
        this.moveToDeadLetter(queue, message, deadLetter);
        continue;
      }
      if (!accept(message)) continue;
      message.receiveCount++;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + visibilitySeconds * 1000;
      message.receiptHandle = receiptHandle(queue, message);
      taken.push(message);
    }
    this.counters.received += taken.length;
    return taken;
  }

  /**
   * The enqueue timestamp stays: for standard queues "the expiration of a message is always based
   * on its original enqueue timestamp" (SQS developer guide, dead-letter queues).
   */
  private moveToDeadLetter(from: Queue, message: StoredMessage, to: Queue): void {
    from.messages = from.messages.filter((m) => m !== message);
    const { receiptHandle: _handle, ...rest } = message;
    to.messages.push({ ...rest, visibleAt: this.now(), deadLetterQueueSourceArn: from.model.arn });
    this.counters.movedToDeadLetter++;
    this.wake(to);
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
