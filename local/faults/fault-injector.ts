import { AwsJsonError } from '../aws-json';
import type { LocalService } from '../service';

/**
 * Failures AWS produces now and then, injected into a share of calls so that failure handling is
 * tested end to end against real clients. Each share is a fraction from 0 (never) to 1 (always).
 */
export interface FaultOptions {
  /** DynamoDB item reads and writes answered `ProvisionedThroughputExceededException` (HTTP 400). */
  dynamoDbThrottle?: number;
  /** PostToConnection calls answered 429 `LimitExceededException` (the client's buffer is full). */
  postToConnection429?: number;
  /** PostToConnection calls answered 500 `InternalServerErrorException`. */
  postToConnection500?: number;
  /** PutEvents entries failed with `InternalFailure` while the rest of the request succeeds. */
  putEventsEntryFailure?: number;
  /** Invocations whose execution environment is killed `lambdaFaultAfterMs` into the handler. */
  lambdaCrash?: number;
  /**
   * Invocations that end as a timeout (`Sandbox.Timedout`, environment stopped) `lambdaFaultAfterMs`
   * into the handler, without waiting for the function's own Timeout.
   */
  lambdaTimeout?: number;
  /** How far into the handler a Lambda fault strikes (default 0: as soon as it starts). */
  lambdaFaultAfterMs?: number;
  /** The functions (logical ids) Lambda faults apply to; default all. */
  lambdaFaultFunctions?: string[];
  /** The random source; tests pass their own. Default Math.random. */
  random?: () => number;
}

export interface FaultStats {
  dynamoDbThrottled: number;
  postToConnection429: number;
  postToConnection500: number;
  putEventsEntriesFailed: number;
  lambdaCrashes: number;
  lambdaTimeouts: number;
}

/** An HTTP error the gateway answers with instead of delivering a post. */
export interface HttpFault {
  status: number;
  type: string;
  message: string;
}

/** Fault options that make no sense (a share outside 0..1, shares adding up past 1). */
export class FaultOptionsError extends RangeError {
  override readonly name = 'FaultOptionsError';
}

/** The options that are shares of calls (0 to 1), one per kind of failure. */
export const FAULT_SHARES = [
  'dynamoDbThrottle',
  'postToConnection429',
  'postToConnection500',
  'putEventsEntryFailure',
  'lambdaCrash',
  'lambdaTimeout',
] as const;

// The DynamoDB operations that consume capacity, hence the ones AWS throttles.
const DYNAMODB_ITEM_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
]);

const zero = (): FaultStats => ({
  dynamoDbThrottled: 0,
  postToConnection429: 0,
  postToConnection500: 0,
  putEventsEntriesFailed: 0,
  lambdaCrashes: 0,
  lambdaTimeouts: 0,
});

/** Decides, call by call, whether a service answers with an injected failure; counts each one. */
export class FaultInjector implements LocalService<FaultStats> {
  private counters = zero();
  private readonly random: () => number;

  constructor(private readonly options: FaultOptions = {}) {
    for (const name of FAULT_SHARES) {
      const share = options[name];
      if (share !== undefined && !(Number.isFinite(share) && share >= 0 && share <= 1)) {
        throw new FaultOptionsError(`fault ${name} must be a share between 0 and 1, got ${String(share)}`);
      }
    }
    if ((options.postToConnection429 ?? 0) + (options.postToConnection500 ?? 0) > 1) {
      throw new FaultOptionsError(
        'faults postToConnection429 and postToConnection500 together must not exceed 1',
      );
    }
    if ((options.lambdaCrash ?? 0) + (options.lambdaTimeout ?? 0) > 1) {
      throw new FaultOptionsError('faults lambdaCrash and lambdaTimeout together must not exceed 1');
    }
    const after = options.lambdaFaultAfterMs;
    if (after !== undefined && !(Number.isFinite(after) && after >= 0)) {
      throw new FaultOptionsError(
        `fault lambdaFaultAfterMs must be a number of milliseconds >= 0, got ${String(after)}`,
      );
    }
    this.random = options.random ?? Math.random;
  }

  /** The error an AWS JSON call gets instead of its answer, if any. */
  awsCall(service: string, operation: string): AwsJsonError | undefined {
    if (service !== 'dynamodb' || !DYNAMODB_ITEM_OPERATIONS.has(operation)) return undefined;
    if (!this.hit(this.options.dynamoDbThrottle)) return undefined;
    this.counters.dynamoDbThrottled++;
    return new AwsJsonError(
      'ProvisionedThroughputExceededException',
      'The level of configured provisioned throughput for the table was exceeded. (injected by the local stack)',
    );
  }

  /** The answer a PostToConnection gets instead of a delivery, if any. */
  postToConnection(): HttpFault | undefined {
    const share429 = this.options.postToConnection429 ?? 0;
    const share500 = this.options.postToConnection500 ?? 0;
    if (share429 + share500 === 0) return undefined;
    const roll = this.random();
    if (roll < share429) {
      this.counters.postToConnection429++;
      return {
        status: 429,
        type: 'LimitExceededException',
        message: 'Limit Exceeded (injected by the local stack)',
      };
    }
    if (roll < share429 + share500) {
      this.counters.postToConnection500++;
      return {
        status: 500,
        type: 'InternalServerErrorException',
        message: 'Internal server error (injected by the local stack)',
      };
    }
    return undefined;
  }

  /** The failure of one PutEvents entry, if any (AWS reports it in the entry's result). */
  putEventsEntry(): { ErrorCode: string; ErrorMessage: string } | undefined {
    if (!this.hit(this.options.putEventsEntryFailure)) return undefined;
    this.counters.putEventsEntriesFailed++;
    return { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal failure (injected by the local stack)' };
  }

  /** How one invocation of a function fails, if it does. */
  lambdaInvocation(functionLogicalId: string): { kind: 'crash' | 'timeout'; afterMs: number } | undefined {
    const { lambdaCrash = 0, lambdaTimeout = 0, lambdaFaultFunctions } = this.options;
    if (lambdaCrash + lambdaTimeout === 0) return undefined;
    if (lambdaFaultFunctions && !lambdaFaultFunctions.includes(functionLogicalId)) return undefined;
    const afterMs = this.options.lambdaFaultAfterMs ?? 0;
    const roll = this.random();
    if (roll < lambdaCrash) {
      this.counters.lambdaCrashes++;
      return { kind: 'crash', afterMs };
    }
    if (roll < lambdaCrash + lambdaTimeout) {
      this.counters.lambdaTimeouts++;
      return { kind: 'timeout', afterMs };
    }
    return undefined;
  }

  stats(): FaultStats {
    return { ...this.counters };
  }

  resetStats(): void {
    this.counters = zero();
  }

  /** Faults are decided on the spot: nothing is pending. */
  drain(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}

  private hit(share: number | undefined): boolean {
    return share !== undefined && share > 0 && this.random() < share;
  }
}
