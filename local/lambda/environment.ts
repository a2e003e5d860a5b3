import path from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { BuiltFunction } from '../build/build-functions';
import type { FunctionModel } from '../template/types';
import { runtimeSdk, shipsSdkV3 } from './runtime-sdk';
import { newLogStream } from './runtime-variables';
import {
  ENVIRONMENT_GONE,
  exitError,
  type HandlerOutcome,
  type LambdaError,
  STOPPING,
  type ThreadCpu,
} from './types';

const BOOTSTRAP = path.join(__dirname, 'worker-bootstrap.mjs');

type WorkerMessage =
  | { type: 'ready'; initMs: number }
  | { type: 'init-error'; error: LambdaError }
  | { type: 'result'; id: number; ok: true; payload: string; loggedError?: string; cpu?: ThreadCpu }
  | { type: 'result'; id: number; ok: false; error: LambdaError; cpu?: ThreadCpu }
  | { type: 'fatal'; id: number; error: LambdaError };

interface Pending {
  id: number;
  resolve: (outcome: HandlerOutcome) => void;
  timer?: NodeJS.Timeout;
}

export interface EnvironmentHost {
  /** Resolves to the X-Ray daemon address once the sink listens. */
  xrayAddress: Promise<string>;
  /** The whole process environment of a new environment's worker. */
  variables(
    fn: FunctionModel,
    bundle: BuiltFunction,
    xrayAddress: string,
    logStream: string,
  ): Record<string, string>;
  sourceMaps: boolean;
  onLog?: (fn: FunctionModel, line: string) => void;
  /** The environment stopped (crash, kill, timeout): its pool lets go of it. */
  onGone(env: ExecutionEnvironment): void;
  /** Every worker that exists, so the service can end them all on close. */
  workers: Set<Worker>;
  isClosed(): boolean;
}

let nextInvocationId = 1;

const isInside = (file: string, dir: string): boolean => {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
};

/** What Lambda answers when a handler runs past its Timeout (the environment is stopped). */
export function timedOut(fn: FunctionModel, requestId: string): HandlerOutcome {
  return {
    ok: false,
    outcome: 'timeout',
    error: {
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
    },
  };
}

/** One Lambda execution environment: a worker thread that runs one invocation at a time. */
export class ExecutionEnvironment {
  readonly logStream = newLogStream();
  busy = false;
  dead = false;
  lastUsed = Date.now();
  /** Resolves when the init phase has run (with its duration) or failed. */
  readonly ready: Promise<{ initMs: number } | { error: LambdaError }>;
  private worker?: Worker;
  private pending?: Pending;

  constructor(
    readonly fn: FunctionModel,
    bundle: BuiltFunction | undefined,
    private readonly host: EnvironmentHost,
  ) {
    if (!bundle) {
      this.ready = Promise.resolve({
        error: { errorType: 'Runtime.ImportModuleError', errorMessage: `No build of ${fn.logicalId}` },
      });
      return;
    }
    this.ready = host.xrayAddress.then((address) => {
      // close() or kill() may have run between the constructor and here (the sink resolves on a
      // later microtask): a worker created now would belong to nobody and keep the process alive.
      if (this.dead || host.isClosed()) return { error: host.isClosed() ? STOPPING : ENVIRONMENT_GONE };
      return this.startWorker(bundle, address);
    });
  }

