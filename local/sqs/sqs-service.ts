import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AwsJsonCall, AwsJsonError, awsJsonService, isRecord, type JsonObject } from '../aws-json';
import type { LocalService } from '../service';
import type { QueueModel } from '../template/types';
import { type MessageAttributeValue, md5OfMessageAttributes } from './md5';
import { type MessageCounts, messageIdOf, type Queue, QueueStore, type StoredMessage } from './queue-store';

// The SQS a dead-letter queue user needs, over the AWS JSON 1.0 protocol that
// @aws-sdk/client-sqs v3 speaks: find a queue, count, read, delete and purge its messages (and
// send one, to replay). A queue's RedrivePolicy moves messages to its dead-letter queue
// (queue-store.ts); Lambda's event source mappings poll in process (polledQueue). Batches,
// ChangeMessageVisibility, StartMessageMoveTask, FIFO and queue management are left out (docs/local-stack.md); they answer UnsupportedOperation naming the call.

export type { MessageAttributeValue } from './md5';

export interface SqsServiceOptions {
  queues: QueueModel[];
  /**
   * The local AWS endpoint (http://127.0.0.1:port). Queue URLs handed out by GetQueueUrl and
   * ListQueues point here, because the SDK sends each call to its QueueUrl's host
   * (`useQueueUrlAsEndpoint`) unless the client has an explicit `endpoint`. Without it the
   * model's AWS-shaped URLs are returned. Requests may use either form.
   */
  endpointUrl?: string;
  /** Clock in epoch ms; tests pass their own to exercise retention and visibility. */
  now?: () => number;
  /** How often a waiting long poll re-checks for messages whose visibility timeout ended. */
  longPollRecheckMs?: number;
}

export interface SqsStats {
  requests: Record<string, number>;
  sent: number;
  received: number;
  deleted: number;
  expired: number;
  movedToDeadLetter: number;
}

export type { StoredMessage } from './queue-store';

/**
 * A queue as Lambda's event source mapping poller sees it (in process: the poller is Lambda's,
 * not a client of the endpoint).
 */
export interface PolledQueue {
  model: QueueModel;
  /** Up to `max` visible messages, hidden for the queue's visibility timeout; `accept` may pass one over. */
  receive(max: number, accept?: (message: StoredMessage) => boolean): StoredMessage[];
  /** Resolves when a message is sent to the queue, or after `ms`. */
  waitForMessage(ms: number): Promise<void>;
  delete(messageId: string): void;
}

export interface QueueDepth extends MessageCounts {
  queueName: string;
}

/** SQS's errors carry `com.amazonaws.sqs#<Code>` and the awsQueryError code the SDK maps to a class. */
export class SqsError extends AwsJsonError {
  constructor(code: string, message: string, queryCode: string = code, statusCode = 400) {
    super(code, message, statusCode, queryCode);
  }
}

const MAX_MESSAGE_BYTES = 1_048_576; // SQS raised the message size limit to 1 MiB in 2025.
const MAX_WAIT_SECONDS = 20;
const MAX_VISIBILITY_SECONDS = 43_200;

const queueDoesNotExist = () =>
  new SqsError(
    'QueueDoesNotExist',
    'The specified queue does not exist.',
    'AWS.SimpleQueueService.NonExistentQueue',
  );

const invalidParameter = (message: string) => new SqsError('InvalidParameterValue', message);

