import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { BuiltFunction } from '../build/build-functions';
import type { LocalService } from '../service';
import type { FunctionModel } from '../template/types';
import {
  formatTraceHeader,
  newSegmentId,
  newTraceRoot,
  parseTraceHeader,
  type SegmentDocument,
} from '../xray';
import { startXraySink, type XraySink } from '../xray/xray-sink';
import { AsyncInvoker } from './async-invoker';
import { ExecutionEnvironment, timedOut } from './environment';
import { invocationSegment } from './invocation-segment';
import { EnvironmentPool } from './pool';
import { runtimeVariables } from './runtime-variables';
import {
  type DeadLetterPayload,
  ENVIRONMENT_GONE,
  type FunctionStats,
  type HandlerOutcome,
  type InvocationOutcome,
  type InvocationReport,
  type InvokeResult,
  type LambdaCounters,
  type LambdaError,
  type LambdaStats,
  STOPPING,
} from './types';

export interface LambdaServiceOptions {
  functions: FunctionModel[];
  bundles: Map<string, BuiltFunction>;
  region?: string;
  /** The stack's endpoint and credential variables; applied last, over the template's. */
  environmentFor?: (fn: FunctionModel) => Record<string, string>;
  /** Every line the function prints (console, Powertools Logger, process.stdout/stderr). */
  onLog?: (fn: FunctionModel, line: string) => void;
  onInvocation?: (report: InvocationReport) => void;
  /** Where an async invocation goes after its retries: the function's DLQ or OnFailure destination (an ARN). */
  deadLetter?: (arn: string, payload: DeadLetterPayload) => Promise<void>;
  /**
   * Waits before the async retries. Default: AWS's (1 minute, then 2 minutes; AWS_ASYNC_RETRY_DELAYS_MS),
   * so a retry meets what a failed attempt left behind (locks, partial work) as it would on AWS. Tests
   * shorten them, and shrink whatever they race against by the same factor.
   */
  asyncRetryDelaysMs?: number[];
  /**
   * Local cap on concurrent environments per function (default: 4 per CPU core, at least 4). Beyond it
   * invocations wait for a free environment instead of starting another worker; Lambda would scale
   * further (account limit 1000), but one machine would not. ReservedConcurrentExecutions throttles as on AWS.
   */
  maxEnvironmentsPerFunction?: number;
  /**
   * Honour `--enable-source-maps` in a function's NODE_OPTIONS (default true, as Lambda does). With a
   * large bundle it costs cold-start time and ~1 s for the first stack trace; false skips it locally.
   */
  sourceMaps?: boolean;
  /** Idle environments are stopped after this long (default 10 minutes; Lambda keeps them 5-15 minutes). */
  idleEnvironmentMs?: number;
  /** Use this X-Ray daemon address instead of starting a local UDP sink. */
  xrayDaemonAddress?: string;
  /** An injected failure for one invocation (local/faults): its environment is stopped after `afterMs`. */
  invocationFault?: (fn: FunctionModel) => InvocationFault | undefined;
}

export interface InvocationFault {
  /** `crash`: the runtime is killed; `timeout`: it ends as if the handler ran past its Timeout. */
  kind: 'crash' | 'timeout';
  afterMs: number;
}

const RESPONSE_LIMIT_BYTES = 6_291_556;

const zeroCounters = (): LambdaCounters => ({
  invocations: 0,
  coldStarts: 0,
  errors: 0,
  timeouts: 0,
  throttles: 0,
  asyncInvocations: 0,
  asyncRetries: 0,
  deadLetters: 0,
});

export class UnknownFunctionError extends Error {
  override readonly name = 'ResourceNotFoundException';
}

/**
 * Lambda for the local stack: sync and async invocations of execution environments (worker
 * threads, environment.ts) kept in one pool per function (pool.ts); async retries and dead
 * letters are async-invoker.ts.
 */