  private startWorker(
    bundle: BuiltFunction,
    address: string,
  ): Promise<{ initMs: number } | { error: LambdaError }> {
    const { fn, host } = this;
    // The runtime's SDK: ES modules find it through a resolve hook, CommonJS through NODE_PATH, as
    // Lambda puts /var/runtime/node_modules on it.
    const sdk = shipsSdkV3(fn.runtime) ? runtimeSdk() : undefined;
    const env = host.variables(fn, bundle, address, this.logStream);
    if (sdk) env.NODE_PATH = [env.NODE_PATH, sdk.nodePath].filter(Boolean).join(path.delimiter);
    return new Promise((resolve) => {
      const worker = new Worker(BOOTSTRAP, {
        workerData: {
          entryFile: bundle.entryFile,
          handlerExport: bundle.handlerExport,
          moduleFormat: bundle.format,
          handlerString: fn.handler,
          logFormat: fn.logFormat,
          runtime: fn.runtime,
          sourceMaps: host.sourceMaps,
          runtimeSdk: sdk && {
            projectDir: sdk.projectDir,
            // Code inside the project reaches its node_modules by Node's own lookup: no hook (whose
            // thread costs a cold start about 200 ms on Node 20) is needed.
            hook: !isInside(bundle.entryFile, sdk.projectDir),
          },
        },
        env,
        stdout: true,
        stderr: true,
        // No tsx or jest hooks in the environment: it runs the bundle as Lambda's Node.js would.
        execArgv: [],
      });
      this.worker = worker;
      host.workers.add(worker);
      this.pipeLogs(worker);
      worker.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'ready') resolve({ initMs: msg.initMs });
        else if (msg.type === 'init-error') resolve({ error: msg.error });
        else this.onResult(msg);
      });
      worker.on('error', (err) => this.onCrash(err));
      worker.on('exit', (code) => {
        host.workers.delete(worker);
        resolve({ error: exitError(code) });
        this.onCrash(undefined, code);
      });
    });
  }

  /** Runs the handler once; a timeout stops the environment, as Lambda does (the next start is cold). */
  /** `traceHeader` becomes the invocation's _X_AMZN_TRACE_ID. */
  invoke(event: unknown, requestId: string, traceHeader: string): Promise<HandlerOutcome> {
    const { fn } = this;
    const timeoutMs = fn.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const pending: Pending = { id: nextInvocationId++, resolve };
      pending.timer = setTimeout(() => void this.stop(timedOut(fn, requestId)), timeoutMs);
      this.pending = pending;
      this.worker?.postMessage({
        type: 'invoke',
        id: pending.id,
        event,
        deadline,
        traceId: traceHeader,
        context: {
          awsRequestId: requestId,
          functionName: fn.functionName,
          functionVersion: '$LATEST',
          invokedFunctionArn: fn.arn,
          memoryLimitInMB: String(fn.memorySizeMb),
          logGroupName: fn.logGroupName,
          logStreamName: this.logStream,
        },
      });
    });
  }

  /** Stops the environment; an invocation still running ends as a crash with `reason`. */
  kill(reason = 'environment stopped'): Promise<void> {
    return this.stop({
      ok: false,
      outcome: 'crash',
      error: { errorType: 'Runtime.ExitError', errorMessage: reason },
    });
  }

  /** Stops the environment; an invocation still running ends with `outcome`. */
  async stop(outcome: HandlerOutcome): Promise<void> {
    this.dead = true;
    this.host.onGone(this);
    this.settle(outcome);
    await this.worker?.terminate();
  }

  private settle(outcome: HandlerOutcome): void {
    const pending = this.pending;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending = undefined;
    pending.resolve(outcome);
  }

  private pipeLogs(worker: Worker): void {
    const onLog = this.host.onLog;
    for (const stream of [worker.stdout, worker.stderr]) {
      if (!onLog) {
        stream.resume();
        continue;
      }
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
        onLog(this.fn, line),
      );
    }
  }

  private onResult(msg: WorkerMessage): void {
    if ((msg.type !== 'result' && msg.type !== 'fatal') || msg.id !== this.pending?.id) return;
    if (msg.type === 'fatal') {
      this.dead = true;
      this.settle({ ok: false, outcome: 'crash', error: msg.error });
    } else if (msg.ok) {
      this.settle({ ok: true, payload: msg.payload, loggedError: msg.loggedError, cpu: msg.cpu });
    } else this.settle({ ok: false, outcome: 'error', error: msg.error, cpu: msg.cpu });
  }

  private onCrash(err?: Error, code?: number): void {
    this.dead = true;
    this.host.onGone(this);
    this.settle({
      ok: false,
      outcome: 'crash',
      error: err
        ? { errorType: err.name, errorMessage: err.message, trace: err.stack?.split('\n') }
        : exitError(code),
    });
  }
}
