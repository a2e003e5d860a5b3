import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import {
  type GatewayActivity,
  type GatewayInvokeResult,
  type GatewayLimits,
  type GatewayStats,
  WebSocketGateway,
} from './apigateway';
import { buildFunctions } from './build';
import { type LocalDynamoDb, startDynamoDb } from './dynamodb';
import {
  type AwsCallStats,
  type AwsEndpoint,
  type AwsEndpointOptions,
  createStaticSite,
  startAwsEndpoint,
} from './endpoint';
import { EventBridgeService, type EventBridgeStats, type EventSummary } from './eventbridge';
import { type InvocationReport, LambdaService, type LambdaStats } from './lambda';
import { SqsService, type SqsStats } from './sqs';
import { loadStack } from './template';
import type { FunctionModel, StackModel } from './template/types';

/** Where the stack reports what happens; every callback is optional (tests pass none). */
export interface StackLog {
  info?(message: string): void;
  warn?(message: string): void;
  invocation?(report: InvocationReport, fn: FunctionModel | undefined): void;
  functionLog?(fn: FunctionModel, line: string): void;
  gateway?(activity: GatewayActivity): void;
  event?(summary: EventSummary): void;
}

export interface LocalStackOptions {
  templatePath: string;
  /** The site port: web client, WebSocket stages and @connections (0 = any free port). Default 3000. */
  port?: number;
  host?: string;
  /** Static files served at `/` (the web client), when given. */
  webRoot?: string;
  /** Keep DynamoDB data in this directory across runs (default: in memory). */
  persistDir?: string;
  /** Where function bundles go (default: a fresh folder under .local-stack/, removed on stop). */
  buildDir?: string;
  parameterOverrides?: Record<string, string>;
  /** Delay before answering each @connections request (a simulated network round trip). */
  callbackLatencyMs?: number;
  idleTimeoutSeconds?: number;
  maxConnectionSeconds?: number;
  /** Any other gateway limit (frame sizes, integration timeout...); AWS values by default. */
  limits?: Partial<GatewayLimits>;
  /** Delays between a failed async invocation's retries (AWS: about 1 and 2 minutes). */
  asyncRetryDelaysMs?: number[];
  /** EventBridge delivery retry delays. */
  eventRetryDelaysMs?: number[];
  /** How often expired TTL items are deleted (default 30 s; 0 = never). */
  ttlSweepIntervalMs?: number;
  log?: StackLog;
}

export interface FunctionStats {
  invocations: number;
  errors: number;
  coldStarts: number;
  durationMs: number;
  billedMs: number;
  memorySizeMb: number;
}

export interface StackStats {
  gateway: GatewayStats;
  /** Calls to the AWS JSON endpoint per service and operation. */
  aws: AwsCallStats;
  eventBridge: EventBridgeStats;
  sqs: SqsStats;
  /** Environments, cold starts, throttles, async retries, dead letters, X-Ray segments. */
  lambda: LambdaStats;
  /** Per function: invocations, errors, cold starts, summed duration and billed time. */
  functions: Record<string, FunctionStats>;
}

export interface LocalStack {
  model: StackModel;
  siteUrl: string;
  webSocketUrl(apiLogicalId?: string): string;
  connectionsUrl(apiLogicalId?: string): string;
  awsEndpoint: string;
  /** dynalite's own address (not counted in stats). */
  dynamoDbEndpoint: string;
  gateway: WebSocketGateway;
  lambda: LambdaService;
  eventBridge: EventBridgeService;
  sqs: SqsService;
  dynamodb: LocalDynamoDb;
  stats(): StackStats;
  resetStats(): void;
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/** The port is taken: the CLI turns this into "Port 3000 is in use; pass --port". */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(readonly port: number) {
    super(`Port ${port} is in use; pass --port`);
  }
}

/** current - baseline for every number in a tree of counters (for services without a reset). */
function since<T>(current: T, baseline: T | undefined): T {
  if (baseline === undefined) return current;
  if (typeof current === 'number') return (current - ((baseline as number) ?? 0)) as T;
  if (current === null || typeof current !== 'object' || Array.isArray(current)) return current;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(current)) {
    out[key] = since(value, (baseline as Record<string, unknown>)[key]);
  }
  return out as T;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The environment the stack adds to every function: the AWS SDK's per-service endpoint
 * variables pointing at the local AWS endpoint, dummy credentials, and every template value that
 * holds a local API's AWS-shaped URL rewritten to the local site (https -> http, wss -> ws).
 */
