import type { PresenceMessage } from '../chat/chat-events';
import type { PresenceQueue } from '../chat/ports';

/** The SendMessage input this queue needs; the SDK's SendMessageCommandInput has this shape. */
export interface PresenceQueueSendMessage {
  QueueUrl: string;
  MessageBody: string;
}

/**
 * PresenceQueue on SQS (the template's PresenceQueue): one message per presence event of a large
 * room, whose body is the PresenceMessage as JSON. The broadcaster consumes the queue through an
 * event source mapping with a batching window, and coalesces each batch (src/chat/presence-batch.ts).
 */
export class SqsPresenceQueue implements PresenceQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly sendMessage: (message: PresenceQueueSendMessage) => Promise<unknown>,
  ) {}

  async enqueue(message: PresenceMessage): Promise<void> {
    await this.sendMessage({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message) });
  }
}