export class LambdaService implements LocalService<LambdaStats> {
  private readonly functions = new Map<string, FunctionModel>();
  private readonly pools = new Map<string, EnvironmentPool>();
  private readonly xray: Promise<XraySink | undefined>;
  private readonly reaper: NodeJS.Timeout;
  private readonly async: AsyncInvoker;
  /**
   * Every worker thread that exists, whether or not its environment is still in a pool: close()
   * terminates all of them, so none can outlive the service and hold the process open.
   */
  private readonly workers = new Set<Worker>();
  private closed = false;
  private counters = zeroCounters();
  private perFunction: Record<string, FunctionStats> = {};
  private xraySegmentsBaseline = 0;
  private xraySink?: XraySink;
  private readonly maxEnvironments: number;

  constructor(private readonly options: LambdaServiceOptions) {
    this.xray = options.xrayDaemonAddress
      ? Promise.resolve(undefined)
      : startXraySink().then((sink) => {
          this.xraySink = sink;
          return sink;
        });
    // Errors surface when an environment starts; keep an unobserved rejection from crashing the process.
    this.xray.catch(() => undefined);
    const maxEnvs = Math.max(
      1,
      options.maxEnvironmentsPerFunction ?? Math.max(4, 4 * availableParallelism()),
    );
    this.maxEnvironments = maxEnvs;
    const host = {
      xrayAddress: this.xray.then((sink) => options.xrayDaemonAddress ?? sink?.address ?? '127.0.0.1:2000'),
      variables: (fn: FunctionModel, bundle: BuiltFunction, xrayAddress: string, logStream: string) =>
        runtimeVariables(
          fn,
          bundle,
          { region: options.region ?? fn.arn.split(':')[3] ?? 'us-east-1', xrayAddress, logStream },
          options.environmentFor?.(fn) ?? {},
        ),
      sourceMaps: options.sourceMaps !== false,
      onLog: options.onLog,
      onGone: (env: ExecutionEnvironment) => this.pools.get(env.fn.logicalId)?.remove(env),
      workers: this.workers,
      isClosed: () => this.closed,
    };
    host.xrayAddress.catch(() => undefined);
    const start = (fn: FunctionModel) =>
      new ExecutionEnvironment(fn, options.bundles.get(fn.logicalId), host);
    for (const fn of options.functions) {
      this.functions.set(fn.logicalId, fn);
      this.pools.set(fn.logicalId, new EnvironmentPool(fn, maxEnvs, start, () => this.closed));
    }
    this.async = new AsyncInvoker({
      run: (fn, event, attempt) => this.run(fn, event, { ...attempt, invocationType: 'Event' }),
      counters: () => this.counters,
      delaysMs: options.asyncRetryDelaysMs,
      deadLetter: options.deadLetter,
      onLog: options.onLog,
    });
    const idleMs = options.idleEnvironmentMs ?? 600_000;
    this.reaper = setInterval(
      () => {
        for (const pool of this.pools.values()) pool.reapIdle(idleMs);
      },
      Math.min(idleMs, 30_000),
    );
    this.reaper.unref();
  }

  /**
   * A synchronous (RequestResponse) invocation. Function errors resolve as `{ ok: false }`, as Lambda
   * returns them. `traceHeader` is the caller's X-Ray context (X-Amzn-Trace-Id); without one the
   * invocation starts a trace of its own.
   */
  async invoke(
    logicalId: string,
    event: unknown,
    options: { label?: string; traceHeader?: string } = {},
  ): Promise<InvokeResult> {
    return this.run(this.fn(logicalId), event, {
      label: options.label,
      traceHeader: options.traceHeader,
      requestId: randomUUID(),
      invocationType: 'RequestResponse',
      attempt: 1,
    });
  }

  /** An asynchronous (Event) invocation: queued, retried per the function's EventInvokeConfig, then dead-lettered. */
  invokeAsync(
    logicalId: string,
    event: unknown,
    options: { label?: string; traceHeader?: string } = {},
  ): void {
    this.async.invoke(this.fn(logicalId), event, options.label, options.traceHeader);
  }

  /** How many invocations of the function can run at once locally: its environments, or its reserved concurrency. */
  concurrencyLimit(logicalId: string): number {
    const reserved = this.fn(logicalId).reservedConcurrency;
    return reserved === undefined ? this.maxEnvironments : Math.min(reserved, this.maxEnvironments);
  }

