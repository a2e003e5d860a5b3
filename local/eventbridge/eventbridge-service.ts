import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsJsonError, awsJsonService, isRecord, type JsonObject } from '../aws-json';
import type { LocalService } from '../service';
import type { RuleModel, RuleTargetModel, StackModel } from '../template/types';
import {
  type EventPattern,
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from './event-pattern';
import { isValidInputPath, selectInputPath } from './input-path';

// EventBridge for the local stack: PutEvents over the AWS JSON 1.1 protocol that
// @aws-sdk/client-eventbridge speaks (POST /, `X-Amz-Target: AWSEvents.<Operation>`,
// `application/x-amz-json-1.1`), rule matching on the event envelope, and asynchronous delivery
// to Lambda and SQS targets with the target's RetryPolicy and dead-letter queue.

export interface PutEventsRequestEntry {
  Time?: number | string | Date;
  Source?: string;
  Resources?: string[];
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  TraceHeader?: string;
}

export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface PutEventsResponse {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

/** The envelope a rule matches and a Lambda target receives. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface EventSummary {
  eventId: string;
  eventBusName: string;
  source: string;
  detailType: string;
  time: string;
  /** Names of the ENABLED rules the event matched. */
  matchedRules: string[];
}

/** Passed as the third argument of invokeFunction; `label` fits LambdaService.invokeAsync's options. */
export interface DeliveryContext {
  label: string;
  ruleArn: string;
  eventId: string;
  traceHeader?: string;
}

export interface EventBridgeServiceOptions {
  model: Pick<StackModel, 'region' | 'accountId' | 'eventBuses' | 'rules'>;
  /**
   * Hands an event to a Lambda target asynchronously (LambdaService.invokeAsync). It throws only
   * when the invoke itself is refused (unknown function, throttled): function errors are Lambda's
   * business (its own async retries and dead-letter queue), as in AWS.
   */
  invokeFunction: (
    functionLogicalId: string,
    event: unknown,
    context: DeliveryContext,
  ) => void | Promise<void>;
  /** Sends to an SQS queue by ARN (SqsService.send). Used for SQS targets and dead-letter queues. */
  sendToQueue: (arn: string, body: string, attributes: Record<string, string>) => Promise<unknown>;
  /** Called once per accepted PutEvents entry (the CLI prints one line per event). */
  onEvent?: (summary: EventSummary) => void;
  /** Warnings: dropped events, unknown buses, targets that are not emulated. Default: console.warn. */
  onWarning?: (message: string) => void;
  /**
   * Delay before retry n (0-based) of a failed delivery; the last value repeats. AWS uses
   * exponential backoff with jitter over up to 24 hours; locally the default is
   * 100, 200, 400, 800, 1600, 3200, then every 5000 ms.
   */
  retryDelaysMs?: number[];
  /**
   * Scales MaximumEventAgeInSeconds into local time (default 0.01: the 24-hour default becomes
   * 14.4 minutes, the 60-second minimum 0.6 s).
   */
  eventAgeScale?: number;
  now?: () => number;
}

export interface EventBridgeStats {
  putEventsCalls: number;
  entries: number;
  failedEntries: number;
  /** Entries sent to a bus that does not exist (accepted and dropped, as AWS does). */
  unknownBusEntries: number;
  /** Rule matches (one event matching two rules counts two). */
  matched: number;
  /** Successful hand-overs to a target. */
  deliveries: number;
  /** Failed delivery attempts that were scheduled for another try. */
  retries: number;
  deadLettered: number;
  /** Events given up on with no dead-letter queue (or a failing one). */
  dropped: number;
}

export class EventBridgeError extends AwsJsonError {}

const MAX_ENTRIES = 10;
// AWS raised the PutEvents request size limit from 256 KB to 1 MB in January 2026.
const MAX_REQUEST_BYTES = 1_048_576;
const DEFAULT_RETRY_DELAYS_MS = [100, 200, 400, 800, 1600, 3200, 5000];
const DEFAULT_EVENT_AGE_SCALE = 0.01;
// AWS sends these straight to the dead-letter queue without retrying: the target is missing or
// EventBridge may not call it, and retrying cannot fix that.
const NON_RETRYABLE = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'QueueDoesNotExist',
  'InvalidParameterValueException',
]);

