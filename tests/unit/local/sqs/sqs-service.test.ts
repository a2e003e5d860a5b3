import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { SqsService } from '../../../../local/sqs';
import type { QueueModel } from '../../../../local/template/types';

const queue = (name: string, extra: Partial<QueueModel> = {}): QueueModel => ({
  logicalId: name.replace(/-/g, ''),
  queueName: name,
  arn: `arn:aws:sqs:us-east-1:123456789012:${name}`,
  url: `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`,
  messageRetentionSeconds: 345_600,
  visibilityTimeoutSeconds: 30,
  fifo: false,
  ...extra,
});

interface Harness {
  service: SqsService;
  client: SQSClient;
  endpoint: string;
  clock: { now: number };
  close(): Promise<void>;
}

async function start(queues: QueueModel[]): Promise<Harness> {
  const clock = { now: 1_700_000_000_000 };
  let service: SqsService | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void service?.handleRequest(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  service = new SqsService({ queues, endpointUrl: endpoint, now: () => clock.now, longPollRecheckMs: 20 });
  const client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    service,
    client,
    endpoint,
    clock,
    async close() {
      service?.close();
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits for a condition of the service itself, one event-loop turn at a time. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('SqsService over the real @aws-sdk/client-sqs', () => {
  let h: Harness;
  let url: string;

  beforeEach(async () => {
    h = await start([queue('jobs'), queue('jobs-dlq'), queue('other')]);
    url = (await h.client.send(new GetQueueUrlCommand({ QueueName: 'jobs' }))).QueueUrl as string;
  });
  afterEach(() => h.close());

  it('hands out queue URLs on the local endpoint', async () => {
    expect(url).toBe(`${h.endpoint}/123456789012/jobs`);
    const listed = await h.client.send(new ListQueuesCommand({ QueueNamePrefix: 'jobs' }));
    expect(listed.QueueUrls).toEqual([
      `${h.endpoint}/123456789012/jobs`,
      `${h.endpoint}/123456789012/jobs-dlq`,
    ]);
  });

  it('sends and receives a message with its MD5 and attributes (the SDK verifies the MD5s)', async () => {
    const sent = await h.client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'héllo',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'greeting' } },
      }),
    );
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update('héllo', 'utf8').digest('hex'));

    const received = await h.client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    expect(received.Messages).toHaveLength(1);
    const [message] = received.Messages ?? [];
    expect(message?.Body).toBe('héllo');
    expect(message?.MessageId).toBe(sent.MessageId);
    expect(message?.MessageAttributes?.kind?.StringValue).toBe('greeting');
    expect(message?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(message?.Attributes?.SentTimestamp).toBe(String(h.clock.now));
  });

  it('accepts the AWS-shaped queue URL from the template too', async () => {
    await h.client.send(
      new SendMessageCommand({
        QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/other',
        MessageBody: 'x',
      }),
    );
    expect(h.service.depths().find((d) => d.queueName === 'other')?.visible).toBe(1);
  });

  it('hides a received message for the visibility timeout and redelivers it afterwards', async () => {
    await h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    const first = await h.client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 10 }));
    expect(first.Messages).toHaveLength(1);

    const hidden = await h.client.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(hidden.Messages).toBeUndefined();
    const attrs = await h.client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    expect(attrs.Attributes?.ApproximateNumberOfMessages).toBe('0');
    expect(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('1');
    expect(attrs.Attributes?.QueueArn).toBe('arn:aws:sqs:us-east-1:123456789012:jobs');

    h.clock.now += 10_000;
    const again = await h.client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('deletes a message by receipt handle and rejects a malformed handle', async () => {
    await h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    const received = await h.client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
    const handle = received.Messages?.[0]?.ReceiptHandle as string;
    await h.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: handle }));
    expect(h.service.depths().find((d) => d.queueName === 'jobs')).toMatchObject({ visible: 0, inFlight: 0 });

    await expect(
      h.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'nonsense' })),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
  });

  it('raises QueueDoesNotExist for an unknown queue', async () => {
    await expect(h.client.send(new GetQueueUrlCommand({ QueueName: 'nope' }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
    const error = await h.client
      .send(new SendMessageCommand({ QueueUrl: `${h.endpoint}/123456789012/nope`, MessageBody: 'x' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    expect((error as QueueDoesNotExist).$metadata.httpStatusCode).toBe(400);
  });

  it('rejects an out-of-range MaxNumberOfMessages', async () => {
    await expect(
      h.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('purges a queue', async () => {
    await h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    await h.client.send(new PurgeQueueCommand({ QueueUrl: url }));
    const attrs = await h.client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(attrs.Attributes).toEqual({ ApproximateNumberOfMessages: '0' });
  });

  it('drops messages older than the retention period', async () => {
    await h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'old' }));
    h.clock.now += 345_600 * 1000;
    const received = await h.client.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(received.Messages).toBeUndefined();
  });

  it('answers a long poll as soon as an in-process sender adds a message', async () => {
    const polling = h.client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    // The fake clock does not advance, so the poll can only end because a message arrived.
    await until(() => h.service.waitingReceives('jobs') === 1);
    await h.service.send('arn:aws:sqs:us-east-1:123456789012:jobs', '{"event":1}', { RULE_ARN: 'arn:rule' });
    const received = await polling;
    expect(received.Messages?.[0]?.Body).toBe('{"event":1}');
  });

  it('answers an operation it leaves out with UnsupportedOperation naming it', async () => {
    const error = await h.client
      .send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'x' }] }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'UnsupportedOperation',
      message: expect.stringContaining('SendMessageBatch'),
      $metadata: { httpStatusCode: 400 },
    });
    expect(h.service.depths().find((d) => d.queueName === 'jobs')?.visible).toBe(0);
  });

  it('exposes in-process attributes as String message attributes', async () => {
    await h.service.send('arn:aws:sqs:us-east-1:123456789012:jobs', 'body', {
      ERROR_CODE: 'ThrottlingException',
      RETRY_ATTEMPTS: { DataType: 'Number', StringValue: '3' },
    });
    const received = await h.client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'] }),
    );
    expect(received.Messages?.[0]?.MessageAttributes).toEqual({
      ERROR_CODE: { DataType: 'String', StringValue: 'ThrottlingException' },
      RETRY_ATTEMPTS: { DataType: 'Number', StringValue: '3' },
    });
    await expect(h.service.send('arn:aws:sqs:us-east-1:123456789012:missing', 'x')).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
  });

  it('moves a message received maxReceiveCount times to the RedrivePolicy dead-letter queue, keeping its id and send time', async () => {
    const dlqArn = 'arn:aws:sqs:us-east-1:123456789012:work-dlq';
    const r = await start([
      queue('work', { redrivePolicy: { deadLetterTargetArn: dlqArn, maxReceiveCount: 2 } }),
      queue('work-dlq'),
    ]);
    try {
      const work = `${r.endpoint}/123456789012/work`;
      const dlq = `${r.endpoint}/123456789012/work-dlq`;
      const sent = await r.client.send(new SendMessageCommand({ QueueUrl: work, MessageBody: 'poison' }));
      for (let i = 0; i < 2; i++) {
        const got = await r.client.send(new ReceiveMessageCommand({ QueueUrl: work }));
        expect(got.Messages?.[0]?.MessageId).toBe(sent.MessageId);
        r.clock.now += 31_000; // past the visibility timeout, not deleted
      }
      // The third receive finds it over maxReceiveCount: SQS moves it instead of delivering it.
      expect((await r.client.send(new ReceiveMessageCommand({ QueueUrl: work }))).Messages).toBeUndefined();
      const dead = await r.client.send(
        new ReceiveMessageCommand({ QueueUrl: dlq, MessageSystemAttributeNames: ['All'] }),
      );
      expect(dead.Messages?.[0]).toMatchObject({
        MessageId: sent.MessageId,
        Body: 'poison',
        Attributes: {
          DeadLetterQueueSourceArn: 'arn:aws:sqs:us-east-1:123456789012:work',
          SentTimestamp: String(1_700_000_000_000),
        },
      });
      expect(r.service.stats().movedToDeadLetter).toBe(1);
    } finally {
      await r.close();
    }
  });

  it('keeps the AWSTraceHeader of a send as a system attribute', async () => {
    const header = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    await h.client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'traced',
        MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: header } },
      }),
    );
    const received = await h.client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['AWSTraceHeader'] }),
    );
    expect(received.Messages?.[0]?.Attributes).toEqual({ AWSTraceHeader: header });
  });
});
