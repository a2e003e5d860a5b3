import { matchesEventPattern } from '../eventbridge/event-pattern';
import type { LocalService } from '../service';
import type { PolledQueue, StoredMessage } from '../sqs';
import type { EventSourceMappingModel, FunctionModel } from '../template/types';
import { parseTraceHeader, type SegmentDocument, startHop } from '../xray';
import type { InvokeResult } from './types';

// Lambda's event source mapping for SQS, as the Lambda developer guide describes it:
// - "Lambda polls the queue and invokes your function synchronously with an event that contains
//   queue messages" (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html);
// - a batch is sent when BatchSize records are gathered, when MaximumBatchingWindowInSeconds runs
//   out, or when the payload would pass the 6 MB of a synchronous invocation
//   (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html, BatchSize);
// - on success the batch is deleted; on a function error every message of it becomes visible again
//   when the queue's visibility timeout ends, so the queue's RedrivePolicy decides when it goes to
//   the dead-letter queue (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html);
// - with ReportBatchItemFailures only the records named in `batchItemFailures[].itemIdentifier`
//   stay; an empty or null list (or an empty or null response) is a complete success; an
//   itemIdentifier that is empty, null, not a message of the batch, or a response of the wrong
//   shape fails the whole batch (same page, "Success and failure conditions");
// - records that match none of the FilterCriteria are deleted without an invocation
//   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html).

/** The synchronous invocation payload limit: 6 MB. */
export const SYNC_PAYLOAD_LIMIT_BYTES = 6_291_456;

export interface SqsEventSourceOptions {
  mappings: EventSourceMappingModel[];
  functions: FunctionModel[];
  region: string;
  /** The queue of an event source ARN (the local SQS). */
  queue: (arn: string) => PolledQueue | undefined;
  /** A synchronous invocation, as LambdaService.invoke. */
  invoke: (
    logicalId: string,
    event: unknown,
    options: { label: string; traceHeader?: string },
  ) => Promise<InvokeResult>;
  /** How many invocations of a function may run at once locally (its pool and reserved concurrency). */
  functionConcurrency: (logicalId: string) => number;
  onSegment?: (segment: SegmentDocument) => void;
  onWarning?: (message: string) => void;
  /**
   * How often a waiting poller looks again for messages whose visibility timeout ended (a send
   * wakes it at once). Default 100 ms.
   */
  recheckMs?: number;
}

export interface EventSourceMappingStats {
  /** Invocations started with a batch. */
  batches: number;
  /** Records sent to functions. */
  records: number;
  /** Messages deleted after their batch (or their record) succeeded. */
  deleted: number;
  /** Batches that failed as a whole (function error, throttle, invalid partial response). */
  failedBatches: number;
  /** Records a partial batch response returned to the queue. */
  failedRecords: number;
  /** Messages that matched none of the filters, deleted without an invocation. */
  filteredOut: number;
}

const zero = (): EventSourceMappingStats => ({
  batches: 0,
  records: 0,
  deleted: 0,
  failedBatches: 0,
  failedRecords: 0,
  filteredOut: 0,
});

export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, LambdaMessageAttribute>;
  md5OfMessageAttributes?: string;
  md5OfBody: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

/** A message attribute in the Lambda event's casing (SQS's API says StringValue, Lambda stringValue). */
export interface LambdaMessageAttribute {
  stringValue?: string;
  binaryValue?: string;
  stringListValues: string[];
  binaryListValues: string[];
  dataType: string;
}

interface Poller {
  mapping: EventSourceMappingModel;
  fn: FunctionModel;
  queue: PolledQueue;
  maxConcurrency: number;
  inFlight: number;
  /** Records received and not yet handed to an invocation. */
  gathering: number;
  slotWaiters: (() => void)[];
  loop?: Promise<void>;
}