export function localEnvironment(
  model: Pick<StackModel, 'region' | 'webSocketApis'>,
  fn: Pick<FunctionModel, 'environment'>,
  endpoints: { aws: string; siteHostPort: string },
): Record<string, string> {
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.aws,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.aws,
    AWS_ENDPOINT_URL_SQS: endpoints.aws,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_REGION: model.region,
    AWS_DEFAULT_REGION: model.region,
    // Lambda runs nodejs24.x; the SDK's warning about an older local Node.js is noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const hosts = model.webSocketApis.map(
    (api) =>
      new RegExp(
        `(https|wss)://${escapeRegExp(`${api.apiId}.execute-api.${model.region}.amazonaws.com`)}`,
        'g',
      ),
  );
  for (const [name, value] of Object.entries(fn.environment)) {
    let rewritten = value;
    for (const host of hosts) {
      rewritten = rewritten.replace(host, (_match, scheme: string) =>
        scheme === 'wss' ? `ws://${endpoints.siteHostPort}` : `http://${endpoints.siteHostPort}`,
      );
    }
    if (rewritten !== value) env[name] = rewritten;
  }
  return env;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error);
    };
    server.once('error', onError);
    // A deep accept queue: benchmarks open thousands of sockets at once (Linux caps it at somaxconn).
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Keeps every socket the server accepts, so closing it can end them all: closeAllConnections()
 * only reaches sockets still speaking HTTP, not upgraded ones, and close() waits for those.
 */
function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
    for (const socket of sockets) socket.destroy();
  });
}

