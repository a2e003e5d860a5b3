// The `npm start` / `npm run invoke` CLI: options, console output and the invoke command. Over
// ~400 lines on purpose: the option table with its help text (fault flags included) reads best as
// one piece next to the code that turns it into startLocalStack options.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { BuildError, buildFunctions } from './build';
import { FaultOptionsError } from './faults';
import { LambdaService } from './lambda';
import {
  COLORS,
  clock,
  formatFunctionLogLine,
  formatInvocationLine,
  invocationLine,
  type Palette,
  PLAIN,
} from './log';
import {
  describeQuirks,
  type LocalStack,
  type LocalStackOptions,
  localEnvironment,
  PortInUseError,
  QuirkOptionsError,
  type StackLog,
  startLocalStack,
} from './stack';
import { loadStack, TemplateError } from './template';
import type { EventSourceMappingModel, FunctionModel } from './template/types';
import { printTraces, TRACES_PATH, TracesUnavailableError } from './traces';

// `npm start` and `npm run invoke`: see docs/local-stack.md.

const STATE_DIR = path.resolve('.local-stack');
const ENDPOINTS_FILE = path.join(STATE_DIR, 'endpoints.json');

interface EndpointsFile {
  pid: number;
  templatePath: string;
  siteUrl: string;
  awsEndpoint: string;
  dynamoDbEndpoint: string;
  webSockets: Record<string, { webSocketUrl: string; connectionsUrl: string }>;
  startedAt: string;
}

const palette: Palette = process.stdout.isTTY && !process.env.NO_COLOR ? COLORS : PLAIN;

function integer(name: string, min: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return parsed;
  };
}

function share(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1)
      throw new InvalidArgumentError(`${name} must be a share between 0 and 1`);
    return parsed;
  };
}

/** `Queue -> Function (batch 10, window 5 s, partial failures, max concurrency 2)`, or `(disabled)`. */
function describeMapping(stack: Pick<LocalStack, 'model'>, m: EventSourceMappingModel): string {
  const queue =
    stack.model.queues.find((q) => q.logicalId === m.queueLogicalId)?.queueName ?? m.queueLogicalId;
  const details = m.enabled
    ? [
        `batch ${m.batchSize}`,
        ...(m.maximumBatchingWindowSeconds > 0 ? [`window ${m.maximumBatchingWindowSeconds} s`] : []),
        ...(m.reportBatchItemFailures ? ['partial batch failures'] : []),
        ...(m.maximumConcurrency !== undefined ? [`max concurrency ${m.maximumConcurrency}`] : []),
        ...(m.filters.length > 0 ? [`${m.filters.length} filter${m.filters.length > 1 ? 's' : ''}`] : []),
      ]
    : ['disabled: not polled'];
  return `${queue} -> ${m.functionLogicalId}   (${details.join(', ')})`;
}

function consoleLog(quiet: boolean): StackLog {
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  return {
    info: out,
    warn: (message) => process.stderr.write(`${palette.yellow('warning')} ${message}\n`),
    invocation: (report, fn) => {
      if (quiet) return;
      out(formatInvocationLine(invocationLine(fn?.logicalId ?? report.functionLogicalId, report), palette));
    },
    functionLog: (fn, line) => {
      if (quiet) return;
      out(
        `${palette.dim(clock())}  ${palette.dim(`${fn.logicalId} |`)} ${formatFunctionLogLine(line, palette)}`,
      );
    },
    gateway: (activity) => {
      if (quiet) return;
      const id = palette.dim(activity.connectionId);
      switch (activity.type) {
        case 'connect':
          return out(
            `${palette.dim(clock())}  ${palette.green('connected')}  ${id} from ${activity.sourceIp}`,
          );
        case 'reject':
          return out(
            `${palette.dim(clock())}  ${palette.yellow('rejected')}  ${id} with ${activity.statusCode}`,
          );
        case 'disconnect-lost':
          return out(
            `${palette.dim(clock())}  ${palette.yellow('$disconnect lost')}  ${id}: its $disconnect route does not run (--lost-disconnect)`,
          );
        case 'disconnect':
          return out(
            `${palette.dim(clock())}  disconnected  ${id} ${activity.statusCode}${activity.reason ? ` ${activity.reason}` : ''}`,
          );
        case 'close':
          return out(
            `${palette.dim(clock())}  closing  ${id} with ${activity.statusCode} ${activity.reason}`,
          );
        case 'forbidden':
          return out(
            `${palette.dim(clock())}  ${palette.yellow('Forbidden')}  ${id}: no route and no $default`,
          );
        case 'integration-error':
          return out(
            `${palette.dim(clock())}  ${palette.red('Internal server error')}  ${id} ${activity.routeKey}: ${activity.message}`,
          );
      }
    },
    event: (summary) => {
      if (quiet) return;
      out(
        `${palette.dim(clock())}  event  ${summary.source} ${palette.cyan(summary.detailType)} on ${summary.eventBusName} -> ${
          summary.matchedRules.length ? summary.matchedRules.join(', ') : 'no rule'
        }`,
      );
    },
  };
}