/** One poller per enabled mapping; drain() and close() cover them all. */
export class SqsEventSource implements LocalService<EventSourceMappingStats> {
  private readonly pollers: Poller[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly recheckMs: number;
  private counters = zero();
  private closed = false;

  constructor(private readonly options: SqsEventSourceOptions) {
    this.recheckMs = options.recheckMs ?? 100;
    for (const mapping of options.mappings) {
      if (!mapping.enabled) continue;
      const fn = options.functions.find((f) => f.logicalId === mapping.functionLogicalId);
      const queue = options.queue(mapping.eventSourceArn);
      if (!fn || !queue) {
        options.onWarning?.(`${mapping.logicalId}: its function or queue is not running locally; not polled`);
        continue;
      }
      // AWS scales an SQS mapping up to 1,250 concurrent invocations unless MaximumConcurrency caps
      // it; locally the function's environments are the cap, so batches wait in the queue (where
      // later messages can still join them) rather than in front of a busy pool.
      const local = Math.max(1, options.functionConcurrency(fn.logicalId));
      const maxConcurrency = Math.min(local, mapping.maximumConcurrency ?? local);
      this.pollers.push({ mapping, fn, queue, maxConcurrency, inFlight: 0, gathering: 0, slotWaiters: [] });
    }
  }

  /** Starts polling (the stack calls it once every service is up). */
  start(): void {
    for (const poller of this.pollers) {
      poller.loop = this.poll(poller).catch((err) =>
        this.options.onWarning?.(`${poller.mapping.logicalId}: poller stopped: ${(err as Error).message}`),
      );
    }
  }

  /** The mappings being polled (enabled, with their function and queue). */
  get polled(): EventSourceMappingModel[] {
    return this.pollers.map((p) => p.mapping);
  }

  stats(): EventSourceMappingStats {
    return { ...this.counters };
  }

  resetStats(): void {
    this.counters = zero();
  }

  /**
   * Resolves when no batch is being gathered or invoked and no polled queue holds a visible
   * message. Messages waiting for their visibility timeout after a failed batch are not waited
   * for (without a dead-letter queue a poison message would never leave).
   */
  async drain(): Promise<void> {
    while (!this.closed && !this.idle()) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /**
   * Stops polling at once (a waiting poller notices within recheckMs). Invocations in flight are
   * not awaited: they end when the Lambda service closes, and their messages stay in the queue.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const poller of this.pollers) for (const wake of poller.slotWaiters.splice(0)) wake();
    await Promise.all(this.pollers.map((p) => p.loop));
  }

  private idle(): boolean {
    return this.pollers.every((p) => p.inFlight === 0 && p.gathering === 0 && !this.hasVisible(p));
  }

  private hasVisible(poller: Poller): boolean {
    // Peeks without receiving: `accept` passes every message over.
    let seen = false;
    poller.queue.receive(1, () => {
      seen = true;
      return false;
    });
    return seen;
  }

  private async poll(poller: Poller): Promise<void> {
    while (!this.closed) {
      while (!this.closed && poller.inFlight >= poller.maxConcurrency) {
        await new Promise<void>((resolve) => poller.slotWaiters.push(resolve));
      }
      if (this.closed) return;
      const batch = await this.gather(poller);
      poller.gathering = 0;
      if (batch.length === 0) continue;
      if (this.closed) return; // received and not deleted: back after the visibility timeout
      poller.inFlight++;
      const run = this.invoke(poller, batch)
        .catch((err) =>
          this.options.onWarning?.(`${poller.mapping.logicalId}: batch failed: ${(err as Error).message}`),
        )
        .finally(() => {
          poller.inFlight--;
          this.running.delete(run);
          poller.slotWaiters.shift()?.();
        });
      this.running.add(run);
    }
  }

  /** Receives until the batch is full, the window ends or the next record would pass 6 MB. */
  private async gather(poller: Poller): Promise<StoredMessage[]> {
    const { mapping, queue } = poller;
    const batch: StoredMessage[] = [];
    const inBatch = new Set<string>();
    let bytes = EVENT_ENVELOPE_BYTES;
    let windowEnds: number | undefined;
    for (;;) {
      if (this.closed) return batch;
      let full = false;
      const received = queue.receive(mapping.batchSize - batch.length, (message) => {
        // A message whose visibility timeout ended during a long window is already in the batch.
        if (inBatch.has(message.messageId)) return false;
        const size = recordBytes(message, mapping, this.options.region);
        if (bytes + size > SYNC_PAYLOAD_LIMIT_BYTES) {
          full = true;
          return false;
        }
        bytes += size;
        return true;
      });
      for (const message of received) {
        if (mapping.filters.length > 0 && !this.matches(poller, message)) {
          queue.delete(message.messageId);
          this.counters.filteredOut++;
          continue;
        }
        batch.push(message);
        inBatch.add(message.messageId);
      }
      poller.gathering = batch.length;
      if (batch.length >= mapping.batchSize || full) return batch;
      if (batch.length > 0) {
        if (mapping.maximumBatchingWindowSeconds === 0) return batch;
        // Locally the window opens with the first record, so sends made together stay together.
        windowEnds ??= Date.now() + mapping.maximumBatchingWindowSeconds * 1000;
        if (Date.now() >= windowEnds) return batch;
      }
      const wait =
        windowEnds === undefined ? this.recheckMs : Math.min(this.recheckMs, windowEnds - Date.now());
      await queue.waitForMessage(Math.max(1, wait));
    }
  }

  private matches(poller: Poller, message: StoredMessage): boolean {
    const record = toRecord(message, poller.mapping, this.options.region) as unknown as Record<
      string,
      unknown
    >;
    // Filters see the body as JSON when it is JSON, else as the plain string.
    let body: unknown = message.body;
    try {
      body = JSON.parse(message.body);
    } catch {
      // a plain-text body
    }
    const filtered = { ...record, body };
    return poller.mapping.filters.some((pattern) => matchesEventPattern(pattern, filtered));
  }

  private async invoke(poller: Poller, batch: StoredMessage[]): Promise<void> {
    const { mapping, fn, queue } = poller;
    const records = batch.map((m) => toRecord(m, mapping, this.options.region));
    this.counters.batches++;
    this.counters.records += records.length;
    const trace = startPollTrace(poller, records, fn.tracing === 'Active');
    const result = await this.options.invoke(
      fn.logicalId,
      { Records: records },
      {
        label: `sqs/${queue.model.queueName}`,
        traceHeader: trace.header,
      },
    );
    if (trace.sampled) this.options.onSegment?.(trace.segment(result));
    if (!result.ok) {
      // Every message stays in flight and comes back when the visibility timeout ends.
      this.counters.failedBatches++;
      return;
    }
    let keep = new Set<string>();
    if (mapping.reportBatchItemFailures) {
      const failures = batchItemFailures(result.payload, new Set(records.map((r) => r.messageId)));
      if (typeof failures === 'string') {
        this.counters.failedBatches++;
        this.options.onWarning?.(
          `${mapping.logicalId}: ${fn.logicalId} returned an invalid partial batch response (${failures}); the whole batch returns to ${queue.model.queueName}`,
        );
        return;
      }
      keep = failures;
      this.counters.failedRecords += keep.size;
    }
    for (const record of records) {
      if (keep.has(record.messageId)) continue;
      queue.delete(record.messageId);
      this.counters.deleted++;
    }
  }
}

/** The message ids a ReportBatchItemFailures response returns, or why the response fails the batch. */
export function batchItemFailures(payload: unknown, batchIds: ReadonlySet<string>): Set<string> | string {
  const failed = new Set<string>();
  if (payload === null || payload === undefined) return failed;
  if (typeof payload !== 'object' || Array.isArray(payload)) return 'the response is not an object';
  const list = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (list === null || list === undefined) return failed;
  if (!Array.isArray(list)) return 'batchItemFailures is not a list';
  for (const item of list) {
    const id =
      item !== null && typeof item === 'object'
        ? (item as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== 'string' || id === '')
      return `itemIdentifier ${JSON.stringify(id ?? null)} is empty, null or missing`;
    if (!batchIds.has(id)) return `itemIdentifier ${id} is not a message of the batch`;
    failed.add(id);
  }
  return failed;
}

const EVENT_ENVELOPE_BYTES = Buffer.byteLength('{"Records":[]}');

function recordBytes(message: StoredMessage, mapping: EventSourceMappingModel, region: string): number {
  // +1 for the comma; the receipt handle and counters are about as long as they will be.
  return Buffer.byteLength(JSON.stringify(toRecord(message, mapping, region))) + 1;
}

/** The record of one message in AWS's SQS event shape. */
export function toRecord(
  message: StoredMessage,
  mapping: EventSourceMappingModel,
  region: string,
): SqsRecord {
  const attributes: Record<string, string> = {
    ApproximateReceiveCount: String(Math.max(1, message.receiveCount)),
    SentTimestamp: String(message.sentTimestamp),
    SenderId: 'AIDAIENQZJOLO23YVJ4VO',
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? Date.now()),
    ...(message.traceHeader ? { AWSTraceHeader: message.traceHeader } : {}),
    ...(message.deadLetterQueueSourceArn
      ? { DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn }
      : {}),
  };
  const messageAttributes: Record<string, LambdaMessageAttribute> = {};
  for (const [name, value] of Object.entries(message.attributes)) {
    messageAttributes[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: value.BinaryValue } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType,
    };
  }
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle ?? '',
    body: message.body,
    attributes,
    messageAttributes,
    ...(message.md5OfAttributes ? { md5OfMessageAttributes: message.md5OfAttributes } : {}),
    md5OfBody: message.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: mapping.eventSourceArn,
    awsRegion: region,
  };
}

