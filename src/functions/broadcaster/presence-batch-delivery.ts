import { createHash } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '../../shared/metrics';
import { logger } from '../../shared/powertools';
import { traceFanOut } from './chat-event-delivery';
import { postRetries, presenceBatch } from './dependencies';
import { parsePresenceQueueBatch } from './presence-queue-records';

/** What an SQS event source mapping with `ReportBatchItemFailures` reads back: the messages to retry. */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * The PresenceQueue path: one batch (up to the mapping's BatchSize, gathered over its batching
 * window) coalesced into one list read, the joiners' full lists and one presence frame for the rest
 * (src/chat/presence-batch.ts). Messages that could not be done are reported, not thrown, so the
 * others are not delivered again; a failure before anything is known (the list read) throws and the
 * whole batch comes back, which is harmless (presence changes are idempotent).
 */
export const deliverPresenceBatch = async (event: { Records: unknown[] }): Promise<BatchResponse> => {
  const { items, invalid } = parsePresenceQueueBatch(event);
  // Kept in the queue (and then its dead-letter queue, with an alarm): bad input loses nothing.
  for (const { id, problem } of invalid) logger.error('Presence message refused', { messageId: id, problem });
  const batchId = createHash('sha256')
    .update(
      items
        .map((item) => item.id)
        .sort()
        .join(','),
    )
    .digest('base64url')
    .slice(0, 22);
  logger.appendKeys({ eventType: 'Presence Batch', batchId });
  postRetries.take();
  const result = await traceFanOut(
    () => presenceBatch.deliver(items, batchId),
    ({ changes, joiners, listReads, joinerFramesSent, room, failedIds }) => ({
      changes,
      joiners,
      listReads,
      joinerFramesSent,
      recipients: room?.recipients ?? 0,
      framesSent: room?.framesSent ?? 0,
      failed: failedIds.length,
    }),
  );
  const room = result.room;
  const framesSent = result.joinerFramesSent + (room?.framesSent ?? 0);
  metrics.addMetric('FramesDelivered', MetricUnit.Count, framesSent);
  metrics.addMetric('StaleConnectionsPruned', MetricUnit.Count, room?.gone ?? 0);
  metrics.addMetric('ThrottledRecipientsGivenUp', MetricUnit.Count, room?.throttled ?? 0);
  metrics.addMetric('PresenceChangesCoalesced', MetricUnit.Count, result.changes);
  const retried = postRetries.take();
  metrics.addMetric('PostsRetried', MetricUnit.Count, retried.retriedPosts);
  if (result.failedIds.length > 0)
    logger.error('Presence batch partly failed: those messages come back', {
      failed: result.failedIds.length,
      error: result.errors[0],
    });
  logger.info('Presence batch delivered', {
    messages: items.length + invalid.length,
    changes: result.changes,
    joiners: result.joiners,
    joined: result.frame.joined.length,
    left: result.frame.left.length,
    renamed: result.frame.renamed.length,
    listReads: result.listReads,
    recipients: room?.recipients ?? 0,
    parts: room?.parts,
    framesSent,
    ...retried,
  });
  const failed = [...invalid.map((message) => message.id), ...result.failedIds];
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
};
