import { randomBytes, randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { BuiltFunction } from '../build/build-functions';
import type { FunctionModel } from '../template/types';
import { startXraySink, type XraySink } from '../xray/xray-sink';

export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type InvocationOutcome = 'success' | 'error' | 'timeout' | 'throttled' | 'crash';

export interface InvocationReport {
  functionLogicalId: string;
  functionName: string;
  requestId: string;
  label?: string;
  /** Time in the handler (Lambda's Duration). */
  durationMs: number;
  /** Lambda bills per millisecond, rounded up. */
  billedMs: number;
  memorySizeMb: number;
  /** Set on a cold start: the time to load the module (Lambda's Init Duration). */
  initDurationMs?: number;
  cold: boolean;
  outcome: InvocationOutcome;
  errorType?: string;
  /** The error's message when the outcome is not 'success' (what Lambda writes to the log). */
  errorMessage?: string;
  /** Time spent waiting for a free environment when the local cap was reached. */
  queuedMs: number;
  invocationType: 'RequestResponse' | 'Event';
  /** 1 for the first attempt of an async invocation, 2 and 3 for its retries. */
  attempt: number;
  /** CPU time of the environment's thread during the handler, and its source (see thread-cpu.mjs). */
  cpu?: ThreadCpu;
}

export type InvokeResult =
  | { ok: true; payload: unknown; report: InvocationReport }
  | { ok: false; error: LambdaError; report: InvocationReport };

export interface DeadLetterPayload {
  body: string;
  attributes: Record<string, string>;
}

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
   * Waits before the async retries. AWS waits about 1 minute, then about 2 minutes; locally the default
   * is 1 s then 2 s so a test or a demo sees the retries happen.
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
}

export interface LambdaStats {
  invocations: number;
  coldStarts: number;
  errors: number;
  timeouts: number;
  throttles: number;
  asyncInvocations: number;
  asyncRetries: number;
  deadLetters: number;
  environments: number;
  xraySegments: number;
}

const RESPONSE_LIMIT_BYTES = 6_291_556;
const BOOTSTRAP = path.join(__dirname, 'worker-bootstrap.mjs');

type ThreadCpu = { ms: number; source: string };
type SendOutcome = (
  | { ok: true; payload: string }
  | { ok: false; error: LambdaError; outcome: InvocationOutcome }
) & {
  cpu?: ThreadCpu;
};

interface Pending {
  id: number;
  resolve: (r: SendOutcome) => void;
  timer?: NodeJS.Timeout;
}

interface Environment {
  fn: FunctionModel;
  worker: Worker;
  ready: Promise<{ initMs: number } | { error: LambdaError }>;
  busy: boolean;
  dead: boolean;
  lastUsed: number;
  logStream: string;
  pending?: Pending;
}

interface Pool {
  envs: Environment[];
  waiters: (() => void)[];
}

export class UnknownFunctionError extends Error {
  override readonly name = 'ResourceNotFoundException';
}

/** Lambda for the local stack: execution environments in worker threads, sync and async invocations. */
export class LambdaService {
  private readonly functions = new Map<string, FunctionModel>();
  private readonly pools = new Map<string, Pool>();
  private readonly delays: number[];
  private readonly maxEnvs: number;
  private readonly xray: Promise<XraySink | undefined>;
  private readonly reaper: NodeJS.Timeout;
  private readonly retryTimers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly drainWaiters: (() => void)[] = [];
  /**
   * Every worker thread that exists, whether or not its environment is still in a pool: close()
   * terminates all of them, so none can outlive the service and hold the process open.
   */
  private readonly workers = new Set<Worker>();
  private asyncInFlight = 0;
  private nextId = 1;
  private closed = false;
  private readonly counters: Omit<LambdaStats, 'environments' | 'xraySegments'> = {
    invocations: 0,
    coldStarts: 0,
    errors: 0,
    timeouts: 0,
    throttles: 0,
    asyncInvocations: 0,
    asyncRetries: 0,
    deadLetters: 0,
  };
  private xraySink?: XraySink;

