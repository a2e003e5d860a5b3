// One Lambda execution environment: loads the handler module once (the init phase), then runs one
// invocation at a time for the parent. Plain JavaScript so `new Worker(file)` loads it the same way
// under tsx, jest and node.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { threadCpu } from './thread-cpu.mjs';

const { entryFile, handlerExport, moduleFormat, handlerString, logFormat, runtime, sourceMaps } = workerData;
const port = parentPort;

// Flags in NODE_OPTIONS do not reach a worker thread; the one that matters here can be set at run time.
if (
  sourceMaps &&
  (process.env.NODE_OPTIONS ?? '').includes('--enable-source-maps') &&
  process.setSourceMapsEnabled
) {
  process.setSourceMapsEnabled(true);
}

// The AWS SDK warns when Node is older than 22. The emulated runtime (nodejs22.x or later) would not
// print it, so the local Node 20 does not either.
const runtimeMajor = Number(/nodejs(\d+)/.exec(runtime ?? '')?.[1] ?? 0);
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (runtimeMajor >= 22 && String(warning?.message ?? warning).startsWith('NodeVersionSupportWarning'))
    return;
  emitWarning(warning, ...rest);
};

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
    return { ...e, errorType: 'Runtime.ImportModuleError', errorMessage: `Error: ${e.errorMessage}` };
  }
  return e;
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

let handler;
async function init() {
  const started = performance.now();
  try {
    const mod =
      moduleFormat === 'esm'
        ? await import(pathToFileURL(entryFile).href)
        : createRequire(entryFile)(entryFile);
    handler = mod?.[handlerExport] ?? mod?.default?.[handlerExport];
    if (typeof handler !== 'function') {
      const errorMessage = `${handlerString} is undefined or not exported`;
      port.postMessage({
        type: 'init-error',
        error: { errorType: 'Runtime.HandlerNotFound', errorMessage, trace: [] },
      });
    } else {
      port.postMessage({ type: 'ready', initMs: performance.now() - started });
    }
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
    reply = { type: 'result', id, ok: true, payload: payload ?? 'null' };
  } catch (err) {
    reply = { type: 'result', id, ok: false, error: toLambdaError(err) };
  }
  const cpu = threadCpu();
  port.postMessage({ ...reply, cpu: { ms: cpu.ms - cpuStart, source: cpu.source } });
});
