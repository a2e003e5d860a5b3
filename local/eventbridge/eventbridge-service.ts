// The EventBridge API the stack serves (PutEvents, the read-only bus and rule operations,
// TestEventPattern) and its stats. A little over ~400 lines on purpose: the stats type and the
// operation table read best next to the operations; PutEvents limits (put-events.ts) and target
// delivery (deliveries.ts) already live apart.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { awsJsonService, isRecord, type JsonObject } from '../aws-json';
import type { LocalService } from '../service';
import type { RuleModel, StackModel } from '../template/types';
import type { SegmentDocument } from '../xray';
import { Deliveries, type DeliveryOptions } from './deliveries';
import {
  type EventPattern,
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from './event-pattern';
import { isValidInputPath } from './input-path';
import {
  checkPutEventsRequest,
  EventBridgeError,
  type EventEnvelope,
  eventTime,
  type PutEventsRequestEntry,
  type PutEventsResponse,
  type PutEventsResultEntry,
  validateEntry,
} from './put-events';

export {
  EventBridgeError,
  type EventEnvelope,
  type PutEventsRequestEntry,
  type PutEventsResponse,
  type PutEventsResultEntry,
  putEventsEntrySize,
} from './put-events';

// EventBridge for the local stack: PutEvents over the AWS JSON 1.1 protocol that
// @aws-sdk/client-eventbridge speaks (POST /, `X-Amz-Target: AWSEvents.<Operation>`,
// `application/x-amz-json-1.1`), rule matching on the event envelope, and asynchronous delivery
// to Lambda and SQS targets with the target's RetryPolicy and dead-letter queue.

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
  /** An injected failure for one valid entry (local/faults), reported in its result entry. */
  entryFault?: () => PutEventsResultEntry | undefined;
  /** The bus's X-Ray segment of each delivery to a function (delivery-trace.ts). */
  onSegment?: (segment: SegmentDocument) => void;
  /** At-least-once, unordered delivery on demand: see Deliveries (deliveries.ts). */
  delivery?: Pick<DeliveryOptions, 'duplicateShare' | 'jitterMs' | 'random'>;
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
  /** Deliveries made twice on purpose (`delivery.duplicateShare`). */
  duplicated: number;
}

const DEFAULT_RETRY_DELAYS_MS = [100, 200, 400, 800, 1600, 3200, 5000];
const DEFAULT_EVENT_AGE_SCALE = 0.01;
export class EventBridgeService implements LocalService<EventBridgeStats> {
  private readonly region: string;
  private readonly accountId: string;
  private readonly buses: Map<string, { name: string; arn: string }>;
  private readonly rules: RuleModel[];
  private readonly options: EventBridgeServiceOptions;
  private readonly now: () => number;
  private readonly warn: (message: string) => void;
  private readonly deliveries: Deliveries;
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
    duplicated: 0,
  };

  private readonly wire = awsJsonService({
    serviceName: 'The local EventBridge',
    dialect: { targetPrefix: 'AWSEvents.', version: '1.1' },
    operations: {
      PutEvents: (input, call) =>
        this.putEvents(
          input.Entries as PutEventsRequestEntry[],
          call.response.req?.headers['x-amzn-trace-id'],
        ),
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
    this.now = options.now ?? Date.now;
    this.warn = options.onWarning ?? ((message) => console.warn(`[eventbridge] ${message}`));
    this.deliveries = new Deliveries({
      invokeFunction: options.invokeFunction,
      sendToQueue: options.sendToQueue,
      onSegment: options.onSegment,
      warn: this.warn,
      counters: () => this.counters,
      retryDelaysMs: options.retryDelaysMs?.length ? options.retryDelaysMs : DEFAULT_RETRY_DELAYS_MS,
      eventAgeScale: options.eventAgeScale ?? DEFAULT_EVENT_AGE_SCALE,
      now: this.now,
      ...options.delivery,
    });
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
    return this.deliveries.drain();
  }

  /** Cancels scheduled retries (their events are dropped) and stops accepting deliveries. */
  close(): void {
    this.deliveries.close();
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    return this.wire.handleRequest(req, res, body);
  }

  /**
   * PutEvents, callable in process. Throws EventBridgeError for request-level validation errors.
   * `traceHeader` is the request's X-Amzn-Trace-Id; an entry's own TraceHeader wins over it, as on AWS.
   */
  putEvents(
    entries: PutEventsRequestEntry[] | undefined,
    traceHeader?: string | string[],
  ): PutEventsResponse {
    this.counters.putEventsCalls++;
    checkPutEventsRequest(entries);

    const results: PutEventsResultEntry[] = [];
    const accepted: Array<{ envelope: EventEnvelope; busName: string; traceHeader?: string }> = [];
    for (const raw of entries) {
      this.counters.entries++;
      const entry: PutEventsRequestEntry = isRecord(raw) ? raw : {};
      const failure = validateEntry(entry) ?? this.options.entryFault?.();
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
        time: eventTime(entry.Time, this.now),
        region: this.region,
        resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
        detail: JSON.parse(entry.Detail as string) as Record<string, unknown>,
      };
      results.push({ EventId: envelope.id });
      accepted.push({
        envelope,
        busName: this.busName(entry.EventBusName),
        traceHeader: entry.TraceHeader || (typeof traceHeader === 'string' ? traceHeader : undefined),
      });
    }

    // Delivery starts after the response has been produced: never inside PutEvents' own path.
    for (const { envelope, busName, traceHeader } of accepted) this.route(envelope, busName, traceHeader);
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
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
          this.deliveries.deliver({
            rule,
            ruleArn: this.ruleArn(rule),
            target,
            event: envelope,
            traceHeader,
            acceptedAt: this.now(),
            attempt: 0,
          });
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
