import { SqsEventSource, type SqsRecord } from '../../../../local/lambda';
import { SYNC_PAYLOAD_LIMIT_BYTES } from '../../../../local/lambda/sqs-event-source';
import type { InvokeResult } from '../../../../local/lambda/types';
import { SqsService } from '../../../../local/sqs';
import type { EventSourceMappingModel, FunctionModel, QueueModel } from '../../../../local/template/types';

// The poller against the real in-process SqsService, with an invoke that records each event.

const arn = 'arn:aws:sqs:us-east-1:123456789012:work';
const queue: QueueModel = {
  logicalId: 'Work',
  queueName: 'work',
  arn,
  url: 'https://sqs.us-east-1.amazonaws.com/123456789012/work',
  messageRetentionSeconds: 345_600,
  visibilityTimeoutSeconds: 30,
  fifo: false,
};
const fn = { logicalId: 'Worker', functionName: 'worker', tracing: 'PassThrough' } as FunctionModel;
const mapping = (extra: Partial<EventSourceMappingModel>): EventSourceMappingModel => ({
  logicalId: 'WorkerWork',
  functionLogicalId: 'Worker',
  queueLogicalId: 'Work',
  eventSourceArn: arn,
  batchSize: 10,
  maximumBatchingWindowSeconds: 0,
  reportBatchItemFailures: false,
  enabled: true,
  filters: [],
  ...extra,
});

function harness(model: EventSourceMappingModel) {
  const sqs = new SqsService({ queues: [queue] });
  const events: { Records: SqsRecord[] }[] = [];
  const source = new SqsEventSource({
    mappings: [model],
    functions: [fn],
    region: 'us-east-1',
    queue: (a) => sqs.polledQueue(a),
    invoke: async (_id, event) => {
      events.push(event as { Records: SqsRecord[] });
      return { ok: true, payload: null, report: {} } as unknown as InvokeResult;
    },
    functionConcurrency: () => 4,
    recheckMs: 10,
  });
  return { sqs, source, events };
}

describe('the SQS poller', () => {
  it('sends a batch before the next record would take the event past 6 MB', async () => {
    const { sqs, source, events } = harness(mapping({ batchSize: 100, maximumBatchingWindowSeconds: 1 }));
    const body = 'x'.repeat(1_000_000);
    for (let i = 0; i < 7; i++) await sqs.send(arn, body);
    source.start();
    try {
      while (events.reduce((n, e) => n + e.Records.length, 0) < 7) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(events.length).toBeGreaterThan(1);
      for (const event of events) {
        expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(SYNC_PAYLOAD_LIMIT_BYTES);
      }
    } finally {
      await source.close();
      sqs.close();
    }
  });

  it('stops at once when closed while a batching window is open, invoking nothing', async () => {
    const { sqs, source, events } = harness(mapping({ batchSize: 100, maximumBatchingWindowSeconds: 300 }));
    source.start();
    await sqs.send(arn, 'waits for the window');
    while (sqs.depths()[0]?.inFlight !== 1) await new Promise((resolve) => setTimeout(resolve, 10));
    await source.close();
    expect(events).toEqual([]);
    sqs.close();
  });
});