interface Delivery {
  rule: RuleModel;
  ruleArn: string;
  target: RuleTargetModel;
  event: EventEnvelope;
  traceHeader?: string;
  acceptedAt: number;
  attempt: number;
}

/** Size of one entry as AWS counts it toward the request limit. */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  let size = 0;
  if (entry.Time !== undefined && entry.Time !== null) size += 14;
  size += Buffer.byteLength(entry.Source ?? '', 'utf8');
  size += Buffer.byteLength(entry.DetailType ?? '', 'utf8');
  size += Buffer.byteLength(entry.Detail ?? '', 'utf8');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource ?? '', 'utf8');
  return size;
}

function toIsoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class EventBridgeService implements LocalService<EventBridgeStats> {
  private readonly region: string;
  private readonly accountId: string;
  private readonly buses: Map<string, { name: string; arn: string }>;
  private readonly rules: RuleModel[];
  private readonly options: EventBridgeServiceOptions;
  private readonly retryDelaysMs: number[];
  private readonly eventAgeScale: number;
  private readonly now: () => number;
  private readonly warn: (message: string) => void;
  private readonly timers = new Set<NodeJS.Timeout>();
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private readonly counters: EventBridgeStats = {
    putEventsCalls: 0,
    entries: 0,
    failedEntries: 0,
    unknownBusEntries: 0,
    matched: 0,
    deliveries: 0,
    retries: 0,
    deadLettered: 0,
    dropped: 0,
  };

  private readonly wire = awsJsonService({
    serviceName: 'The local EventBridge',
    dialect: { targetPrefix: 'AWSEvents.', version: '1.1' },
    operations: {
      PutEvents: (input) => this.putEvents(input.Entries as PutEventsRequestEntry[]),
      DescribeEventBus: (input) => this.describeEventBus(input),
      ListEventBuses: (input) => this.listEventBuses(input),
      ListRules: (input) => this.listRules(input),
      DescribeRule: (input) => this.describeRule(input),
      ListTargetsByRule: (input) => this.listTargetsByRule(input),
      TestEventPattern: (input) => this.testEventPattern(input),
    },
  });

  constructor(options: EventBridgeServiceOptions) {
    this.options = options;
    this.region = options.model.region;
    this.accountId = options.model.accountId;
    this.retryDelaysMs = options.retryDelaysMs?.length ? options.retryDelaysMs : DEFAULT_RETRY_DELAYS_MS;
    this.eventAgeScale = options.eventAgeScale ?? DEFAULT_EVENT_AGE_SCALE;
    this.now = options.now ?? Date.now;
    this.warn = options.onWarning ?? ((message) => console.warn(`[eventbridge] ${message}`));
    this.buses = new Map(options.model.eventBuses.map((bus) => [bus.name, { name: bus.name, arn: bus.arn }]));
    if (!this.buses.has('default')) {
      this.buses.set('default', { name: 'default', arn: this.busArn('default') });
    }
    // A rule whose pattern AWS would reject fails the deployment there; fail the start here.
    for (const rule of options.model.rules) {
      try {
        validateEventPattern(rule.eventPattern);
      } catch (error) {
        if (error instanceof InvalidEventPatternError) {
          throw new InvalidEventPatternError(`rule ${rule.logicalId}: ${error.message}`);
        }
        throw error;
      }
      for (const target of rule.targets) {
        if (!target.functionLogicalId && !target.queueLogicalId && !target.arn.startsWith('arn:aws:sqs:')) {
          this.warn(
            `rule ${rule.name}: target ${target.id} (${target.arn}) is not emulated; it receives nothing`,
          );
        }
        if (target.inputPath !== undefined && !isValidInputPath(target.inputPath)) {
          throw new Error(
            `rule ${rule.logicalId}: target ${target.id} has an invalid InputPath ${target.inputPath}`,
          );
        }
      }
    }
    this.rules = options.model.rules;
  }

  stats(): EventBridgeStats {
    return { ...this.counters };
  }

  resetStats(): void {
    for (const key of Object.keys(this.counters) as Array<keyof EventBridgeStats>) this.counters[key] = 0;
  }

  /** Resolves when no delivery or retry is pending. */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels scheduled retries (their events are dropped) and stops accepting deliveries. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.pending -= this.timers.size;
    this.timers.clear();
    this.settle();
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    return this.wire.handleRequest(req, res, body);
  }

  /** PutEvents, callable in process. Throws EventBridgeError for request-level validation errors. */
  putEvents(entries: PutEventsRequestEntry[] | undefined): PutEventsResponse {
    this.counters.putEventsCalls++;
    if (!Array.isArray(entries)) {
      throw new EventBridgeError(
        'ValidationException',
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      );
    }
    if (entries.length === 0 || entries.length > MAX_ENTRIES) {
      const constraint =
        entries.length === 0 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`;
      throw new EventBridgeError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${constraint}`,
      );
    }
    const total = entries.reduce((sum, entry) => sum + putEventsEntrySize(isRecord(entry) ? entry : {}), 0);
    if (total > MAX_REQUEST_BYTES) {
      throw new EventBridgeError(
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }

    const results: PutEventsResultEntry[] = [];
    const accepted: Array<{ envelope: EventEnvelope; busName: string; traceHeader?: string }> = [];
    for (const raw of entries) {
      this.counters.entries++;
      const entry: PutEventsRequestEntry = isRecord(raw) ? raw : {};
      const failure = this.validateEntry(entry);
      if (failure) {
        this.counters.failedEntries++;
        results.push(failure);
        continue;
      }
      const envelope: EventEnvelope = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType as string,
        source: entry.Source as string,
        account: this.accountId,
        time: this.eventTime(entry.Time),
        region: this.region,
        resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
        detail: JSON.parse(entry.Detail as string) as Record<string, unknown>,
      };
      results.push({ EventId: envelope.id });
      accepted.push({ envelope, busName: this.busName(entry.EventBusName), traceHeader: entry.TraceHeader });
    }

    // Delivery starts after the response has been produced: never inside PutEvents' own path.
    for (const { envelope, busName, traceHeader } of accepted) this.route(envelope, busName, traceHeader);
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  }

  private validateEntry(entry: PutEventsRequestEntry): PutEventsResultEntry | undefined {
    for (const field of ['Source', 'DetailType', 'Detail'] as const) {
      const value = entry[field];
      if (typeof value !== 'string' || value === '') {
        return {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
        };
      }
    }
    try {
      if (!isRecord(JSON.parse(entry.Detail as string))) throw new Error('not an object');
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    return undefined;
  }

  private eventTime(time: PutEventsRequestEntry['Time']): string {
    // The SDK sends Time as epoch seconds (awsJson timestamps); in-process callers may pass a Date.
    let ms: number | undefined;
    if (time instanceof Date) ms = time.getTime();
    else if (typeof time === 'number') ms = time * 1000;
    else if (typeof time === 'string') ms = Number.isNaN(Date.parse(time)) ? undefined : Date.parse(time);
    return toIsoSeconds(ms !== undefined && Number.isFinite(ms) ? ms : this.now());
  }

  private busArn(name: string): string {
    return `arn:aws:events:${this.region}:${this.accountId}:event-bus/${name}`;
  }

  private busName(nameOrArn: string | undefined): string {
    if (!nameOrArn) return 'default';
    const arnMatch = /^arn:[^:]+:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(nameOrArn);
    return arnMatch ? (arnMatch[1] as string) : nameOrArn;
  }

  private ruleArn(rule: RuleModel): string {
    const path = rule.eventBusName === 'default' ? rule.name : `${rule.eventBusName}/${rule.name}`;
    return `arn:aws:events:${this.region}:${this.accountId}:rule/${path}`;
  }

  private route(envelope: EventEnvelope, busName: string, traceHeader?: string): void {
    const matchedRules: string[] = [];
    if (!this.buses.has(busName)) {
      // AWS accepts events for a bus that does not exist and silently drops them.
      this.counters.unknownBusEntries++;
      this.warn(
        `event ${envelope.id} was sent to event bus "${busName}", which does not exist; it is dropped`,
      );
    } else {
      for (const rule of this.rules) {
        if (rule.eventBusName !== busName || rule.state !== 'ENABLED') continue;
        if (!matchesEventPattern(rule.eventPattern as EventPattern, envelope)) continue;
        matchedRules.push(rule.name);
        this.counters.matched++;
        for (const target of rule.targets) {
          this.schedule(
            {
              rule,
              ruleArn: this.ruleArn(rule),
              target,
              event: envelope,
              traceHeader,
              acceptedAt: this.now(),
              attempt: 0,
            },
            0,
          );
        }
      }
    }
    this.options.onEvent?.({
      eventId: envelope.id,
      eventBusName: busName,
      source: envelope.source,
      detailType: envelope['detail-type'],
      time: envelope.time,
      matchedRules,
    });
  }

  private schedule(delivery: Delivery, delayMs: number): void {
    if (this.closed) return;
    this.pending++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(delivery).finally(() => {
        this.pending--;
        this.settle();
      });
    }, delayMs);
    this.timers.add(timer);
  }

  private settle(): void {
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private payloadFor(target: RuleTargetModel, event: EventEnvelope): unknown {
    if (target.input !== undefined) {
      try {
        return JSON.parse(target.input);
      } catch {
        return target.input;
      }
    }
    if (target.inputPath !== undefined) return selectInputPath(event, target.inputPath);
    return event;
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const { target, event, rule } = delivery;
    const payload = this.payloadFor(target, event);
    try {
      if (target.functionLogicalId) {
        await this.options.invokeFunction(target.functionLogicalId, payload, {
          label: `rule/${rule.name}`,
          ruleArn: delivery.ruleArn,
          eventId: event.id,
          ...(delivery.traceHeader ? { traceHeader: delivery.traceHeader } : {}),
        });
      } else if (target.queueLogicalId || target.arn.startsWith('arn:aws:sqs:')) {
        const body = typeof payload === 'string' ? payload : JSON.stringify(payload ?? null);
        await this.options.sendToQueue(target.arn, body, {});
      } else {
        return; // not emulated; warned about at start
      }
      this.counters.deliveries++;
    } catch (error) {
      this.onFailure(delivery, error);
    }
  }

  private onFailure(delivery: Delivery, error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    const code = err.name && err.name !== 'Error' ? err.name : 'InternalException';
    const policy = delivery.target.retryPolicy;
    if (NON_RETRYABLE.has(code)) {
      void this.deadLetter(delivery, code, err.message, undefined);
      return;
    }
    const nextDelay = this.retryDelaysMs[Math.min(delivery.attempt, this.retryDelaysMs.length - 1)] as number;
    const maxAgeMs = policy.maximumEventAgeSeconds * 1000 * this.eventAgeScale;
    if (delivery.attempt >= policy.maximumRetryAttempts) {
      void this.deadLetter(delivery, code, err.message, 'MaximumRetryAttempts');
      return;
    }
    if (this.now() + nextDelay - delivery.acceptedAt > maxAgeMs) {
      void this.deadLetter(delivery, code, err.message, 'MaximumEventAgeInSeconds');
      return;
    }
    this.counters.retries++;
    this.schedule({ ...delivery, attempt: delivery.attempt + 1 }, nextDelay);
  }

  private async deadLetter(
    delivery: Delivery,
    errorCode: string,
    errorMessage: string,
    exhausted: 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds' | undefined,
  ): Promise<void> {
    const { target, rule } = delivery;
    const what = `event ${delivery.event.id} for rule ${rule.name} target ${target.id}`;
    if (!target.deadLetterArn) {
      this.counters.dropped++;
      this.warn(
        `${what} dropped after ${delivery.attempt} retries: ${errorCode}: ${errorMessage} (no DeadLetterConfig)`,
      );
      return;
    }
    const attributes: Record<string, string> = {
      RULE_ARN: delivery.ruleArn,
      TARGET_ARN: target.arn,
      ERROR_CODE: errorCode,
      ERROR_MESSAGE: errorMessage,
      RETRY_ATTEMPTS: String(delivery.attempt),
      ...(exhausted ? { EXHAUSTED_RETRY_CONDITION: exhausted } : {}),
    };
    this.pending++;
    try {
      await this.options.sendToQueue(target.deadLetterArn, JSON.stringify(delivery.event), attributes);
      this.counters.deadLettered++;
    } catch (error) {
      this.counters.dropped++;
      this.warn(
        `${what} dropped: its dead-letter queue ${target.deadLetterArn} failed: ${(error as Error).message}`,
      );
    } finally {
      this.pending--;
      this.settle();
    }
  }

  // --- read-only operations --------------------------------------------------------------------

  private findBus(nameOrArn: unknown): { name: string; arn: string } {
    const name = this.busName(typeof nameOrArn === 'string' ? nameOrArn : undefined);
    const bus = this.buses.get(name);
    if (!bus) throw new EventBridgeError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    return bus;
  }

  private describeEventBus(input: JsonObject) {
    const bus = this.findBus(input.Name);
    return { Name: bus.name, Arn: bus.arn };
  }

  private listEventBuses(input: JsonObject) {
    const prefix = typeof input.NamePrefix === 'string' ? input.NamePrefix : '';
    return {
      EventBuses: [...this.buses.values()]
        .filter((bus) => bus.name.startsWith(prefix))
        .map((bus) => ({ Name: bus.name, Arn: bus.arn })),
    };
  }

  private describeRuleShape(rule: RuleModel) {
    return {
      Name: rule.name,
      Arn: this.ruleArn(rule),
      EventPattern: JSON.stringify(rule.eventPattern),
      State: rule.state,
      EventBusName: rule.eventBusName,
    };
  }

  private findRule(input: Record<string, unknown>, key: 'Name' | 'Rule'): RuleModel {
    const bus = this.findBus(input.EventBusName);
    const rule = this.rules.find((r) => r.name === input[key] && r.eventBusName === bus.name);
    if (!rule) {
      throw new EventBridgeError(
        'ResourceNotFoundException',
        `Rule ${String(input[key])} does not exist on EventBus ${bus.name}.`,
      );
    }
    return rule;
  }

  private listRules(input: JsonObject) {
    const bus = this.findBus(input.EventBusName);
    const prefix = typeof input.NamePrefix === 'string' ? input.NamePrefix : '';
    return {
      Rules: this.rules
        .filter((rule) => rule.eventBusName === bus.name && rule.name.startsWith(prefix))
        .map((rule) => this.describeRuleShape(rule)),
    };
  }

  private describeRule(input: JsonObject) {
    return this.describeRuleShape(this.findRule(input, 'Name'));
  }

  private listTargetsByRule(input: JsonObject) {
    const rule = this.findRule(input, 'Rule');
    return {
      Targets: rule.targets.map((target) => ({
        Id: target.id,
        Arn: target.arn,
        ...(target.input !== undefined ? { Input: target.input } : {}),
        ...(target.inputPath !== undefined ? { InputPath: target.inputPath } : {}),
        RetryPolicy: {
          MaximumRetryAttempts: target.retryPolicy.maximumRetryAttempts,
          MaximumEventAgeInSeconds: target.retryPolicy.maximumEventAgeSeconds,
        },
        ...(target.deadLetterArn ? { DeadLetterConfig: { Arn: target.deadLetterArn } } : {}),
      })),
    };
  }

  private testEventPattern(input: JsonObject) {
    let pattern: unknown;
    let event: unknown;
    try {
      pattern = JSON.parse(String(input.EventPattern));
    } catch {
      throw new EventBridgeError(
        'InvalidEventPatternException',
        'Event pattern is not valid. Reason: not JSON',
      );
    }
    try {
      event = JSON.parse(String(input.Event));
    } catch {
      throw new EventBridgeError('ValidationException', 'Parameter Event is not valid.');
    }
    try {
      validateEventPattern(pattern);
    } catch (error) {
      throw new EventBridgeError('InvalidEventPatternException', (error as Error).message);
    }
    return { Result: matchesEventPattern(pattern, event) };
  }
}
