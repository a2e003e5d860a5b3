import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';

/**
 * A chat event EventBridge would not take: every retry failed, or it was rejected outright. It is
 * parked, not dropped, so that nothing is lost silently (docs/architecture.md, "Delivery guarantees").
 */
export interface UnpublishedEvent {
  /** The PutEvents entry as it was sent; a re-drive sends it again unchanged. */
  entry: PutEventsRequestEntry;
  errorCode: string;
  errorMessage?: string;
}

/** Where unpublished chat events wait for their re-drive. */
export interface UnpublishedEventSink {
  /** Keeps every event durably, or throws. */
  park(events: UnpublishedEvent[]): Promise<void>;
  /** Parking may soon be needed (a first failed attempt): get ready, e.g. load a client. */
  prepare?(): void;
}

/** The SendMessage input the queue sink needs; the SDK's SendMessageCommandInput has this shape. */
export interface QueueMessage {
  QueueUrl: string;
  MessageBody: string;
  MessageAttributes: Record<string, { DataType: 'String'; StringValue: string }>;
}

/** SQS's per-attribute cap is the message size; the reason is for people, 1 KB is plenty. */
const MAX_REASON_CHARS = 1024;

/**
 * Parks unpublished events in an SQS queue (the template's UnpublishedEventsQueue, with an alarm on
 * its visible messages): one message per event, whose body is the PutEvents entry itself, so that
 * `npm run redrive-events` (scripts/redrive-unpublished-events.ts) can put it back on the bus as is.
 * The error travels as message attributes, as Lambda's DLQ does with its ErrorCode/ErrorMessage.
 */
export class QueueUnpublishedEvents implements UnpublishedEventSink {
  constructor(
    private readonly queueUrl: string,
    private readonly sendMessage: (message: QueueMessage) => Promise<unknown>,
    private readonly warmUp?: () => void,
  ) {}

  prepare(): void {
    this.warmUp?.();
  }

  async park(events: UnpublishedEvent[]): Promise<void> {
    await Promise.all(
      events.map(({ entry, errorCode, errorMessage }) =>
        this.sendMessage({
          QueueUrl: this.queueUrl,
          MessageBody: JSON.stringify(entry),
          MessageAttributes: {
            ErrorCode: { DataType: 'String', StringValue: errorCode },
            ...(errorMessage
              ? {
                  ErrorMessage: { DataType: 'String', StringValue: errorMessage.slice(0, MAX_REASON_CHARS) },
                }
              : {}),
            ...(entry.DetailType
              ? { DetailType: { DataType: 'String', StringValue: entry.DetailType } }
              : {}),
          },
        }),
      ),
    );
  }
}