export class SqsService implements LocalService<SqsStats> {
  private readonly store: QueueStore;
  private readonly endpointUrl?: string;
  private readonly now: () => number;
  private readonly recheckMs: number;
  private closed = false;
  private requests: Record<string, number> = {};
  private readonly wire = awsJsonService({
    serviceName: 'The local SQS',
    dialect: {
      targetPrefix: 'AmazonSQS.',
      version: '1.0',
      errorType: (code) => `com.amazonaws.sqs#${code}`,
      errorHeaders: (e) => ({
        'x-amzn-query-error': `${e.queryCode};${e.statusCode < 500 ? 'Sender' : 'Receiver'}`,
      }),
    },
    unsupportedCode: 'UnsupportedOperation',
    unsupportedQueryCode: 'AWS.SimpleQueueService.UnsupportedOperation',
    onRequest: (operation) => {
      const name = operation || 'unknown';
      this.requests[name] = (this.requests[name] ?? 0) + 1;
    },
    operations: {
      SendMessage: (input, call) => this.sendMessage(input, call),
      ReceiveMessage: (input, call) => this.receiveMessage(input, call),
      DeleteMessage: (input) => this.deleteMessage(input),
      GetQueueUrl: (input) => this.getQueueUrl(input),
      GetQueueAttributes: (input) => this.getQueueAttributes(input),
      ListQueues: (input) => this.listQueues(input),
      PurgeQueue: (input) => this.purgeQueue(input),
    },
  });

  constructor(options: SqsServiceOptions) {
    this.endpointUrl = options.endpointUrl?.replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
    this.recheckMs = options.longPollRecheckMs ?? 100;
    this.store = new QueueStore(options.queues, this.now);
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    return this.wire.handleRequest(req, res, body);
  }

  /** The URL clients should use for a queue (local when endpointUrl is set). */
  queueUrl(queueName: string): string {
    const queue = this.store.byName(queueName);
    if (!queue) throw queueDoesNotExist();
    return this.urlOf(queue);
  }

