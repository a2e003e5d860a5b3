import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { QueueModel } from '../template/types';
import { type MessageAttributeValue, md5Hex, md5OfMessageAttributes } from './md5';

// In-memory SQS standard queues behind the AWS JSON 1.0 protocol that @aws-sdk/client-sqs v3
// speaks (POST /, `X-Amz-Target: AmazonSQS.<Operation>`, `application/x-amz-json-1.0`). Errors
// carry `__type: com.amazonaws.sqs#<Name>` and the `x-amzn-query-error` header, which is how the
// SDK picks the right exception class (e.g. QueueDoesNotExist).

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
  movedToDeadLetterQueue: number;
  expired: number;
}

export interface QueueDepth {
  queueName: string;
  visible: number;
  inFlight: number;
  delayed: number;
}

interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, MessageAttributeValue>;
  md5OfAttributes?: string;
  sentTimestamp: number;
  visibleAt: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  receiptHandle?: string;
}

interface Queue {
  model: QueueModel;
  createdTimestamp: number;
  messages: StoredMessage[];
  waiters: Set<() => void>;
}

export class SqsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The awsQueryError code the SDK maps back to the exception class; defaults to `code`. */
    readonly queryCode: string = code,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
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

function invalidParameter(message: string): SqsError {
  return new SqsError('InvalidParameterValue', message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class SqsService {
  private readonly queues = new Map<string, Queue>(); // by queue name
  private readonly endpointUrl?: string;
  private readonly now: () => number;
  private readonly recheckMs: number;
  private closed = false;
  private readonly counters: SqsStats = {
    requests: {},
    sent: 0,
    received: 0,
    deleted: 0,
    movedToDeadLetterQueue: 0,
    expired: 0,
  };

  constructor(options: SqsServiceOptions) {
    this.endpointUrl = options.endpointUrl?.replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
    this.recheckMs = options.longPollRecheckMs ?? 100;
    for (const model of options.queues) {
      this.queues.set(model.queueName, {
        model,
        createdTimestamp: this.now(),
        messages: [],
        waiters: new Set(),
      });
    }
  }

  /** The URL clients should use for a queue (local when endpointUrl is set). */
  queueUrl(queueName: string): string {
    const queue = this.queues.get(queueName);
    if (!queue) throw queueDoesNotExist();
    return this.urlOf(queue);
  }

  /** In-process send (EventBridge and Lambda dead-letter queues). Throws QueueDoesNotExist. */
  async send(
    arn: string,
    body: string,
    attributes: Record<string, string | MessageAttributeValue> = {},
  ): Promise<{ messageId: string }> {
    const queue = [...this.queues.values()].find((q) => q.model.arn === arn);
    if (!queue) throw queueDoesNotExist();
    const normalised: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(attributes)) {
      normalised[name] = typeof value === 'string' ? { DataType: 'String', StringValue: value } : value;
    }
    const message = this.enqueue(queue, body, normalised, 0);
    return { messageId: message.messageId };
  }

  /** Message counts per queue, for the CLI and tests. */
  depths(): QueueDepth[] {
    return [...this.queues.values()].map((queue) => {
      this.expire(queue);
      return { queueName: queue.model.queueName, ...this.counts(queue) };
    });
  }

  stats(): SqsStats {
    return { ...this.counters, requests: { ...this.counters.requests } };
  }

  /** Ends waiting long polls (they answer with no messages) and refuses further requests. */
  close(): void {
    this.closed = true;
    for (const queue of this.queues.values()) for (const wake of queue.waiters) wake();
  }

  async handleRequest(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const requestId = randomUUID();
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
    this.counters.requests[operation || 'unknown'] =
      (this.counters.requests[operation || 'unknown'] ?? 0) + 1;
    try {
      if (req.method !== 'POST') throw new SqsError('UnsupportedOperation', 'Only POST is supported.');
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new SqsError('SerializationException', 'The request body is not valid JSON.');
      }
      if (!isRecord(input))
        throw new SqsError('SerializationException', 'The request body must be a JSON object.');
      const output = await this.dispatch(operation, input, res);
      writeJson(res, 200, output, requestId);
    } catch (error) {
      const e =
        error instanceof SqsError
          ? error
          : new SqsError(
              'InternalFailure',
              (error as Error).message ?? 'Internal failure',
              'InternalFailure',
              500,
            );
      res.setHeader('x-amzn-query-error', `${e.queryCode};${e.statusCode < 500 ? 'Sender' : 'Receiver'}`);
      writeJson(res, e.statusCode, { __type: `com.amazonaws.sqs#${e.code}`, message: e.message }, requestId);
    }
  }

  private dispatch(operation: string, input: Record<string, unknown>, res: ServerResponse): unknown {
    switch (operation) {
      case 'SendMessage':
        return this.sendMessage(input);
      case 'SendMessageBatch':
        return this.sendMessageBatch(input);
      case 'ReceiveMessage':
        return this.receiveMessage(input, res);
      case 'DeleteMessage':
        return this.deleteMessage(input);
      case 'DeleteMessageBatch':
        return this.deleteMessageBatch(input);
      case 'ChangeMessageVisibility':
        return this.changeMessageVisibility(input);
      case 'GetQueueUrl':
        return this.getQueueUrl(input);
      case 'GetQueueAttributes':
        return this.getQueueAttributes(input);
      case 'ListQueues':
        return this.listQueues(input);
      case 'PurgeQueue':
        return this.purgeQueue(input);
      default:
        throw new SqsError(
          'UnsupportedOperation',
          `The local SQS does not implement ${operation || 'this operation'}.`,
          'AWS.SimpleQueueService.UnsupportedOperation',
        );
    }
  }

  // --- operations ------------------------------------------------------------------------------

  private sendMessage(input: Record<string, unknown>) {
    const queue = this.queueFromInput(input);
    const entry = this.validateEntry(input);
    const message = this.enqueue(queue, entry.body, entry.attributes, entry.delaySeconds);
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: message.md5OfBody,
      ...(message.md5OfAttributes ? { MD5OfMessageAttributes: message.md5OfAttributes } : {}),
    };
  }

  private sendMessageBatch(input: Record<string, unknown>) {
    const queue = this.queueFromInput(input);
    const entries = this.batchEntries(input);
    const total = entries.reduce((sum, e) => sum + Buffer.byteLength(String(e.MessageBody ?? ''), 'utf8'), 0);
    if (total > MAX_MESSAGE_BYTES) {
      throw new SqsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes.`,
        'AWS.SimpleQueueService.BatchRequestTooLong',
      );
    }
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const raw of entries) {
      try {
        const entry = this.validateEntry(raw);
        const message = this.enqueue(queue, entry.body, entry.attributes, entry.delaySeconds);
        Successful.push({
          Id: raw.Id,
          MessageId: message.messageId,
          MD5OfMessageBody: message.md5OfBody,
          ...(message.md5OfAttributes ? { MD5OfMessageAttributes: message.md5OfAttributes } : {}),
        });
      } catch (error) {
        const e = error as SqsError;
        Failed.push({ Id: raw.Id, SenderFault: true, Code: e.code, Message: e.message });
      }
    }
    return { Successful, Failed };
  }

  private async receiveMessage(input: Record<string, unknown>, res: ServerResponse) {
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

    let taken = this.take(queue, max, visibility);
    if (taken.length === 0 && wait > 0) {
      const deadline = this.now() + wait * 1000;
      let clientGone = false;
      const onClose = () => {
        clientGone = true;
      };
      // The response closes early only when the client went away (IncomingMessage's own 'close'
      // fires as soon as the request body has been read).
      res.once('close', onClose);
      while (taken.length === 0 && !this.closed && !clientGone && this.now() < deadline) {
        await this.waitForMessage(queue, Math.min(this.recheckMs, Math.max(0, deadline - this.now())));
        taken = this.take(queue, max, visibility);
      }
      res.off('close', onClose);
    }
    if (taken.length === 0) return {};
    return {
      Messages: taken.map((m) => this.toWire(m, systemNames, attributeNames)),
    };
  }

  private deleteMessage(input: Record<string, unknown>) {
    const queue = this.queueFromInput(input);
    this.deleteByHandle(queue, input.ReceiptHandle);
    return {};
  }

  private deleteMessageBatch(input: Record<string, unknown>) {
    const queue = this.queueFromInput(input);
    const entries = this.batchEntries(input);
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const entry of entries) {
      try {
        this.deleteByHandle(queue, entry.ReceiptHandle);
        Successful.push({ Id: entry.Id });
      } catch (error) {
        const e = error as SqsError;
        Failed.push({ Id: entry.Id, SenderFault: true, Code: e.code, Message: e.message });
      }
    }
    return { Successful, Failed };
  }

  private changeMessageVisibility(input: Record<string, unknown>) {
    const queue = this.queueFromInput(input);
    const timeout = optionalInt(input.VisibilityTimeout, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
    if (timeout === undefined) throw invalidParameter('VisibilityTimeout is required.');
    const handle = this.checkHandle(queue, input.ReceiptHandle);
    const message = queue.messages.find((m) => m.receiptHandle === handle);
    if (!message || message.visibleAt <= this.now()) {
      throw new SqsError(
        'MessageNotInflight',
        'The message referred to is not in flight.',
        'AWS.SimpleQueueService.MessageNotInflight',
      );
    }
    message.visibleAt = this.now() + timeout * 1000;
    if (timeout === 0) this.wake(queue);
    return {};
  }

  private getQueueUrl(input: Record<string, unknown>) {
    const name = typeof input.QueueName === 'string' ? input.QueueName : '';
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return { QueueUrl: this.urlOf(queue) };
  }

  private getQueueAttributes(input: Record<string, unknown>) {
    const queue = this.queueFromInput(input);
    this.expire(queue);
    const names = stringList(input.AttributeNames);
    const counts = this.counts(queue);
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
    if (queue.model.redrivePolicy) all.RedrivePolicy = JSON.stringify(queue.model.redrivePolicy);
    if (queue.model.fifo) all.FifoQueue = 'true';
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

  private listQueues(input: Record<string, unknown>) {
    const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
    const urls = [...this.queues.values()]
      .filter((q) => q.model.queueName.startsWith(prefix))
      .map((q) => this.urlOf(q))
      .sort();
    const max = optionalInt(input.MaxResults, 'MaxResults', 1, 1000);
    return urls.length === 0
      ? {}
      : { QueueUrls: max === undefined ? urls.slice(0, 1000) : urls.slice(0, max) };
  }

  private purgeQueue(input: Record<string, unknown>) {
    const queue = this.queueFromInput(input);
    queue.messages = [];
    return {};
  }

  // --- internals -------------------------------------------------------------------------------

  private urlOf(queue: Queue): string {
    if (!this.endpointUrl) return queue.model.url;
    const account = queue.model.arn.split(':')[4] ?? '000000000000';
    return `${this.endpointUrl}/${account}/${queue.model.queueName}`;
  }

  // Both the AWS-shaped and the local URL name the queue in their last path segment.
  private queueFromInput(input: Record<string, unknown>): Queue {
    const url = input.QueueUrl;
    if (typeof url !== 'string' || url === '') throw invalidParameter('QueueUrl is required.');
    const name = url.replace(/\/+$/, '').split('/').pop() ?? '';
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  private batchEntries(input: Record<string, unknown>): Record<string, unknown>[] {
    const entries = Array.isArray(input.Entries) ? (input.Entries as unknown[]).filter(isRecord) : [];
    if (entries.length === 0) {
      throw new SqsError(
        'EmptyBatchRequest',
        'There should be at least one SendMessageBatchRequestEntry in the request.',
        'AWS.SimpleQueueService.EmptyBatchRequest',
      );
    }
    if (entries.length > 10) {
      throw new SqsError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
        'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      );
    }
    const ids = new Set<string>();
    for (const entry of entries) {
      const id = entry.Id;
      if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
        throw new SqsError(
          'InvalidBatchEntryId',
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
          'AWS.SimpleQueueService.InvalidBatchEntryId',
        );
      }
      if (ids.has(id)) {
        throw new SqsError(
          'BatchEntryIdsNotDistinct',
          `Id ${id} repeated.`,
          'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
        );
      }
      ids.add(id);
    }
    return entries;
  }

  private validateEntry(input: Record<string, unknown>) {
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

  private enqueue(
    queue: Queue,
    body: string,
    attributes: Record<string, MessageAttributeValue>,
    delaySeconds: number,
  ): StoredMessage {
    const now = this.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      attributes,
      md5OfAttributes: md5OfMessageAttributes(attributes),
      sentTimestamp: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
    };
    queue.messages.push(message);
    this.counters.sent++;
    this.wake(queue);
    return message;
  }

  private expire(queue: Queue): void {
    const cutoff = this.now() - queue.model.messageRetentionSeconds * 1000;
    const before = queue.messages.length;
    queue.messages = queue.messages.filter((m) => m.sentTimestamp > cutoff);
    this.counters.expired += before - queue.messages.length;
  }

  private counts(queue: Queue): { visible: number; inFlight: number; delayed: number } {
    const now = this.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const m of queue.messages) {
      if (m.visibleAt <= now) visible++;
      else if (m.receiveCount > 0) inFlight++;
      else delayed++;
    }
    return { visible, inFlight, delayed };
  }

  private take(queue: Queue, max: number, visibilitySeconds: number): StoredMessage[] {
    this.expire(queue);
    const now = this.now();
    const taken: StoredMessage[] = [];
    for (const message of [...queue.messages]) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      const redrive = queue.model.redrivePolicy;
      // SQS moves a message to the dead-letter queue once it has been received maxReceiveCount times.
      if (
        redrive &&
        message.receiveCount >= redrive.maxReceiveCount &&
        this.moveToDeadLetter(queue, message)
      ) {
        continue;
      }
      message.receiveCount++;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + visibilitySeconds * 1000;
      message.receiptHandle = this.newReceiptHandle(queue, message);
      taken.push(message);
    }
    this.counters.received += taken.length;
    return taken;
  }

  private moveToDeadLetter(queue: Queue, message: StoredMessage): boolean {
    const target = [...this.queues.values()].find(
      (q) => q.model.arn === queue.model.redrivePolicy?.deadLetterTargetArn,
    );
    if (!target) return false;
    queue.messages = queue.messages.filter((m) => m !== message);
    const { firstReceiveTimestamp: _first, receiptHandle: _handle, ...rest } = message;
    target.messages.push({ ...rest, visibleAt: this.now(), receiveCount: 0 });
    this.counters.movedToDeadLetterQueue++;
    this.wake(target);
    return true;
  }

  private newReceiptHandle(queue: Queue, message: StoredMessage): string {
    const raw = `${queue.model.queueName} ${message.messageId} ${randomBytes(8).toString('hex')}`;
    return Buffer.from(raw, 'utf8').toString('base64');
  }

  private checkHandle(queue: Queue, handle: unknown): string {
    if (typeof handle !== 'string' || handle === '') throw invalidParameter('ReceiptHandle is required.');
    const decoded = Buffer.from(handle, 'base64').toString('utf8').split(' ');
    if (decoded.length !== 3 || decoded[0] !== queue.model.queueName) {
      throw new SqsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${handle}" is not a valid receipt handle.`,
      );
    }
    return handle;
  }

  // Deleting with a stale handle of a message that is already gone succeeds, as in SQS.
  private deleteByHandle(queue: Queue, handle: unknown): void {
    const valid = this.checkHandle(queue, handle);
    const messageId = Buffer.from(valid, 'base64').toString('utf8').split(' ')[1];
    const before = queue.messages.length;
    queue.messages = queue.messages.filter((m) => m.messageId !== messageId);
    this.counters.deleted += before - queue.messages.length;
  }

  private toWire(message: StoredMessage, systemNames: string[], attributeNames: string[]) {
    const system: Record<string, string> = {
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      SentTimestamp: String(message.sentTimestamp),
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
    };
    const Attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(system)) {
      if (systemNames.includes('All') || systemNames.includes(name)) Attributes[name] = value;
    }
    const MessageAttributes: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(message.attributes)) {
      const wanted = attributeNames.some(
        (n) =>
          n === 'All' || n === '.*' || n === name || (n.endsWith('.*') && name.startsWith(n.slice(0, -1))),
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

  private waitForMessage(queue: Queue, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        queue.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      queue.waiters.add(done);
    });
  }

  private wake(queue: Queue): void {
    for (const wake of [...queue.waiters]) wake();
  }
}

const KNOWN_QUEUE_ATTRIBUTES = new Set([
  'Policy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'RedriveAllowPolicy',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'SqsManagedSseEnabled',
  'RedrivePolicy',
  'FifoQueue',
]);

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

function writeJson(res: ServerResponse, status: number, payload: unknown, requestId: string): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}
