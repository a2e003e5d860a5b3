import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface RedriveOptions {
  sqs: SQSClient;
  eventBridge: EventBridgeClient;
  /** The template's UnpublishedEventsQueue (output UnpublishedEventsQueueUrl). */
  queueUrl: string;
  /** How long a message that could not be re-driven stays hidden before the next run sees it. */
  visibilityTimeoutSeconds?: number;
}

export interface RedriveResult {
  /** Events put back on their bus (and deleted from the queue). */
  redriven: number;
  /** Events PutEvents refused again, or bodies that are not an entry: left in the queue. */
  failed: { messageId?: string; reason: string }[];
}

const entryOf = (message: Message): PutEventsRequestEntry | undefined => {
  try {
    const entry = JSON.parse(message.Body ?? '') as PutEventsRequestEntry;
    return typeof entry === 'object' && entry !== null && typeof entry.Detail === 'string'
      ? entry
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Puts every parked chat event back on its bus (each body is the PutEvents entry that failed), and
 * deletes a message only once PutEvents accepted its entry. One that fails again stays in the queue,
 * hidden for the visibility timeout, and is reported. An event that was re-driven but whose delete
 * failed is re-driven again next time: a second delivery of its frames, with the same ids, which
 * clients drop (docs/protocol.md, "Delivery").
 */
export async function redriveUnpublishedEvents(options: RedriveOptions): Promise<RedriveResult> {
  const { sqs, eventBridge, queueUrl } = options;
  const result: RedriveResult = { redriven: 0, failed: [] };
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: options.visibilityTimeoutSeconds ?? 60,
      }),
    );
    if (Messages.length === 0) return result;
    const parked = Messages.flatMap((message) => {
      const entry = entryOf(message);
      if (!entry)
        result.failed.push({ messageId: message.MessageId, reason: 'the body is not a PutEvents entry' });
      return entry ? [{ message, entry }] : [];
    });
    if (parked.length === 0) continue;
    const response = await eventBridge.send(
      new PutEventsCommand({ Entries: parked.map(({ entry }) => entry) }),
    );
    await Promise.all(
      parked.map(async ({ message, entry }, index) => {
        const outcome = response.Entries?.[index];
        if (!outcome || outcome.ErrorCode) {
          result.failed.push({
            messageId: message.MessageId,
            reason: `${outcome?.ErrorCode ?? 'no result'}: ${outcome?.ErrorMessage ?? entry.DetailType}`,
          });
          return;
        }
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
        result.redriven += 1;
      }),
    );
  }
}
