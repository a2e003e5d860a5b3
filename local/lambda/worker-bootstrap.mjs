// One Lambda execution environment: loads the handler module once (the init phase), then runs one
// invocation at a time for the parent. Plain JavaScript so `new Worker(file)` loads it the same way
// under tsx, jest and node.
import * as nodeModule from 'node:module';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { interceptRequests } from './intercept.mjs';
import { threadCpu } from './thread-cpu.mjs';

const { entryFile, handlerExport, moduleFormat, handlerString, logFormat, sourceMaps, runtimeSdk, runtime } =
  workerData;
const port = parentPort;

// The runtime's AWS SDK for ES modules (CommonJS finds it through NODE_PATH), set before any user code
// loads. Node 22.15+ runs synchronous hooks in this thread; Node 20 only has module.register, whose
// hooks run on a thread of their own.
if (runtimeSdk?.hook) {
  const parentURL = pathToFileURL(`${runtimeSdk.projectDir}/package.json`).href;
  if (typeof nodeModule.registerHooks === 'function') {
    nodeModule.registerHooks({
      resolve(specifier, context, nextResolve) {
        try {
          return nextResolve(specifier, context);
        } catch (err) {
          if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !/^@(aws-sdk|smithy)\/[^/]+/.test(specifier)) throw err;
          try {
            return nextResolve(specifier, { ...context, parentURL });
          } catch {
            throw err;
          }
        }
      },
    });
  } else {
    nodeModule.register(new URL('./runtime-sdk-hooks.mjs', import.meta.url), { data: { parentURL } });
  }
}

// Flags in NODE_OPTIONS do not reach a worker thread; the one that matters here can be set at run time.
if (
  sourceMaps &&
  (process.env.NODE_OPTIONS ?? '').includes('--enable-source-maps') &&
  process.setSourceMapsEnabled
) {
  process.setSourceMapsEnabled(true);
}

// Lambda's Node.js runtime patches console so every line carries the time, request id and level.
// Powertools Logger writes through its own Console on process.stdout, untouched by this, as in Lambda.
let requestId;
const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
for (const [method, level] of Object.entries(levels)) {
  console[method] = (...args) => {
    const message =
      method === 'trace'
        ? `${format(...args)}\n${new Error().stack?.split('\n').slice(2).join('\n')}`
        : format(...args);
    const time = new Date().toISOString();
    const line =
      logFormat === 'JSON'
        ? JSON.stringify({ timestamp: time, level, requestId, message })
        : `${time}\t${requestId ?? 'undefined'}\t${level}\t${message}`;
    process.stdout.write(`${line}\n`);
  };
}

// The stack's network rules (local/stack-environment.ts), applied before the function's code loads and
// kept out of the function's environment. A bare LambdaService (unit tests) sets none.
const interceptRules = process.env._LOCAL_STACK_INTERCEPT;
delete process.env._LOCAL_STACK_INTERCEPT;
if (interceptRules) {
  const logError = console.error;
  interceptRequests(JSON.parse(interceptRules), (message) => logError(message));
}