  constructor(private readonly options: LambdaServiceOptions) {
    for (const fn of options.functions) {
      this.functions.set(fn.logicalId, fn);
      this.pools.set(fn.logicalId, { envs: [], waiters: [] });
    }
    this.delays = options.asyncRetryDelaysMs?.length ? options.asyncRetryDelaysMs : [1000, 2000];
    this.maxEnvs = Math.max(1, options.maxEnvironmentsPerFunction ?? Math.max(4, 4 * availableParallelism()));
    this.xray = options.xrayDaemonAddress
      ? Promise.resolve(undefined)
      : startXraySink().then((sink) => {
          this.xraySink = sink;
          return sink;
        });
    // Errors surface when an environment starts; keep an unobserved rejection from crashing the process.
    this.xray.catch(() => undefined);
    const idleMs = options.idleEnvironmentMs ?? 600_000;
    this.reaper = setInterval(() => this.reapIdle(idleMs), Math.min(idleMs, 30_000));
    this.reaper.unref();
  }

  /** A synchronous (RequestResponse) invocation. Function errors resolve as `{ ok: false }`, as Lambda returns them. */
  invoke(logicalId: string, event: unknown, options: { label?: string } = {}): Promise<InvokeResult> {
    return this.run(logicalId, event, {
      label: options.label,
      requestId: randomUUID(),
      invocationType: 'RequestResponse',
      attempt: 1,
    });
  }

  /** An asynchronous (Event) invocation: queued, retried per the function's EventInvokeConfig, then dead-lettered. */
  invokeAsync(logicalId: string, event: unknown, options: { label?: string } = {}): void {
    const fn = this.fn(logicalId);
    this.counters.asyncInvocations += 1;
    this.asyncInFlight += 1;
    this.runAsync(fn, event, options.label)
      .catch((err) =>
        this.options.onLog?.(fn, `[local lambda] async invocation failed: ${(err as Error).message}`),
      )
      .finally(() => {
        this.asyncInFlight -= 1;
        if (this.asyncInFlight === 0) for (const wake of this.drainWaiters.splice(0)) wake();
      });
  }

