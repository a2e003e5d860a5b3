import type { RuleModel, RuleTargetModel } from '../template/types';
import { startDeliveryTrace } from './delivery-trace';
import type { EventBridgeServiceOptions, EventBridgeStats } from './eventbridge-service';
import { selectInputPath } from './input-path';
import type { EventEnvelope } from './put-events';

// Delivery of matched events to their targets: asynchronous, retried per the target's
// RetryPolicy, then sent to its dead-letter queue or dropped, as EventBridge does.

// AWS sends these straight to the dead-letter queue without retrying: the target is missing or
// EventBridge may not call it, and retrying cannot fix that.
const NON_RETRYABLE = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'QueueDoesNotExist',
  'InvalidParameterValueException',
]);

/** The service's target callbacks, and what the service decided of its options. */
export interface DeliveryOptions
  extends Pick<EventBridgeServiceOptions, 'invokeFunction' | 'sendToQueue' | 'onSegment'> {
  warn: (message: string) => void;
  counters: () => EventBridgeStats;
  retryDelaysMs: number[];
  eventAgeScale: number;
  now: () => number;
  /** The share (0 to 1) of deliveries made twice, as EventBridge's at-least-once delivery allows. */
  duplicateShare?: number;
  /**
   * Each delivery (and its duplicate) waits a random 0 to jitterMs first, so deliveries to a
   * target arrive in any order, as EventBridge does not order them.
   */
  jitterMs?: number;
  random?: () => number;
}

export interface Delivery {
  rule: RuleModel;
  ruleArn: string;
  target: RuleTargetModel;
  event: EventEnvelope;
  traceHeader?: string;
  acceptedAt: number;
  attempt: number;
}

/** Runs deliveries, their retries and dead letters; drain() waits for all of them. */
export class Deliveries {
  private readonly timers = new Set<NodeJS.Timeout>();
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly options: DeliveryOptions) {}

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

  /** A matched event's first delivery to a target: at once, unless duplicates or jitter are asked for. */
  deliver(delivery: Delivery): void {
    const { duplicateShare = 0, jitterMs = 0 } = this.options;
    const random = this.options.random ?? Math.random;
    const jitter = (): number => (jitterMs > 0 ? Math.floor(random() * (jitterMs + 1)) : 0);
    this.schedule(delivery, jitter());
    if (duplicateShare > 0 && random() < duplicateShare) {
      this.options.counters().duplicated++;
      this.schedule(delivery, jitter());
    }
  }

  schedule(delivery: Delivery, delayMs: number): void {
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
        const trace = startDeliveryTrace(delivery);
        try {
          await this.options.invokeFunction(target.functionLogicalId, payload, {
            label: `rule/${rule.name}`,
            ruleArn: delivery.ruleArn,
            eventId: event.id,
            traceHeader: trace.header,
          });
        } catch (error) {
          const err = error as Error;
          this.options.onSegment?.(trace.segment({ type: err.name ?? 'Error', message: err.message }));
          throw error;
        }
        this.options.onSegment?.(trace.segment());
      } else if (target.queueLogicalId || target.arn.startsWith('arn:aws:sqs:')) {
        const body = typeof payload === 'string' ? payload : JSON.stringify(payload ?? null);
        await this.options.sendToQueue(target.arn, body, {});
      } else {
        return; // not emulated; warned about at start
      }
      this.options.counters().deliveries++;
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
    const nextDelay = this.options.retryDelaysMs[
      Math.min(delivery.attempt, this.options.retryDelaysMs.length - 1)
    ] as number;
    const maxAgeMs = policy.maximumEventAgeSeconds * 1000 * this.options.eventAgeScale;
    if (delivery.attempt >= policy.maximumRetryAttempts) {
      void this.deadLetter(delivery, code, err.message, 'MaximumRetryAttempts');
      return;
    }
    if (this.options.now() + nextDelay - delivery.acceptedAt > maxAgeMs) {
      void this.deadLetter(delivery, code, err.message, 'MaximumEventAgeInSeconds');
      return;
    }
    this.options.counters().retries++;
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
      this.options.counters().dropped++;
      this.options.warn(
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
      this.options.counters().deadLettered++;
    } catch (error) {
      this.options.counters().dropped++;
      this.options.warn(
        `${what} dropped: its dead-letter queue ${target.deadLetterArn} failed: ${(error as Error).message}`,
      );
    } finally {
      this.pending--;
      this.settle();
    }
  }
}
