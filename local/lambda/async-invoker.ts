import { randomUUID } from 'node:crypto';
import type { FunctionModel } from '../template/types';
import type { DeadLetterPayload, InvokeResult, LambdaCounters, LambdaError } from './types';

/**
 * Lambda's waits before the retries of a failed asynchronous invocation: "a one-minute wait between
 * the first two attempts, and two minutes between the second and third attempts"
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html). The local
 * default, so that what depends on the timing (an idempotency lock left by a crashed invocation
 * outlives a retry that comes sooner) behaves as it does on AWS; tests shorten them through
 * `asyncRetryDelaysMs`, together with whatever they race against.
 */
export const AWS_ASYNC_RETRY_DELAYS_MS: readonly number[] = [60_000, 120_000];

export interface AsyncInvokerOptions {
  /** One attempt (LambdaService's RequestResponse path, as an Event invocation). */
  run(
    fn: FunctionModel,
    event: unknown,
    attempt: { label?: string; traceHeader?: string; requestId: string; attempt: number },
  ): Promise<InvokeResult>;
  counters: () => LambdaCounters;
  /** Waits before the retries (the last one repeats); default AWS_ASYNC_RETRY_DELAYS_MS. */
  delaysMs?: readonly number[];
  deadLetter?: (arn: string, payload: DeadLetterPayload) => Promise<void>;
  onLog?: (fn: FunctionModel, line: string) => void;
}

/**
 * Lambda's asynchronous invocation: the event is queued, retried per the function's
 * EventInvokeConfig (throttles retry until the event is too old), then sent to its
 * DeadLetterQueue and OnFailure destination.
 */
export class AsyncInvoker {
  private readonly retryTimers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly drainWaiters: (() => void)[] = [];
  private inFlight = 0;
  private closed = false;

  constructor(private readonly options: AsyncInvokerOptions) {}

  invoke(fn: FunctionModel, event: unknown, label: string | undefined, traceHeader?: string): void {
    this.options.counters().asyncInvocations += 1;
    this.inFlight += 1;
    this.runAsync(fn, event, label, traceHeader)
      .catch((err) =>
        this.options.onLog?.(fn, `[local lambda] async invocation failed: ${(err as Error).message}`),
      )
      .finally(() => {
        this.inFlight -= 1;
        if (this.inFlight === 0) for (const wake of this.drainWaiters.splice(0)) wake();
      });
  }

  /** Resolves when no async invocation is queued, waiting for a retry, or running. */
  drain(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Ends the waits between retries; their invocations stop there. */
  close(): void {
    this.closed = true;
    for (const r of this.retryTimers) {
      clearTimeout(r.timer);
      r.resolve();
    }
    this.retryTimers.clear();
  }

  private async runAsync(
    fn: FunctionModel,
    event: unknown,
    label: string | undefined,
    traceHeader: string | undefined,
  ): Promise<void> {
    const requestId = randomUUID();
    const enqueued = Date.now();
    const { maximumRetryAttempts, maximumEventAgeSeconds } = fn.asyncConfig;
    const delays = this.options.delaysMs?.length ? this.options.delaysMs : AWS_ASYNC_RETRY_DELAYS_MS;
    let attempt = 1;
    let failures = 0;
    for (;;) {
      const result = await this.options.run(fn, event, { label, traceHeader, requestId, attempt });
      if (result.ok || this.closed) return;
      // Throttles are retried until the event is too old without using up retry attempts, as on AWS.
      const throttled = result.report.outcome === 'throttled';
      if (!throttled) failures += 1;
      const delay = delays[Math.min(Math.max(failures, 1) - 1, delays.length - 1)] ?? 60_000;
      const tooOld = Date.now() + delay - enqueued > maximumEventAgeSeconds * 1000;
      if ((throttled || failures <= maximumRetryAttempts) && !tooOld) {
        this.options.counters().asyncRetries += 1;
        await this.sleep(delay);
        if (this.closed) return;
        attempt += 1;
        continue;
      }
      const condition = tooOld ? 'EventAgeExceeded' : 'RetriesExhausted';
      await this.deadLetter(fn, event, requestId, attempt, condition, result.error);
      return;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        resolve,
        timer: setTimeout(() => {
          this.retryTimers.delete(entry);
          resolve();
        }, ms),
      };
      this.retryTimers.add(entry);
    });
  }

  private async deadLetter(
    fn: FunctionModel,
    event: unknown,
    requestId: string,
    attempts: number,
    condition: string,
    error: LambdaError,
  ): Promise<void> {
    const deliver = this.options.deadLetter;
    const send = async (arn: string, payload: DeadLetterPayload) => {
      if (!deliver) return;
      this.options.counters().deadLetters += 1;
      try {
        await deliver(arn, payload);
      } catch (err) {
        this.options.onLog?.(fn, `[local lambda] delivery to ${arn} failed: ${(err as Error).message}`);
      }
    };
    const { deadLetterArn, onFailureArn } = fn.asyncConfig;
    if (deadLetterArn) {
      // A Lambda DLQ message is the original event; ErrorCode is a Number attribute on AWS (200 for a function error).
      await send(deadLetterArn, {
        body: JSON.stringify(event),
        attributes: {
          RequestID: requestId,
          ErrorCode: '200',
          ErrorMessage: error.errorMessage.slice(0, 1024),
        },
      });
    }
    if (onFailureArn) {
      const record = {
        version: '1.0',
        timestamp: new Date().toISOString(),
        requestContext: {
          requestId,
          functionArn: `${fn.arn}:$LATEST`,
          condition,
          approximateInvokeCount: attempts,
        },
        requestPayload: event,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: error,
      };
      await send(onFailureArn, { body: JSON.stringify(record), attributes: {} });
    }
  }
}