// The first error the function logs in an invocation, whatever writes it (console.error above, or a
// logger such as Powertools writing JSON to stdout): a handler that logs an error and answers
// normally has still failed, and the console says so.
let loggedError;
const ERROR_LEVELS = new Set(['ERROR', 'CRITICAL', 'FATAL']);
function sniffError(text) {
  if (loggedError !== undefined || requestId === undefined) return;
  for (const line of text.split('\n')) {
    const runtime = /^\S+\t\S+\t([A-Z]+)\t(.*)$/.exec(line);
    if (runtime) {
      if (ERROR_LEVELS.has(runtime[1])) loggedError = runtime[2];
    } else if (line.startsWith('{') && /"level"\s*:\s*"(error|critical|fatal)"/i.test(line)) {
      try {
        const record = JSON.parse(line);
        loggedError = typeof record.message === 'string' ? record.message : JSON.stringify(record.message);
      } catch {
        // Not JSON after all.
      }
    }
    if (loggedError !== undefined) return;
  }
}
const stdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  sniffError(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
  return stdoutWrite(chunk, ...rest);
};
const stderrWrite = process.stderr.write.bind(process.stderr);
process.stderr.write = (chunk, ...rest) => {
  sniffError(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
  return stderrWrite(chunk, ...rest);
};

function toLambdaError(err) {
  if (err instanceof Error || (err && typeof err === 'object' && 'message' in err)) {
    const errorType = err.name && err.name !== 'Error' ? err.name : (err.constructor?.name ?? 'Error');
    return {
      errorType,
      errorMessage: String(err.message),
      trace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
    };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

function initError(err) {
  const e = toLambdaError(err);
  if (err instanceof SyntaxError)
    return {
      ...e,
      errorType: 'Runtime.UserCodeSyntaxError',
      errorMessage: `${e.errorType}: ${e.errorMessage}`,
    };
  if (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') {
    const missing = /Cannot find (?:module|package) '(@(?:aws-sdk|smithy)\/[^/']+)/.exec(e.errorMessage)?.[1];
    const hint = missing && runtimeSdk ? `. ${missingSdkHint(missing, runtimeSdk.projectDir)}` : '';
    return { ...e, errorType: 'Runtime.ImportModuleError', errorMessage: `Error: ${e.errorMessage}${hint}` };
  }
  return e;
}

// An import of a package the runtime provides on Lambda but the stack's project does not carry.
function missingSdkHint(pkg, projectDir) {
  return (
    `${pkg} is provided by Lambda's runtime but not by the local stack, which lends functions the AWS SDK ` +
    `of its own project: run \`npm install --save-dev ${pkg}\` in ${projectDir}, ` +
    "or add it to the function's own package.json"
  );
}

let current;
function fatal(errorType, err) {
  const e = toLambdaError(err);
  port.postMessage({ type: 'fatal', id: current, error: { ...e, errorType: errorType ?? e.errorType } });
  // Lambda's runtime exits here; so does this environment.
  setImmediate(() => process.exit(1));
}
process.on('unhandledRejection', (reason) => fatal('Runtime.UnhandledPromiseRejection', reason));
process.on('uncaughtException', (err) => fatal(undefined, err));

// Lambda's wording (the Node.js runtime interface client), so a local failure reads as it will on AWS.
const CALLBACK_DEPRECATED =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. ' +
  'You need to modify this function to use a supported handler signature to use Node.js 24 or later. ' +
  'For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

function handlerProblem(value) {
  if (value === undefined || value === null)
    return {
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: `${handlerString} is undefined or not exported`,
    };
  if (typeof value !== 'function')
    return { errorType: 'Runtime.HandlerNotFound', errorMessage: `${handlerString} is not a function` };
  // From nodejs24.x on, Lambda judges the style by arity alone: a third parameter is a callback
  // handler, async or not, and the function fails to start.
  const major = Number(/^nodejs(\d+)\.x$/.exec(runtime ?? '')?.[1] ?? 0);
  if (major >= 24 && value.length >= 3)
    return { errorType: 'Runtime.CallbackHandlerDeprecated', errorMessage: CALLBACK_DEPRECATED };
  return undefined;
}

let handler;
async function init() {
  const started = performance.now();
  try {
    const mod =
      moduleFormat === 'esm'
        ? await import(pathToFileURL(entryFile).href)
        : createRequire(entryFile)(entryFile);
    handler = mod?.[handlerExport] ?? mod?.default?.[handlerExport];
    const problem = handlerProblem(handler);
    if (problem) port.postMessage({ type: 'init-error', error: { ...problem, trace: [] } });
    else port.postMessage({ type: 'ready', initMs: performance.now() - started });
  } catch (err) {
    port.postMessage({ type: 'init-error', error: initError(err) });
  }
}
init();

function run(event, context) {
  // Callback-style handlers (three parameters) finish on the callback, or on a returned promise.
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const maybe = handler(event, context, (err, value) => (err ? reject(err) : resolve(value)));
      if (maybe && typeof maybe.then === 'function') maybe.then(resolve, reject);
    });
  }
  return handler(event, context);
}

port.on('message', async (msg) => {
  if (msg.type !== 'invoke') return;
  const { id, event, context: fields, deadline, traceId } = msg;
  current = id;
  requestId = fields.awsRequestId;
  loggedError = undefined;
  process.env._X_AMZN_TRACE_ID = traceId;
  const context = {
    ...fields,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let reply;
  const cpuStart = threadCpu().ms;
  try {
    const result = await run(event, context);
    let payload;
    try {
      payload = result === undefined ? 'null' : JSON.stringify(result);
    } catch (err) {
      throw Object.assign(new Error(`Unable to stringify response body: ${err.message}`), {
        name: 'Runtime.MarshalError',
      });
    }
    reply = { type: 'result', id, ok: true, payload: payload ?? 'null', loggedError };
  } catch (err) {
    reply = { type: 'result', id, ok: false, error: toLambdaError(err) };
  }
  const cpu = threadCpu();
  port.postMessage({ ...reply, cpu: { ms: cpu.ms - cpuStart, source: cpu.source } });
});