/** A mistake in how the CLI was called: the message says it all, no stack trace needed. */
class UsageError extends Error {}

/** The message a user needs for the errors that have a known cause; undefined for the others. */
function explain(error: unknown): string | undefined {
  if (
    error instanceof PortInUseError ||
    error instanceof UsageError ||
    error instanceof TracesUnavailableError
  )
    return error.message;
  if (error instanceof FaultOptionsError) return `Fault options: ${error.message}`;
  if (error instanceof QuirkOptionsError) return `Quirk options: ${error.message}`;
  if (error instanceof TemplateError) return `Template error: ${error.message}`;
  if (error instanceof BuildError) {
    const missing = error.failures.filter((failure) => !error.message.includes(failure.message));
    const details = missing.map((failure) => `\n  ${failure.logicalId}: ${failure.message}`).join('');
    return `Build failed: ${error.message}${details}`;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' && error instanceof Error) return error.message;
  return undefined;
}

function fail(error: unknown): never {
  const message = explain(error);
  process.stderr.write(
    `${palette.red('error')} ${message ?? (error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
  );
  process.exit(1);
}

function templatePathOf(template: string): string {
  const resolved = path.resolve(template);
  if (!existsSync(resolved)) throw new UsageError(`Template not found: ${resolved} (pass --template <file>)`);
  return resolved;
}

async function start(opts: {
  port: number;
  host: string;
  template: string;
  persist?: string;
  web?: string;
  callbackLatency?: number;
  idleTimeout?: number;
  maxConnection?: number;
  quiet?: boolean;
  faultDynamodbThrottle?: number;
  faultPost429?: number;
  faultPost500?: number;
  faultPutEvents?: number;
  faultLambdaCrash?: number;
  faultLambdaTimeout?: number;
  faultLambdaAfter?: number;
  faultFunctions?: string;
  gsiLag?: number;
  lostDisconnect?: number;
  eventDuplicates?: number;
  eventJitter?: number;
}): Promise<void> {
  const templatePath = templatePathOf(opts.template);
  const defaultWeb = path.resolve('web/dist');
  const webRoot = opts.web ? path.resolve(opts.web) : existsSync(defaultWeb) ? defaultWeb : undefined;
  if (webRoot && !existsSync(webRoot)) throw new UsageError(`Web root not found: ${webRoot}`);
  const log = consoleLog(Boolean(opts.quiet));
  const options: LocalStackOptions = {
    templatePath,
    port: opts.port,
    host: opts.host,
    webRoot,
    persistDir: opts.persist ? path.resolve(opts.persist) : undefined,
    buildDir: path.join(STATE_DIR, 'build'),
    callbackLatencyMs: opts.callbackLatency,
    idleTimeoutSeconds: opts.idleTimeout,
    maxConnectionSeconds: opts.maxConnection,
    faults: {
      dynamoDbThrottle: opts.faultDynamodbThrottle,
      postToConnection429: opts.faultPost429,
      postToConnection500: opts.faultPost500,
      putEventsEntryFailure: opts.faultPutEvents,
      lambdaCrash: opts.faultLambdaCrash,
      lambdaTimeout: opts.faultLambdaTimeout,
      lambdaFaultAfterMs: opts.faultLambdaAfter,
      lambdaFaultFunctions: opts.faultFunctions?.split(',').map((id) => id.trim()),
    },
    quirks: {
      gsiLagMs: opts.gsiLag,
      lostDisconnectShare: opts.lostDisconnect,
      eventDuplicateShare: opts.eventDuplicates,
      eventJitterMs: opts.eventJitter,
    },
    log,
  };
  process.stdout.write(
    `Starting the local stack from ${path.relative(process.cwd(), templatePath) || templatePath}...\n`,
  );
  const started = Date.now();
  const stack = await startLocalStack(options);
  await writeEndpoints(stack);

  const lines = [
    '',
    palette.bold(`Local stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`),
    webRoot
      ? `  Web client      ${stack.siteUrl}/`
      : '  Web client      (none: no web/dist; run npm run build:web or pass --web <dir>)',
    ...stack.model.webSocketApis.flatMap((api) => [
      `  WebSocket       ${stack.webSocketUrl(api.logicalId)}   (${api.logicalId}; in AWS ${api.endpointUrl.replace('https://', 'wss://')})`,
      `  @connections    ${stack.connectionsUrl(api.logicalId)}/@connections/{connectionId}   (SigV4, access key local, secret local, session token local)`,
    ]),
    `  AWS endpoint    ${stack.awsEndpoint}   (DynamoDB, EventBridge, SQS; any credentials)`,
    `  Traces          ${stack.siteUrl}${TRACES_PATH}   (or npm run traces -- --last 5)`,
    `  Functions       ${stack.model.functions.map((fn) => fn.logicalId).join(', ') || 'none'}`,
    ...stack.model.eventSourceMappings.map(
      (m, i) => `${i === 0 ? '  SQS -> Lambda   ' : '                  '}${describeMapping(stack, m)}`,
    ),
    `  Tables          ${stack.model.tables.map((table) => table.tableName).join(', ') || 'none'}${
      opts.persist ? ` (persisted in ${opts.persist})` : ' (in memory)'
    }`,
    ...describeQuirks(options.quirks).map(
      (quirk, i) => `${i === 0 ? '  AWS quirks      ' : '                  '}${palette.yellow(quirk)}`,
    ),
    '',
    `Try:  npx wscat -c ${stack.model.webSocketApis[0] ? stack.webSocketUrl() : '<url>'}`,
    'Ctrl-C stops.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) {
      process.stderr.write('Stopping anyway.\n');
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the local stack...\n`);
    await rm(ENDPOINTS_FILE, { force: true });
    await stack.stop();
    process.stdout.write('Stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function writeEndpoints(stack: LocalStack): Promise<void> {
  const file: EndpointsFile = {
    pid: process.pid,
    templatePath: stack.model.templatePath,
    siteUrl: stack.siteUrl,
    awsEndpoint: stack.awsEndpoint,
    dynamoDbEndpoint: stack.dynamoDbEndpoint,
    webSockets: Object.fromEntries(
      stack.model.webSocketApis.map((api) => [
        api.logicalId,
        {
          webSocketUrl: stack.webSocketUrl(api.logicalId),
          connectionsUrl: stack.connectionsUrl(api.logicalId),
        },
      ]),
    ),
    startedAt: new Date().toISOString(),
  };
  await mkdir(STATE_DIR, { recursive: true });
  await writeFile(ENDPOINTS_FILE, `${JSON.stringify(file, null, 2)}\n`);
}

/** The running `start`'s endpoints, when its process is alive and its AWS endpoint answers. */
async function runningStack(): Promise<EndpointsFile | undefined> {
  let file: EndpointsFile;
  try {
    file = JSON.parse(await readFile(ENDPOINTS_FILE, 'utf8')) as EndpointsFile;
    process.kill(file.pid, 0);
  } catch {
    return undefined;
  }
  const answers = await new Promise<boolean>((resolve) => {
    const req = request(file.awsEndpoint, { method: 'POST', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
  return answers ? file : undefined;
}

async function invoke(functionId: string, eventFile: string, opts: { template: string }): Promise<void> {
  const templatePath = templatePathOf(opts.template);
  const eventText = eventFile === '-' ? await readStdin() : await readFile(path.resolve(eventFile), 'utf8');
  let event: unknown;
  try {
    event = JSON.parse(eventText);
  } catch (error) {
    throw new UsageError(`${eventFile} is not JSON: ${(error as Error).message}`);
  }
  const model = await loadStack(templatePath);
  const fn = model.functions.find((candidate) => candidate.logicalId === functionId);
  if (!fn) {
    throw new UsageError(
      `No function ${functionId} in ${templatePath}; functions: ${model.functions.map((f) => f.logicalId).join(', ')}`,
    );
  }

  const running = await runningStack();
  let temporary: LocalStack | undefined;
  let environmentFor: (f: FunctionModel) => Record<string, string>;
  let lambda: LambdaService;
  if (running && path.resolve(running.templatePath) === templatePath) {
    process.stderr.write(
      `Using the running local stack (pid ${running.pid}, AWS endpoint ${running.awsEndpoint})\n`,
    );
    const siteHostPort = new URL(running.siteUrl).host;
    environmentFor = (f) => localEnvironment(model, f, { aws: running.awsEndpoint, siteHostPort });
    const single = { ...model, functions: [fn] };
    const bundles = await buildFunctions(single, { outDir: path.join(STATE_DIR, 'invoke-build') });
    lambda = new LambdaService({
      functions: [fn],
      bundles,
      environmentFor,
      onLog: (_f: FunctionModel, line: string) =>
        process.stderr.write(`${formatFunctionLogLine(line, palette)}\n`),
      onInvocation: () => {},
      deadLetter: async () => {},
    });
  } else {
    process.stderr.write(
      running
        ? `The running local stack serves ${running.templatePath}; starting a temporary one for ${templatePath}\n`
        : 'No local stack is running (npm start): starting a temporary one (DynamoDB, EventBridge, SQS, @connections) for this invocation\n',
    );
    temporary = await startLocalStack({
      templatePath,
      port: 0,
      log: {
        // The template's warnings are npm start's business; here they would bury the result.
        functionLog: (_f, line) => process.stderr.write(`${formatFunctionLogLine(line, palette)}\n`),
      },
    });
    lambda = temporary.lambda;
  }
  let failed = false;
  try {
    const result = await lambda.invoke(functionId, event, { label: 'invoke' });
    const report = result.report;
    process.stderr.write(
      `${palette.dim(`REPORT ${functionId} Duration: ${report.durationMs.toFixed(2)} ms Billed Duration: ${report.billedMs} ms${report.cold ? ' (cold start)' : ''}`)}\n`,
    );
    if (result.ok) {
      process.stdout.write(`${JSON.stringify(result.payload ?? null, null, 2)}\n`);
    } else {
      failed = true;
      process.stdout.write(`${JSON.stringify(result.error, null, 2)}\n`);
    }
    // Let what the invocation started (events, async targets) finish before stopping.
    if (temporary) await temporary.drain();
  } finally {
    if (temporary) await temporary.stop();
    else await lambda.close();
  }
  process.exit(failed ? 1 : 0);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const program = new Command()
  .name('local-stack')
  .description(
    'Runs a SAM WebSocket + Lambda + EventBridge + DynamoDB app locally, with no AWS account and no Docker',
  );

program
  .command('start')
  .description(
    'start the whole stack: web client, WebSocket API, @connections, functions, DynamoDB, EventBridge, SQS',
  )
  .option(
    '--port <port>',
    'site port: web client, WebSocket stages and @connections',
    integer('--port', 0),
    3000,
  )
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--template <file>', 'SAM template', 'template.yaml')
  .option('--persist <dir>', 'keep DynamoDB data in this directory across runs')
  .option('--web <dir>', 'static files served at / (default: web/dist when it exists)')
  .option(
    '--callback-latency <ms>',
    'delay each @connections answer (simulated round trip)',
    integer('--callback-latency', 0),
  )
  .option('--idle-timeout <s>', 'close connections idle this long (AWS: 600)', integer('--idle-timeout', 1))
  .option(
    '--max-connection <s>',
    'close connections after this long (AWS: 7200)',
    integer('--max-connection', 1),
  )
  .option('--quiet', 'print no invocation or function log lines')
  .option(
    '--fault-dynamodb-throttle <share>',
    'answer this share (0-1) of DynamoDB item calls with ProvisionedThroughputExceededException',
    share('--fault-dynamodb-throttle'),
  )
  .option(
    '--fault-post-429 <share>',
    'answer this share of PostToConnection calls with 429',
    share('--fault-post-429'),
  )
  .option(
    '--fault-post-500 <share>',
    'answer this share of PostToConnection calls with 500',
    share('--fault-post-500'),
  )
  .option(
    '--fault-put-events <share>',
    'fail this share of PutEvents entries with InternalFailure',
    share('--fault-put-events'),
  )
  .option(
    '--fault-lambda-crash <share>',
    'kill the environment of this share of invocations (see --fault-lambda-after)',
    share('--fault-lambda-crash'),
  )
  .option(
    '--fault-lambda-timeout <share>',
    'end this share of invocations as timeouts (Sandbox.Timedout)',
    share('--fault-lambda-timeout'),
  )
  .option(
    '--fault-lambda-after <ms>',
    'how far into the handler a Lambda fault strikes',
    integer('--fault-lambda-after', 0),
  )
  .option('--fault-functions <ids>', 'comma-separated logical ids Lambda faults apply to (default: all)')
  .option(
    '--gsi-lag <ms>',
    'writes reach global secondary indexes this long after the table (AWS: eventually consistent)',
    integer('--gsi-lag', 0),
  )
  .option(
    '--lost-disconnect <share>',
    'this share (0-1) of dropped sockets never run $disconnect (AWS: best effort)',
    share('--lost-disconnect'),
  )
  .option(
    '--event-duplicates <share>',
    'deliver this share (0-1) of EventBridge events to their targets twice (AWS: at least once)',
    share('--event-duplicates'),
  )
  .option(
    '--event-jitter <ms>',
    'delay each EventBridge delivery by a random 0 to this many ms, so they arrive unordered',
    integer('--event-jitter', 0),
  )
  .action((opts) => start(opts).catch(fail));

program
  .command('invoke')
  .description('run one function once with an event file (like sam local invoke, without Docker)')
  .argument('<FunctionLogicalId>', 'the function to run')
  .argument('<event.json>', "the event ('-' reads stdin)")
  .option('--template <file>', 'SAM template', 'template.yaml')
  .action((functionId: string, eventFile: string, opts: { template: string }) =>
    invoke(functionId, eventFile, opts).catch(fail),
  );

program
  .command('traces')
  .description("print the running stack's recent X-Ray traces as waterfalls (the page is /_local/traces)")
  .option('--last <n>', 'how many of the most recent traces', integer('--last', 1), 5)
  .option('--id <traceId>', 'print this trace only')
  .option(
    '--url <siteUrl>',
    'the running stack (default: the one npm start recorded, else http://127.0.0.1:3000)',
  )
  .action(async (opts: { last: number; id?: string; url?: string }) => {
    try {
      const siteUrl = opts.url ?? (await runningStack())?.siteUrl ?? 'http://127.0.0.1:3000';
      await printTraces(siteUrl, { last: opts.last, id: opts.id, palette });
    } catch (error) {
      fail(error);
    }
  });

program.parseAsync(process.argv).catch(fail);
