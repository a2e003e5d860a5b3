import type { PresenceMessage } from '../../chat/chat-events';
import type { PresenceBatchItem } from '../../chat/presence-batch';
import { isNonEmptyString, isRecord, type JsonObject, Problems } from '../../shared/checks';
import { checkPresenceDetail } from './chat-event-envelope';

/** The invocation carried `Records` that are not SQS messages (a wiring mistake). */
export class InvalidPresenceBatchError extends Error {
  override readonly name = 'InvalidPresenceBatchError';
}

/** What an SQS event source mapping hands the function: `Records`, one per message. */
export const isRecordsEvent = (event: unknown): event is { Records: unknown[] } & JsonObject =>
  isRecord(event) && Array.isArray(event.Records);

export interface PresenceQueueBatch {
  items: PresenceBatchItem[];
  /** Messages whose body is not a PresenceMessage: reported as failures, so they end in the DLQ. */
  invalid: { id: string; problem: string }[];
}

/**
 * Reads a batch as the SQS event source mapping delivers it (AWS's SQS event: `Records` with
 * `messageId`, `body`, `attributes.SentTimestamp`, `eventSource: "aws:sqs"`). A record that is not
 * an SQS message fails the whole invocation (nothing can be reported per record without a
 * `messageId`); a message whose body is wrong is reported by id, and the others are delivered.
 */
export const parsePresenceQueueBatch = (event: { Records: unknown[] }): PresenceQueueBatch => {
  const batch: PresenceQueueBatch = { items: [], invalid: [] };
  for (const [index, record] of event.Records.entries()) {
    if (!isRecord(record) || !isNonEmptyString(record.messageId) || record.eventSource !== 'aws:sqs')
      throw new InvalidPresenceBatchError(
        `Not an SQS event: Records[${index}] must be an SQS message (messageId, eventSource "aws:sqs")`,
      );
    const id = record.messageId;
    const parsed = parseMessage(record.body);
    if ('problem' in parsed) {
      batch.invalid.push({ id, problem: parsed.problem });
      continue;
    }
    const sentAt = Number(isRecord(record.attributes) ? record.attributes.SentTimestamp : undefined);
    batch.items.push({ id, message: parsed.message, ...(Number.isFinite(sentAt) ? { sentAt } : {}) });
  }
  return batch;
};

const parseMessage = (body: unknown): { message: PresenceMessage } | { problem: string } => {
  if (typeof body !== 'string') return { problem: 'Not a presence message: body must be a string' };
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return { problem: 'Not a presence message: body is not JSON' };
  }
  if (!isRecord(message)) return { problem: 'Not a presence message: body must be a JSON object' };
  const problems = new Problems();
  problems.check(isNonEmptyString(message.correlationId), 'correlationId', 'must be a non-empty string');
  problems.check(typeof message.at === 'string', 'at', 'must be a string');
  checkPresenceDetail(message.presence, 'presence', problems);
  const { presence } = message;
  if (isRecord(presence) && presence.send === 'full' && isRecord(presence.change))
    problems.check(
      presence.change.event === 'joined',
      'presence.change.event',
      'must be joined to send the full list',
    );
  if (problems.any) return { problem: `Not a presence message: ${problems}` };
  return { message: message as unknown as PresenceMessage };
};