  /** In-process send (EventBridge and Lambda dead-letter queues). Throws QueueDoesNotExist. */
  async send(
    arn: string,
    body: string,
    attributes: Record<string, string | MessageAttributeValue> = {},
  ): Promise<{ messageId: string }> {
    const queue = this.store.byArn(arn);
    if (!queue) throw queueDoesNotExist();
    const normalised: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(attributes)) {
      normalised[name] = typeof value === 'string' ? { DataType: 'String', StringValue: value } : value;
    }
    return { messageId: this.store.enqueue(queue, body, normalised).messageId };
  }

  /** The queue of this ARN for an event source mapping; undefined when there is none. */
  polledQueue(arn: string): PolledQueue | undefined {
    const queue = this.store.byArn(arn);
    if (!queue) return undefined;
    return {
      model: queue.model,
      receive: (max, accept) =>
        this.closed ? [] : this.store.take(queue, max, queue.model.visibilityTimeoutSeconds, accept),
      // Closed, it still waits (a poller that loops on it must not spin).
      waitForMessage: (ms) =>
        this.closed
          ? new Promise((resolve) => setTimeout(resolve, ms))
          : this.store.waitForMessage(queue, ms),
      delete: (messageId) => this.store.delete(queue, messageId),
    };
  }

  /** Message counts per queue, for the CLI and tests. */
  depths(): QueueDepth[] {
    return this.store
      .all()
      .map((queue) => ({ queueName: queue.model.queueName, ...this.store.counts(queue) }));
  }

  /** ReceiveMessage long polls waiting on a queue now (tests wait for one before sending). */
  waitingReceives(queueName: string): number {
    return this.store.byName(queueName)?.waiters.size ?? 0;
  }

  stats(): SqsStats {
    return { requests: { ...this.requests }, ...this.store.counters };
  }

  resetStats(): void {
    this.requests = {};
    this.store.counters = QueueStore.zero();
  }

  /** Nothing runs in the background: messages wait in their queues until someone asks. */
  drain(): Promise<void> {
    return Promise.resolve();
  }

  /** Ends waiting long polls (they answer with no messages) and refuses further requests. */
  close(): void {
    this.closed = true;
    this.store.wakeAll();
  }

  // --- operations ------------------------------------------------------------------------------

  private sendMessage(input: JsonObject, call: AwsJsonCall) {
    const queue = this.queueFromInput(input);
    const entry = validateEntry(input);
    const message = this.store.enqueue(
      queue,
      entry.body,
      entry.attributes,
      entry.delaySeconds,
      traceHeaderOf(input, call),
    );
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: message.md5OfBody,
      ...(message.md5OfAttributes ? { MD5OfMessageAttributes: message.md5OfAttributes } : {}),
    };
  }

  private async receiveMessage(input: JsonObject, call: AwsJsonCall) {
    const queue = this.queueFromInput(input);
    const max = optionalInt(input.MaxNumberOfMessages, 'MaxNumberOfMessages', 1, 10) ?? 1;
    const visibility =
      optionalInt(input.VisibilityTimeout, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS) ??
      queue.model.visibilityTimeoutSeconds;
    const wait = optionalInt(input.WaitTimeSeconds, 'WaitTimeSeconds', 0, MAX_WAIT_SECONDS) ?? 0;
    const systemNames = [
      ...stringList(input.AttributeNames),
      ...stringList(input.MessageSystemAttributeNames),
    ];
    const attributeNames = stringList(input.MessageAttributeNames);

    let taken = this.store.take(queue, max, visibility);
    if (taken.length === 0 && wait > 0) {
      const deadline = this.now() + wait * 1000;
      let clientGone = false;
      const onClose = () => {
        clientGone = true;
      };
      // The response closes early only when the client went away (IncomingMessage's own 'close'
      // fires as soon as the request body has been read).
      call.response.once('close', onClose);
      while (taken.length === 0 && !this.closed && !clientGone && this.now() < deadline) {
        await this.store.waitForMessage(queue, Math.min(this.recheckMs, Math.max(0, deadline - this.now())));
        taken = this.store.take(queue, max, visibility);
      }
      call.response.off('close', onClose);
    }
    if (taken.length === 0) return {};
    return { Messages: taken.map((m) => toWire(m, systemNames, attributeNames)) };
  }

  private deleteMessage(input: JsonObject) {
    const queue = this.queueFromInput(input);
    const handle = input.ReceiptHandle;
    if (typeof handle !== 'string' || handle === '') throw invalidParameter('ReceiptHandle is required.');
    const messageId = messageIdOf(queue, handle);
    if (messageId === undefined) {
      throw new SqsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${handle}" is not a valid receipt handle.`,
      );
    }
    this.store.delete(queue, messageId);
    return {};
  }

  private getQueueUrl(input: JsonObject) {
    const queue = this.store.byName(typeof input.QueueName === 'string' ? input.QueueName : '');
    if (!queue) throw queueDoesNotExist();
    return { QueueUrl: this.urlOf(queue) };
  }

  private getQueueAttributes(input: JsonObject) {
    const queue = this.queueFromInput(input);
    const names = stringList(input.AttributeNames);
    const counts = this.store.counts(queue);
    const all: Record<string, string> = {
      QueueArn: queue.model.arn,
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      VisibilityTimeout: String(queue.model.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(queue.model.messageRetentionSeconds),
      MaximumMessageSize: String(MAX_MESSAGE_BYTES),
      DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0',
      CreatedTimestamp: String(Math.floor(queue.createdTimestamp / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.createdTimestamp / 1000)),
      SqsManagedSseEnabled: 'true',
    };
    if (names.length === 0) return {};
    if (names.includes('All')) return { Attributes: all };
    const Attributes: Record<string, string> = {};
    for (const name of names) {
      if (!(name in all) && !KNOWN_QUEUE_ATTRIBUTES.has(name)) {
        throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
      if (name in all) Attributes[name] = all[name] as string;
    }
    return { Attributes };
  }

  private listQueues(input: JsonObject) {
    const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
    const urls = this.store
      .all()
      .filter((q) => q.model.queueName.startsWith(prefix))
      .map((q) => this.urlOf(q))
      .sort();
    const max = optionalInt(input.MaxResults, 'MaxResults', 1, 1000) ?? 1000;
    return urls.length === 0 ? {} : { QueueUrls: urls.slice(0, max) };
  }

  private purgeQueue(input: JsonObject) {
    this.store.purge(this.queueFromInput(input));
    return {};
  }

  // --- internals -------------------------------------------------------------------------------

  private urlOf(queue: Queue): string {
    if (!this.endpointUrl) return queue.model.url;
    const account = queue.model.arn.split(':')[4] ?? '000000000000';
    return `${this.endpointUrl}/${account}/${queue.model.queueName}`;
  }

  // Both the AWS-shaped and the local URL name the queue in their last path segment.
  private queueFromInput(input: JsonObject): Queue {
    const url = input.QueueUrl;
    if (typeof url !== 'string' || url === '') throw invalidParameter('QueueUrl is required.');
    const queue = this.store.byName(url.replace(/\/+$/, '').split('/').pop() ?? '');
    if (!queue) throw queueDoesNotExist();
    return queue;
  }
}

// Attributes SQS knows but these queues do not set: asking for one is not an error.
const KNOWN_QUEUE_ATTRIBUTES = new Set([
  'Policy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'RedriveAllowPolicy',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'RedrivePolicy',
  'FifoQueue',
]);

/**
 * SQS keeps a send's X-Ray context as the AWSTraceHeader system attribute: the one given in
 * MessageSystemAttributes wins over the request's X-Amzn-Trace-Id header (which the X-Ray SDK adds
 * inside a traced Lambda).
 */
function traceHeaderOf(input: JsonObject, call: AwsJsonCall): string | undefined {
  const given = isRecord(input.MessageSystemAttributes)
    ? input.MessageSystemAttributes.AWSTraceHeader
    : undefined;
  if (isRecord(given) && typeof given.StringValue === 'string') return given.StringValue;
  const header = call.response.req?.headers['x-amzn-trace-id'];
  return typeof header === 'string' && header !== '' ? header : undefined;
}

function validateEntry(input: JsonObject) {
  const body = input.MessageBody;
  if (typeof body !== 'string' || body.length === 0) {
    throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
  }
  if (Buffer.byteLength(body, 'utf8') > MAX_MESSAGE_BYTES) {
    throw invalidParameter(
      `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`,
    );
  }
  // SQS accepts only #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
  if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(body)) {
    throw new SqsError(
      'InvalidMessageContents',
      'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
    );
  }
  const delaySeconds = optionalInt(input.DelaySeconds, 'DelaySeconds', 0, 900) ?? 0;
  const attributes: Record<string, MessageAttributeValue> = {};
  if (isRecord(input.MessageAttributes)) {
    for (const [name, value] of Object.entries(input.MessageAttributes)) {
      if (!isRecord(value) || typeof value.DataType !== 'string') {
        throw invalidParameter(
          `The message attribute '${name}' must contain a non-empty message attribute type.`,
        );
      }
      attributes[name] = {
        DataType: value.DataType,
        ...(typeof value.StringValue === 'string' ? { StringValue: value.StringValue } : {}),
        ...(typeof value.BinaryValue === 'string' ? { BinaryValue: value.BinaryValue } : {}),
      };
    }
  }
  return { body, delaySeconds, attributes };
}

function toWire(message: StoredMessage, systemNames: string[], attributeNames: string[]) {
  const system: Record<string, string> = {
    SenderId: 'AIDAIENQZJOLO23YVJ4VO',
    SentTimestamp: String(message.sentTimestamp),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
    ...(message.traceHeader ? { AWSTraceHeader: message.traceHeader } : {}),
    ...(message.deadLetterQueueSourceArn
      ? { DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn }
      : {}),
  };
  const Attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(system)) {
    if (systemNames.includes('All') || systemNames.includes(name)) Attributes[name] = value;
  }
  const MessageAttributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.attributes)) {
    const wanted = attributeNames.some(
      (n) => n === 'All' || n === '.*' || n === name || (n.endsWith('.*') && name.startsWith(n.slice(0, -1))),
    );
    if (wanted) MessageAttributes[name] = value;
  }
  const selected = Object.keys(MessageAttributes).length > 0;
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(Attributes).length > 0 ? { Attributes } : {}),
    ...(selected
      ? { MessageAttributes, MD5OfMessageAttributes: md5OfMessageAttributes(MessageAttributes) }
      : {}),
  };
}

function optionalInt(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(
      `Value ${String(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  }
  return value;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
