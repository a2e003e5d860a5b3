import { createHash } from 'node:crypto';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SqsRecord } from '../../../local/lambda';
import { type LocalStack, startLocalStack } from '../../../local/stack';
import { waitFor } from './helpers';

// SQS -> Lambda event source mappings, driven with the real SQSClient: the fixture's worker
// reports every batch it gets to ResultsQueue, which the test reads.

jest.setTimeout(60_000);

const TEMPLATE = 'tests/fixtures/sqs-event-source/template.yaml';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('SQS event source mappings', () => {
  let stack: LocalStack;
  let sqs: SQSClient;
  const warnings: string[] = [];
  /** Every batch the worker reported, in the order the reports arrived. */
  const batches: SqsRecord[][] = [];

  const urlOf = async (logicalId: string): Promise<string> => {
    const queue = stack.model.queues.find((q) => q.logicalId === logicalId);
    const out = await sqs.send(new GetQueueUrlCommand({ QueueName: queue?.queueName }));
    return out.QueueUrl as string;
  };

  const send = async (logicalId: string, body: object, attributes = {}): Promise<string> => {
    const out = await sqs.send(
      new SendMessageCommand({
        QueueUrl: await urlOf(logicalId),
        MessageBody: JSON.stringify(body),
        MessageAttributes: attributes,
      }),
    );
    return out.MessageId as string;
  };

  /** Reads the worker's reports until `done` holds for the batches of this queue. */
  const batchesOf = async (
    logicalId: string,
    done: (mine: SqsRecord[][]) => boolean,
  ): Promise<SqsRecord[][]> => {
    const arn = stack.model.queues.find((q) => q.logicalId === logicalId)?.arn;
    const mine = () => batches.filter((b) => b[0]?.eventSourceARN === arn);
    const results = await urlOf('ResultsQueue');
    await waitFor(async () => {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: results, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const message of out.Messages ?? []) {
        batches.push((JSON.parse(message.Body as string) as { records: SqsRecord[] }).records);
      }
      return done(mine());
    }, 30_000);
    return mine();
  };

  const count = (list: SqsRecord[][]) => list.reduce((n, b) => n + b.length, 0);

  beforeAll(async () => {
    stack = await startLocalStack({
      templatePath: TEMPLATE,
      port: 0,
      ttlSweepIntervalMs: 0,
      log: { warn: (m) => warnings.push(m) },
    });
    sqs = new SQSClient({ endpoint: stack.awsEndpoint, region: stack.model.region, credentials });
  });

  afterAll(async () => {
    sqs?.destroy();
    await stack?.stop();
  });

  it('gathers the messages sent within the batching window into one invocation, in the SQS event shape', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await send('WindowQueue', { n: i }, { kind: { DataType: 'String', StringValue: 'test' } }));
    }
    const mine = await batchesOf('WindowQueue', (b) => count(b) >= 5);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.map((r) => r.messageId).sort()).toEqual([...ids].sort());
    const queue = stack.model.queues.find((q) => q.logicalId === 'WindowQueue');
    expect(mine[0]?.[0]).toEqual({
      messageId: ids[0],
      receiptHandle: expect.any(String),
      body: '{"n":0}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      },
      messageAttributes: {
        kind: { stringValue: 'test', stringListValues: [], binaryListValues: [], dataType: 'String' },
      },
      md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
      md5OfBody: createHash('md5').update('{"n":0}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: queue?.arn,
      awsRegion: stack.model.region,
    });
    // Deleted after the successful invocation.
    await stack.drain();
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: await urlOf('WindowQueue'),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(attributes.Attributes).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
    // Traced: the queue hop (origin AWS::SQS::Queue) with the invocation under it.
    const hop = stack.traces
      .list()
      .map((summary) => stack.traces.get(summary.id))
      .flatMap((trace) => trace?.roots ?? [])
      .find((node) => node.origin === 'AWS::SQS::Queue' && node.name === queue?.queueName);
    expect(hop?.aws).toMatchObject({
      operation: 'ReceiveMessage',
      event_source_mapping: 'WorkerFunctionWindow',
      records: 5,
    });
    expect(hop?.children.map((child) => child.origin)).toContain('AWS::Lambda::Function');
  });

  it('splits the messages into batches of at most BatchSize (AWS::Lambda::EventSourceMapping)', async () => {
    for (let i = 0; i < 7; i++) await send('CapQueue', { n: i });
    const mine = await batchesOf('CapQueue', (b) => count(b) >= 7);
    expect(count(mine)).toBe(7);
    expect(Math.max(...mine.map((b) => b.length))).toBeLessThanOrEqual(3);
    expect(new Set(mine.flat().map((r) => r.body)).size).toBe(7);
  });

  it('returns a failed batch to the queue after its visibility timeout, then moves it to the dead-letter queue after maxReceiveCount', async () => {
    const id = await send('FailingQueue', { throw: true });
    const dlq = await urlOf('FailingDeadLetterQueue');
    let dead: { MessageId?: string; Body?: string; Attributes?: Record<string, string> } | undefined;
    await waitFor(async () => {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlq,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      dead = out.Messages?.[0];
      return dead !== undefined;
    }, 30_000);
    expect(dead?.MessageId).toBe(id);
    expect(dead?.Body).toBe('{"throw":true}');
    expect(dead?.Attributes?.DeadLetterQueueSourceArn).toBe(
      stack.model.queues.find((q) => q.logicalId === 'FailingQueue')?.arn,
    );
    // The worker got it twice (maxReceiveCount 2), the second time after the visibility timeout.
    const mine = await batchesOf('FailingQueue', (b) => count(b) >= 2);
    expect(mine.map((b) => b.map((r) => [r.messageId, r.attributes.ApproximateReceiveCount]))).toEqual([
      [[id, '1']],
      [[id, '2']],
    ]);
    expect(stack.stats().sqs.movedToDeadLetter).toBeGreaterThanOrEqual(1);
  });

  it('with ReportBatchItemFailures, returns only the records the function names', async () => {
    const ok1 = await send('PartialQueue', { n: 1 });
    const failed = await send('PartialQueue', { failItem: true });
    const ok2 = await send('PartialQueue', { n: 2 });
    const mine = await batchesOf('PartialQueue', (b) => count(b) >= 4);
    const ids = mine.map((b) => b.map((r) => r.messageId).sort());
    expect(ids[0]).toEqual([ok1, failed, ok2].sort());
    // Only the failed record came back, on its second receive; then it succeeded.
    expect(
      mine
        .slice(1)
        .flat()
        .map((r) => [r.messageId, r.attributes.ApproximateReceiveCount]),
    ).toEqual([[failed, '2']]);
  });

  it('fails the whole batch when the partial response names a message that is not in it', async () => {
    const before = batches.length;
    const invalid = await send('PartialQueue', { invalid: true });
    const arn = stack.model.queues.find((q) => q.logicalId === 'PartialQueue')?.arn;
    const mine = await batchesOf(
      'PartialQueue',
      (b) => b.flat().filter((r) => r.messageId === invalid).length >= 2,
    );
    const seen = mine.flat().filter((r) => r.messageId === invalid);
    expect(seen.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(batches.slice(before).every((b) => b[0]?.eventSourceARN === arn)).toBe(true);
    expect(warnings.some((w) => w.includes('invalid partial batch response'))).toBe(true);
  });

  it('deletes the messages that match no filter without invoking the function', async () => {
    await send('FilteredQueue', { kind: 'drop' });
    const kept = await send('FilteredQueue', { kind: 'keep' });
    const mine = await batchesOf('FilteredQueue', (b) => count(b) >= 1);
    await stack.drain();
    expect(mine.flat().map((r) => r.messageId)).toEqual([kept]);
    expect(stack.stats().eventSourceMappings.filteredOut).toBe(1);
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: await urlOf('FilteredQueue'), AttributeNames: ['All'] }),
    );
    expect(attributes.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  });

  it('does not poll a mapping with Enabled: false', async () => {
    const id = await send('DisabledQueue', { n: 1 });
    // drain() waits until every polled queue is empty: a poller of this queue would take it first.
    await stack.drain();
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: await urlOf('DisabledQueue'),
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(out.Messages?.map((m) => [m.MessageId, m.Attributes?.ApproximateReceiveCount])).toEqual([
      [id, '1'],
    ]);
  });
});
