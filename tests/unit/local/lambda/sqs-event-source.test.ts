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

function harness(model: EventSourceMappingModel, invocationMs = 0) {
  const sqs = new SqsService({ queues: [queue] });
  const events: { Records: SqsRecord[] }[] = [];
  const concurrency = { now: 0, max: 0 };
  const source = new SqsEventSource({
    mappings: [model],
    functions: [fn],
    region: 'us-east-1',
    queue: (a) => sqs.polledQueue(a),
    invoke: async (_id, event) => {
      events.push(event as { Records: SqsRecord[] });
      concurrency.now++;
      concurrency.max = Math.max(concurrency.max, concurrency.now);
      await new Promise((resolve) => setTimeout(resolve, invocationMs));
      concurrency.now--;
      return { ok: true, payload: null, report: {} } as unknown as InvokeResult;
    },
    functionConcurrency: () => 4,
    recheckMs: 10,
  });
  return { sqs, source, events, concurrency };
}

const recordsOf = (events: { Records: SqsRecord[] }[]) => events.flatMap((e) => e.Records);

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

  it('runs at most MaximumConcurrency batches at once, and delivers each message once', async () => {
    const { sqs, source, events, concurrency } = harness(
      mapping({ batchSize: 1, maximumConcurrency: 2 }),
      50,
    );
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) sent.push((await sqs.send(arn, `m${i}`)).messageId);
    source.start();
    try {
      while (recordsOf(events).length < 6) await new Promise((resolve) => setTimeout(resolve, 10));
      await source.drain();
      expect(concurrency.max).toBe(2);
      expect(
        recordsOf(events)
          .map((r) => r.messageId)
          .sort(),
      ).toEqual([...sent].sort());
      expect(sqs.depths()[0]).toMatchObject({ visible: 0, inFlight: 0 });
    } finally {
      await source.close();
      sqs.close();
    }
  });
});