  /** Resolves when no async invocation is queued, waiting for a retry, or running. */
  drain(): Promise<void> {
    if (this.asyncInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  stats(): LambdaStats {
    let environments = 0;
    for (const pool of this.pools.values()) environments += pool.envs.length;
    return { ...this.counters, environments, xraySegments: this.xraySink?.stats().segments ?? 0 };
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
    for (const r of this.retryTimers) {
      clearTimeout(r.timer);
      r.resolve();
    }
    this.retryTimers.clear();
    const stops: Promise<unknown>[] = [];
    for (const pool of this.pools.values()) {
      for (const env of [...pool.envs]) stops.push(this.kill(env, STOPPING.errorMessage));
      for (const wake of pool.waiters.splice(0)) wake();
    }
    // Workers of environments already out of a pool (killed, crashed, timed out) may still be exiting.
    for (const worker of this.workers) stops.push(worker.terminate());
    await Promise.all(stops);
    await (await this.xray.catch(() => undefined))?.close();
  }

  // ---- invocations -----------------------------------------------------------------------------

  private fn(logicalId: string): FunctionModel {
    const fn = this.functions.get(logicalId);
    if (!fn) throw new UnknownFunctionError(`Function not found: ${logicalId}`);
    return fn;
  }

  private async runAsync(fn: FunctionModel, event: unknown, label: string | undefined): Promise<void> {
    const requestId = randomUUID();
    const enqueued = Date.now();
    const { maximumRetryAttempts, maximumEventAgeSeconds } = fn.asyncConfig;
    let attempt = 1;
    let failures = 0;
    for (;;) {
      const result = await this.run(fn.logicalId, event, {
        label,
        requestId,
        invocationType: 'Event',
        attempt,
      });
      if (result.ok || this.closed) return;
      // Throttles are retried until the event is too old without using up retry attempts, as on AWS.
      const throttled = result.report.outcome === 'throttled';
      if (!throttled) failures += 1;
      const delay = this.delays[Math.min(Math.max(failures, 1) - 1, this.delays.length - 1)] ?? 1000;
      const tooOld = Date.now() + delay - enqueued > maximumEventAgeSeconds * 1000;
      if ((throttled || failures <= maximumRetryAttempts) && !tooOld) {
        this.counters.asyncRetries += 1;
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
    const send = async (arn: string, payload: DeadLetterPayload) => {
      if (!this.options.deadLetter) return;
      this.counters.deadLetters += 1;
      try {
        await this.options.deadLetter(arn, payload);
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

  private async run(
    logicalId: string,
    event: unknown,
    opts: { label?: string; requestId: string; invocationType: 'RequestResponse' | 'Event'; attempt: number },
  ): Promise<InvokeResult> {
    const fn = this.fn(logicalId);
    const queuedAt = performance.now();
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
    const finish = (result: InvokeResult): InvokeResult => {
      this.counters.invocations += 1;
      if (result.report.outcome === 'timeout') this.counters.timeouts += 1;
      else if (result.report.outcome === 'throttled') this.counters.throttles += 1;
      else if (!result.ok) this.counters.errors += 1;
      this.options.onInvocation?.(result.report);
      return result;
    };
    const fail = (error: LambdaError, outcome: InvocationOutcome): InvokeResult =>
      finish({
        ok: false,
        error,
        report: { ...report, outcome, errorType: error.errorType, errorMessage: error.errorMessage },
      });

    if (this.closed) return fail(STOPPING, 'crash');
    const acquired = await this.acquire(fn);
    report.queuedMs = performance.now() - queuedAt;
    if (acquired === 'throttled') {
      return fail({ errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.' }, 'throttled');
    }
    if (acquired === 'closed') return fail(STOPPING, 'crash');
    const { env, cold } = acquired;
    report.cold = cold;
    try {
      const init = await env.ready;
      if ('error' in init) {
        void this.kill(env);
        return this.closed ? fail(STOPPING, 'crash') : fail(init.error, 'error');
      }
      if (cold) report.initDurationMs = round(init.initMs);
      // Killed (the service closed) while it started: its worker is gone, nothing may be posted to it.
      if (env.dead) return fail(this.closed ? STOPPING : ENVIRONMENT_GONE, 'crash');
      const started = performance.now();
      const result = await this.send(env, event, opts.requestId);
      report.durationMs = round(performance.now() - started);
      if (result.cpu) report.cpu = { ms: round(result.cpu.ms), source: result.cpu.source };
      report.billedMs = Math.max(1, Math.ceil(report.durationMs));
      if (!result.ok) return fail(result.error, result.outcome);
      if (Buffer.byteLength(result.payload) > RESPONSE_LIMIT_BYTES) {
        return fail(
          {
            errorType: 'Function.ResponseSizeTooLarge',
            errorMessage: `Response payload size exceeded maximum allowed payload size (${RESPONSE_LIMIT_BYTES} bytes).`,
          },
          'error',
        );
      }
      return finish({ ok: true, payload: JSON.parse(result.payload), report });
    } finally {
      this.release(env);
    }
  }

  private send(env: Environment, event: unknown, requestId: string): Promise<SendOutcome> {
    const { fn } = env;
    const timeoutMs = fn.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const pending: Pending = { id: this.nextId++, resolve };
      pending.timer = setTimeout(() => {
        // Lambda stops the environment of a timed-out invocation; the next one is a cold start.
        env.pending = undefined;
        void this.kill(env);
        resolve({
          ok: false,
          outcome: 'timeout',
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
          },
        });
      }, timeoutMs);
      env.pending = pending;
      env.worker.postMessage({
        type: 'invoke',
        id: pending.id,
        event,
        deadline,
        traceId: traceHeader(fn.tracing === 'Active'),
        context: {
          awsRequestId: requestId,
          functionName: fn.functionName,
          functionVersion: '$LATEST',
          invokedFunctionArn: fn.arn,
          memoryLimitInMB: String(fn.memorySizeMb),
          logGroupName: fn.logGroupName,
          logStreamName: env.logStream,
        },
      });
    });
  }

  // ---- environments ----------------------------------------------------------------------------

  private async acquire(
    fn: FunctionModel,
  ): Promise<{ env: Environment; cold: boolean } | 'throttled' | 'closed'> {
    const pool = this.pools.get(fn.logicalId) as Pool;
    const reserved = fn.reservedConcurrency;
    for (;;) {
      if (this.closed) return 'closed';
      // The most recently used idle environment first, as Lambda tends to reuse the warmest one.
      let idle: Environment | undefined;
      for (const env of pool.envs)
        if (!env.busy && !env.dead && (!idle || env.lastUsed > idle.lastUsed)) idle = env;
      if (idle) {
        idle.busy = true;
        return { env: idle, cold: false };
      }
      const live = pool.envs.filter((e) => !e.dead).length;
      if (reserved !== undefined && live >= reserved) return 'throttled';
      if (live < this.maxEnvs) {
        const env = this.start(fn);
        env.busy = true;
        pool.envs.push(env);
        this.counters.coldStarts += 1;
        return { env, cold: true };
      }
      await new Promise<void>((resolve) => pool.waiters.push(resolve));
    }
  }

  private release(env: Environment): void {
    env.busy = false;
    env.lastUsed = Date.now();
    this.pools.get(env.fn.logicalId)?.waiters.shift()?.();
  }

  private environmentVariables(
    fn: FunctionModel,
    bundle: BuiltFunction,
    xray: string,
    logStream: string,
  ): Record<string, string> {
    const region = this.options.region ?? fn.arn.split(':')[3] ?? 'us-east-1';
    const [xrayHost = '127.0.0.1', xrayPort = '2000'] = xray.split(':');
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: bundle.taskRoot,
      LAMBDA_RUNTIME_DIR: '/var/runtime',
      _HANDLER: fn.handler,
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySizeMb),
      AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroupName,
      AWS_LAMBDA_LOG_STREAM_NAME: logStream,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      ...(fn.logFormat === 'JSON' ? { AWS_LAMBDA_LOG_FORMAT: 'JSON' } : {}),
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'ASIALOCALSTACKEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'local-secret-access-key',
      AWS_SESSION_TOKEN: 'local-session-token',
      AWS_XRAY_DAEMON_ADDRESS: xray,
      _AWS_XRAY_DAEMON_ADDRESS: xrayHost,
      _AWS_XRAY_DAEMON_PORT: xrayPort,
      AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
      ...fn.environment,
      ...(this.options.environmentFor?.(fn) ?? {}),
    };
  }

  private start(fn: FunctionModel): Environment {
    const bundle = this.options.bundles.get(fn.logicalId);
    const logStream = `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;
    const env = { fn, busy: false, dead: false, lastUsed: Date.now(), logStream } as Environment;
    if (!bundle) {
      env.ready = Promise.resolve({
        error: { errorType: 'Runtime.ImportModuleError', errorMessage: `No build of ${fn.logicalId}` },
      });
      env.worker = { terminate: async () => 0 } as unknown as Worker;
      return env;
    }
    env.ready = this.xray.then((sink) => {
      // close() or kill() may have run between start() and here (the sink resolves on a later
      // microtask): a worker created now would belong to nobody and keep the process alive.
      if (env.dead || this.closed) return { error: this.closed ? STOPPING : ENVIRONMENT_GONE };
      return new Promise<{ initMs: number } | { error: LambdaError }>((resolve) => {
        const address = this.options.xrayDaemonAddress ?? sink?.address ?? '127.0.0.1:2000';
        const worker = new Worker(BOOTSTRAP, {
          workerData: {
            entryFile: bundle.entryFile,
            handlerExport: bundle.handlerExport,
            moduleFormat: bundle.format,
            handlerString: fn.handler,
            logFormat: fn.logFormat,
            runtime: fn.runtime,
            sourceMaps: this.options.sourceMaps !== false,
          },
          env: this.environmentVariables(fn, bundle, address, logStream),
          stdout: true,
          stderr: true,
          // No tsx or jest hooks in the environment: it runs the bundle as Lambda's Node.js would.
          execArgv: [],
        });
        env.worker = worker;
        this.workers.add(worker);
        this.pipeLogs(fn, worker);
        worker.on('message', (msg: WorkerMessage) => {
          if (msg.type === 'ready') resolve({ initMs: msg.initMs });
          else if (msg.type === 'init-error') resolve({ error: msg.error });
          else this.onResult(env, msg);
        });
        worker.on('error', (err) => this.onCrash(env, err));
        worker.on('exit', (code) => {
          this.workers.delete(worker);
          resolve({
            error: {
              errorType: 'Runtime.ExitError',
              errorMessage: `Runtime exited with error: exit status ${code}`,
            },
          });
          this.onCrash(env, undefined, code);
        });
      });
    });
    return env;
  }

  private pipeLogs(fn: FunctionModel, worker: Worker): void {
    const onLog = this.options.onLog;
    for (const stream of [worker.stdout, worker.stderr]) {
      if (!onLog) {
        stream.resume();
        continue;
      }
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
        onLog(fn, line),
      );
    }
  }

  private onResult(env: Environment, msg: WorkerMessage): void {
    const pending = env.pending;
    if (!pending || (msg.type !== 'result' && msg.type !== 'fatal') || msg.id !== pending.id) return;
    clearTimeout(pending.timer);
    env.pending = undefined;
    if (msg.type === 'fatal') {
      env.dead = true;
      pending.resolve({ ok: false, outcome: 'crash', error: msg.error });
    } else if (msg.ok) pending.resolve({ ok: true, payload: msg.payload, cpu: msg.cpu });
    else pending.resolve({ ok: false, outcome: 'error', error: msg.error, cpu: msg.cpu });
  }

  private onCrash(env: Environment, err?: Error, code?: number): void {
    env.dead = true;
    this.remove(env);
    const pending = env.pending;
    if (!pending) return;
    clearTimeout(pending.timer);
    env.pending = undefined;
    pending.resolve({
      ok: false,
      outcome: 'crash',
      error: err
        ? { errorType: err.name, errorMessage: err.message, trace: err.stack?.split('\n') }
        : { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: exit status ${code}` },
    });
  }

  private remove(env: Environment): void {
    const pool = this.pools.get(env.fn.logicalId);
    if (!pool) return;
    const i = pool.envs.indexOf(env);
    if (i >= 0) pool.envs.splice(i, 1);
    // A freed slot lets a waiting invocation start a new environment.
    pool.waiters.shift()?.();
  }

  private async kill(env: Environment, reason = 'environment stopped'): Promise<void> {
    env.dead = true;
    this.remove(env);
    const pending = env.pending;
    if (pending) {
      clearTimeout(pending.timer);
      env.pending = undefined;
      pending.resolve({
        ok: false,
        outcome: 'crash',
        error: { errorType: 'Runtime.ExitError', errorMessage: reason },
      });
    }
    await env.worker?.terminate();
  }

  private reapIdle(idleMs: number): void {
    const now = Date.now();
    for (const pool of this.pools.values()) {
      for (const env of [...pool.envs]) if (!env.busy && now - env.lastUsed > idleMs) void this.kill(env);
    }
  }
}

type WorkerMessage =
  | { type: 'ready'; initMs: number }
  | { type: 'init-error'; error: LambdaError }
  | { type: 'result'; id: number; ok: true; payload: string; cpu?: ThreadCpu }
  | { type: 'result'; id: number; ok: false; error: LambdaError; cpu?: ThreadCpu }
  | { type: 'fatal'; id: number; error: LambdaError };

const round = (ms: number) => Math.round(ms * 100) / 100;

const STOPPING: LambdaError = { errorType: 'ServiceException', errorMessage: 'The local stack is stopping' };
const ENVIRONMENT_GONE: LambdaError = {
  errorType: 'Runtime.ExitError',
  errorMessage: 'The execution environment stopped before the invocation',
};

/** `Root=1-{epoch seconds hex}-{24 hex};Parent={16 hex};Sampled=1`, as Lambda sets _X_AMZN_TRACE_ID. */
export function traceHeader(sampled: boolean): string {
  const time = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return `Root=1-${time}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=${sampled ? 1 : 0}`;
}