interface PollTrace {
  header: string;
  sampled: boolean;
  segment(result: InvokeResult): SegmentDocument;
}

/**
 * Lambda continues the trace of the batch's first message (its AWSTraceHeader) or starts one. The
 * local poller also records its hop as a segment (origin AWS::SQS::Queue) so the trace view shows
 * how long the message waited in the queue; the invocation hangs under it.
 */
function startPollTrace(poller: Poller, records: SqsRecord[], active: boolean): PollTrace {
  const polledAt = Date.now();
  const hop = startHop(parseTraceHeader(records[0]?.attributes.AWSTraceHeader), active);
  const sent = Math.min(...records.map((r) => Number(r.attributes.SentTimestamp)));
  return {
    header: hop.header,
    sampled: hop.sampled,
    segment: (result) =>
      hop.segment({
        name: poller.queue.model.queueName,
        origin: 'AWS::SQS::Queue',
        // From the oldest message's arrival: the time the batch waited in the queue.
        start_time: Math.min(sent, polledAt) / 1000,
        aws: {
          operation: 'ReceiveMessage',
          queue_url: poller.queue.model.url,
          event_source_mapping: poller.mapping.logicalId,
          function: poller.fn.functionName,
          records: records.length,
        },
        ...(result.ok
          ? {}
          : {
              fault: true,
              cause: { exceptions: [{ type: result.error.errorType, message: result.error.errorMessage }] },
            }),
      }),
  };
}