  /**
   * Adds a segment document to the local X-Ray sink (the stack's own services record theirs here);
   * with an external daemon (`xrayDaemonAddress`) there is no sink and it is dropped.
   */
  recordSegment(doc: SegmentDocument): void {
    this.xraySink?.record(doc);
  }

  /** Resolves when no async invocation is queued, waiting for a retry, or running. */
  drain(): Promise<void> {
    return this.async.drain();
  }

  stats(): LambdaStats {
    let environments = 0;
    for (const pool of this.pools.values()) environments += pool.size;
    return { ...this.counters, environments, xraySegments: this.xraySegments() - this.xraySegmentsBaseline };
  }

  /** Per function: invocations, errors, cold starts, summed duration and billed time. */
  functionStats(): Record<string, FunctionStats> {
    return structuredClone(this.perFunction);
  }

  /** Zeroes the counters; `environments` is a gauge and stays. */
  resetStats(): void {
    this.counters = zeroCounters();
    this.perFunction = {};
    this.xraySegmentsBaseline = this.xraySegments();
  }

  /** The local X-Ray sink (undefined when an external daemon address was given). */
  async xraySinkReady(): Promise<XraySink | undefined> {
    return this.xray;
  }

  /** Stops every environment and pending retry. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.reaper);
    this.async.close();
    const stops: Promise<unknown>[] = [];
    for (const pool of this.pools.values()) stops.push(...pool.close(STOPPING.errorMessage));
    // Workers of environments already out of a pool (killed, crashed, timed out) may still be exiting.
    for (const worker of this.workers) stops.push(worker.terminate());
    await Promise.all(stops);
    await (await this.xray.catch(() => undefined))?.close();
  }

  private xraySegments(): number {
    return this.xraySink?.stats().segments ?? 0;
  }

  private fn(logicalId: string): FunctionModel {
    const fn = this.functions.get(logicalId);
    if (!fn) throw new UnknownFunctionError(`Function not found: ${logicalId}`);
    return fn;
  }

  private async run(
    fn: FunctionModel,
    event: unknown,
    opts: {
      label?: string;
      traceHeader?: string;
      requestId: string;
      invocationType: 'RequestResponse' | 'Event';
      attempt: number;
    },
  ): Promise<InvokeResult> {
    const queuedAt = performance.now();
    // Lambda continues the caller's trace, or starts one; the segment's Invocation is the Parent its
    // code sees in _X_AMZN_TRACE_ID, so the SDK's subsegments hang under it.
    const caller = parseTraceHeader(opts.traceHeader);
    const trace = {
      root: caller?.root ?? newTraceRoot(),
      parent: caller?.parent,
      sampled: caller ? caller.sampled : fn.tracing === 'Active',
      segmentId: newSegmentId(),
      invocationId: newSegmentId(),
    };
    let handlerStarted: number | undefined;
    const report: InvocationReport = {
      functionLogicalId: fn.logicalId,
      functionName: fn.functionName,
      requestId: opts.requestId,
      label: opts.label,
      durationMs: 0,
      billedMs: 0,
      memorySizeMb: fn.memorySizeMb,
      cold: false,
      outcome: 'success',
      queuedMs: 0,
      invocationType: opts.invocationType,
      attempt: opts.attempt,
    };
    const fail = (error: LambdaError, outcome: InvocationOutcome): InvokeResult =>
      this.finish(
        {
          ok: false,
          error,
          report: { ...report, outcome, errorType: error.errorType, errorMessage: error.errorMessage },
        },
        segment,
      );
    const segment = (result: InvokeResult): void => {
      if (!trace.sampled) return;
      const times = { accepted: queuedAt, started: handlerStarted, ended: performance.now() };
      this.recordSegment(
        invocationSegment(fn, trace, result.report, times, result.ok ? undefined : result.error),
      );
    };

    if (this.closed) return fail(STOPPING, 'crash');
    const pool = this.pools.get(fn.logicalId) as EnvironmentPool;
    const acquired = await pool.acquire();
    report.queuedMs = performance.now() - queuedAt;
    if (acquired === 'throttled') {
      return fail({ errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.' }, 'throttled');
    }
    if (acquired === 'closed') return fail(STOPPING, 'crash');
    const { env, cold } = acquired;
    if (cold) this.counters.coldStarts += 1;
    report.cold = cold;
    try {
      const init = await env.ready;
      if ('error' in init) {
        void env.kill();
        return this.closed ? fail(STOPPING, 'crash') : fail(init.error, 'error');
      }
      if (cold) report.initDurationMs = round(init.initMs);
      // Killed (the service closed) while it started: its worker is gone, nothing may be posted to it.
      if (env.dead) return fail(this.closed ? STOPPING : ENVIRONMENT_GONE, 'crash');
      const started = performance.now();
      handlerStarted = started;
      const fault = this.options.invocationFault?.(fn);
      const stopping =
        fault && setTimeout(() => void env.stop(injected(fault, fn, opts.requestId)), fault.afterMs);
      const header = formatTraceHeader({
        root: trace.root,
        parent: trace.invocationId,
        sampled: trace.sampled,
      });
      const outcome = await env.invoke(event, opts.requestId, header);
      clearTimeout(stopping);
      report.durationMs = round(performance.now() - started);
      if (outcome.cpu) report.cpu = { ms: round(outcome.cpu.ms), source: outcome.cpu.source };
      report.billedMs = Math.max(1, Math.ceil(report.durationMs));
      return this.settle(outcome, report, fail, segment);
    } finally {
      pool.release(env);
    }
  }

  /** Turns what the handler gave back into the invocation's result: the one place results are made. */
  private settle(
    outcome: HandlerOutcome,
    report: InvocationReport,
    fail: (error: LambdaError, outcome: InvocationOutcome) => InvokeResult,
    segment: (result: InvokeResult) => void,
  ): InvokeResult {
    if (!outcome.ok) return fail(outcome.error, outcome.outcome);
    if (Buffer.byteLength(outcome.payload) > RESPONSE_LIMIT_BYTES) {
      return fail(
        {
          errorType: 'Function.ResponseSizeTooLarge',
          errorMessage: `Response payload size exceeded maximum allowed payload size (${RESPONSE_LIMIT_BYTES} bytes).`,
        },
        'error',
      );
    }
    const payload: unknown = JSON.parse(outcome.payload);
    // A handler that catches its own failure and answers 500 still "succeeded" for Lambda; the report
    // carries what the console needs to show it as the failure it is.
    const statusCode = (payload as { statusCode?: unknown } | null)?.statusCode;
    if (typeof statusCode === 'number') {
      report.statusCode = statusCode;
      if (statusCode >= 500) report.responseBodyLine = firstLine((payload as { body?: unknown }).body);
    }
    if (outcome.loggedError) report.loggedError = outcome.loggedError;
    return this.finish({ ok: true, payload, report }, segment);
  }