/** Starts everything the template describes; see docs/local-stack.md. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? {};
  const host = options.host ?? '127.0.0.1';
  const model = await loadStack(options.templatePath, { parameterOverrides: options.parameterOverrides });
  for (const warning of model.warnings) log.warn?.(warning);

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch {
        // Keep going: every later step frees something too.
      }
    }
  };

  try {
    let buildDir = options.buildDir;
    if (!buildDir) {
      // Inside the project, so esbuild's `External` packages resolve from its node_modules.
      const parent = path.resolve('.local-stack');
      await mkdir(parent, { recursive: true });
      const tmp = await mkdtemp(path.join(parent, 'build-'));
      buildDir = tmp;
      cleanups.push(() => rm(tmp, { recursive: true, force: true }));
    }
    const bundles = await buildFunctions(model, { outDir: buildDir });

    const dynamodb = await startDynamoDb(model, {
      persistDir: options.persistDir,
      ttlSweepIntervalMs: options.ttlSweepIntervalMs,
      region: model.region,
      onWarning: (message) => log.warn?.(message),
    });
    cleanups.push(() => dynamodb.close());

    // The site listens first: the functions' environment needs its port.
    let gateway: WebSocketGateway | undefined;
    let staticSite: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
    const site = createServer((req, res) => {
      if (gateway?.handleRequest(req, res)) return;
      if (staticSite) {
        staticSite(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(
        `No web client is served here. WebSocket stages: ${gateway?.stagePaths.join(', ') ?? 'none'}\n`,
      );
    });
    site.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      if (gateway?.handleUpgrade(req, socket, head)) return;
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    // Clients and the SDK keep sockets alive between @connections calls.
    site.keepAliveTimeout = 65_000;
    site.headersTimeout = 66_000;
    const siteSockets = trackSockets(site);
    await listen(site, options.port ?? 3000, host);
    cleanups.push(() => closeServer(site, siteSockets));
    const sitePort = (site.address() as AddressInfo).port;
    const siteHostPort = `${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${sitePort}`;
    if (options.webRoot) staticSite = createStaticSite(options.webRoot);

    // Services are attached once they exist; the endpoint reads them per request.
    const services: AwsEndpointOptions = {};
    const endpoint: AwsEndpoint = await startAwsEndpoint(services);
    cleanups.push(() => endpoint.close());

    const sqs = new SqsService({ queues: model.queues, endpointUrl: endpoint.url });
    cleanups.push(() => sqs.close());

    const functionsById = new Map(model.functions.map((fn) => [fn.logicalId, fn]));
    let functionStats: Record<string, FunctionStats> = {};
    const lambda = new LambdaService({
      functions: model.functions,
      bundles,
      environmentFor: (fn: FunctionModel) => localEnvironment(model, fn, { aws: endpoint.url, siteHostPort }),
      onLog: (fn: FunctionModel, line: string) => log.functionLog?.(fn, line),
      onInvocation: (report: InvocationReport) => {
        const fn = functionsById.get(report.functionLogicalId);
        const stats = functionStats[report.functionLogicalId] ?? {
          invocations: 0,
          errors: 0,
          coldStarts: 0,
          durationMs: 0,
          billedMs: 0,
          memorySizeMb: fn?.memorySizeMb ?? 128,
        };
        functionStats[report.functionLogicalId] = stats;
        stats.invocations++;
        if (report.outcome !== 'success') stats.errors++;
        if (report.cold) stats.coldStarts++;
        stats.durationMs += report.durationMs;
        stats.billedMs += report.billedMs;
        log.invocation?.(report, fn);
      },
      deadLetter: async (arn: string, payload: { body: string; attributes: Record<string, string> }) => {
        await sqs.send(arn, payload.body, payload.attributes);
      },
      region: model.region,
      asyncRetryDelaysMs: options.asyncRetryDelaysMs,
    });
    cleanups.push(() => lambda.close());

    const eventBridge = new EventBridgeService({
      model,
      invokeFunction: (logicalId, event, context) =>
        lambda.invokeAsync(logicalId, event, { label: context.label }),
      sendToQueue: (arn, body, attributes) => sqs.send(arn, body, attributes),
      onEvent: (summary) => log.event?.(summary),
      onWarning: (message) => log.warn?.(message),
      retryDelaysMs: options.eventRetryDelaysMs,
    });
    cleanups.push(() => eventBridge.close());

    const limits: Partial<GatewayLimits> = { ...options.limits };
    if (options.idleTimeoutSeconds !== undefined) limits.idleTimeoutMs = options.idleTimeoutSeconds * 1000;
    if (options.maxConnectionSeconds !== undefined)
      limits.maxConnectionMs = options.maxConnectionSeconds * 1000;
    const liveGateway = new WebSocketGateway({
      apis: model.webSocketApis,
      region: model.region,
      limits,
      callbackLatencyMs: options.callbackLatencyMs,
      onActivity: (activity) => log.gateway?.(activity),
      invoker: {
        invoke: async (logicalId, event, invokeOptions): Promise<GatewayInvokeResult> => {
          const result = await lambda.invoke(logicalId, event, invokeOptions);
          return result.ok ? { ok: true, payload: result.payload } : { ok: false, error: result.error };
        },
      },
    });
    gateway = liveGateway;
    cleanups.push(() => liveGateway.close());

    services.dynamodb = dynamodb;
    services.eventBridge = eventBridge;
    services.sqs = sqs;

    const siteUrl = `http://${siteHostPort}`;
    const apiFor = (apiLogicalId?: string) => {
      const api = apiLogicalId
        ? model.webSocketApis.find((candidate) => candidate.logicalId === apiLogicalId)
        : model.webSocketApis[0];
      if (!api) throw new Error(`No WebSocket API ${apiLogicalId ?? ''} in ${model.templatePath}`);
      return api;
    };

    const activity = (): number => {
      const gw = liveGateway.stats();
      const eb = eventBridge.stats();
      let invocations = 0;
      for (const stats of Object.values(functionStats)) invocations += stats.invocations;
      return (
        gw.messagesIn + gw.connectionsOpened + gw.connectionsClosed + eb.entries + eb.retries + invocations
      );
    };

    // SQS and Lambda count from their start; resetStats() keeps a baseline to subtract. Gauges
    // (environments) are reported as they are.
    let sqsBaseline: SqsStats | undefined;
    let lambdaBaseline: LambdaStats | undefined;
    const lambdaStats = (): LambdaStats => {
      const current = lambda.stats();
      return { ...since(current, lambdaBaseline), environments: current.environments };
    };

    let stopping: Promise<void> | undefined;
    return {
      model,
      siteUrl,
      webSocketUrl: (id) => `ws://${siteHostPort}/${apiFor(id).stageName}`,
      connectionsUrl: (id) => `${siteUrl}/${apiFor(id).stageName}`,
      awsEndpoint: endpoint.url,
      dynamoDbEndpoint: dynamodb.endpoint,
      gateway: liveGateway,
      lambda,
      eventBridge,
      sqs,
      dynamodb,
      stats: () => ({
        gateway: liveGateway.stats(),
        aws: endpoint.stats(),
        eventBridge: eventBridge.stats(),
        sqs: since(sqs.stats(), sqsBaseline),
        lambda: lambdaStats(),
        functions: structuredClone(functionStats),
      }),
      resetStats: () => {
        liveGateway.resetStats();
        endpoint.resetStats();
        eventBridge.resetStats();
        sqsBaseline = sqs.stats();
        lambdaBaseline = lambda.stats();
        functionStats = {};
      },
      async drain() {
        // Each service can hand work to another (a route publishes an event, whose target posts
        // to a connection...): repeat until a whole pass starts nothing new.
        for (;;) {
          const before = activity();
          await liveGateway.drain();
          await eventBridge.drain();
          await lambda.drain();
          await liveGateway.drain();
          if (activity() === before) return;
        }
      },
      stop() {
        // A second call waits for the first: both callers see the stack fully stopped.
        stopping ??= cleanup();
        return stopping;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