  private finish(result: InvokeResult, segment: (result: InvokeResult) => void): InvokeResult {
    const { report } = result;
    segment(result);
    this.counters.invocations += 1;
    if (report.outcome === 'timeout') this.counters.timeouts += 1;
    else if (report.outcome === 'throttled') this.counters.throttles += 1;
    else if (!result.ok) this.counters.errors += 1;
    const stats = this.perFunction[report.functionLogicalId] ?? {
      invocations: 0,
      errors: 0,
      coldStarts: 0,
      durationMs: 0,
      billedMs: 0,
      memorySizeMb: report.memorySizeMb,
    };
    this.perFunction[report.functionLogicalId] = stats;
    stats.invocations++;
    if (report.outcome !== 'success') stats.errors++;
    if (report.cold) stats.coldStarts++;
    stats.durationMs += report.durationMs;
    stats.billedMs += report.billedMs;
    this.options.onInvocation?.(report);
    return result;
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

function firstLine(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.split('\n', 1)[0]?.trim() || undefined;
}

function injected(fault: InvocationFault, fn: FunctionModel, requestId: string): HandlerOutcome {
  if (fault.kind === 'timeout') return timedOut(fn, requestId);
  return {
    ok: false,
    outcome: 'crash',
    error: {
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed (injected by the local stack)`,
    },
  };
}
