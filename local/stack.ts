import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  type GatewayActivity,
  type GatewayInvokeResult,
  type GatewayLimits,
  type GatewayStats,
  WebSocketGateway,
} from './apigateway';
import { buildFunctions } from './build';
import { type DynamoDbStats, type LocalDynamoDb, startDynamoDb } from './dynamodb';
import { type AwsCallStats, type AwsEndpointOptions, startAwsEndpoint } from './endpoint';
import { EventBridgeService, type EventBridgeStats, type EventSummary } from './eventbridge';
import { FaultInjector, type FaultOptions, type FaultStats } from './faults';
import {
  type EventSourceMappingStats,
  type FunctionStats,
  type InvocationReport,
  LambdaService,
  type LambdaStats,
  SqsEventSource,
} from './lambda';
import { checkQuirks, type QuirkOptions, quirksFromEnvironment } from './quirks';
import type { LocalService } from './service';
import { startSiteServer } from './site-server';
import { SqsService, type SqsStats } from './sqs';
import { LOCAL_CREDENTIALS, localEnvironment } from './stack-environment';
import { loadStack } from './template';
import type { FunctionModel, StackModel } from './template/types';
import { createTraceView } from './traces';
import type { TraceStore } from './xray';

export type { FunctionStats } from './lambda';
export { describeQuirks, type QuirkOptions, QuirkOptionsError } from './quirks';
export { PortInUseError } from './site-server';
export { LOCAL_CREDENTIALS, localEnvironment } from './stack-environment';

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
  /** Delays between a failed async invocation's retries (default AWS's: 1 and 2 minutes). */
  asyncRetryDelaysMs?: number[];
  /** EventBridge delivery retry delays. */
  eventRetryDelaysMs?: number[];
  /** How often expired TTL items are deleted (default 30 s; 0 = never). */
  ttlSweepIntervalMs?: number;
  /** Failures to inject into a share of calls (DynamoDB throttling, @connections 429/500, PutEvents entries). */
  faults?: FaultOptions;
  /**
   * AWS's normal-but-surprising behaviours (GSI lag, lost $disconnect, duplicate and unordered
   * events); LOCAL_STACK_QUIRKS supplies the ones not given here.
   */
  quirks?: QuirkOptions;
  log?: StackLog;
}

export interface StackStats {
  gateway: GatewayStats;
  /** Calls to the AWS JSON endpoint per service and operation. */
  aws: AwsCallStats;
  eventBridge: EventBridgeStats;
  sqs: SqsStats;
  /** SQS event source mappings: batches, records, deletions, failed batches and records, filtered out. */
  eventSourceMappings: EventSourceMappingStats;
  /** Environments, cold starts, throttles, async retries, dead letters, X-Ray segments. */
  lambda: LambdaStats;
  /** Per function: invocations, errors, cold starts, summed duration and billed time. */
  functions: Record<string, FunctionStats>;
  /** Failures injected through `faults`, per kind. */
  faults: FaultStats;
  /** Requests dynalite served and items the local TTL sweep deleted. */
  dynamodb: DynamoDbStats;
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
  /** The pollers of the template's SQS event source mappings. */
  eventSourceMappings: SqsEventSource;
  dynamodb: LocalDynamoDb;
  /** The traces the local X-Ray sink assembled (served at /_local/traces). */
  traces: TraceStore;
  stats(): StackStats;
  resetStats(): void;
  drain(): Promise<void>;
  stop(): Promise<void>;
}

function gatewayLimits(options: LocalStackOptions): Partial<GatewayLimits> {
  const limits: Partial<GatewayLimits> = { ...options.limits };
  if (options.idleTimeoutSeconds !== undefined) limits.idleTimeoutMs = options.idleTimeoutSeconds * 1000;
  if (options.maxConnectionSeconds !== undefined)
    limits.maxConnectionMs = options.maxConnectionSeconds * 1000;
  return limits;
}

/** Starts everything the template describes; see docs/local-stack.md. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? {};
  // Bad fault options fail before anything starts.
  const faults = new FaultInjector(options.faults);
  // LOCAL_STACK_QUIRKS turns quirks on for stacks started without them (a whole test suite).
  const given = Object.entries(options.quirks ?? {}).filter(([, value]) => value !== undefined);
  const quirks = checkQuirks({ ...quirksFromEnvironment(), ...Object.fromEntries(given) });
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
      gsiLagMs: quirks.gsiLagMs,
      onWarning: (message) => log.warn?.(message),
    });
    cleanups.push(() => dynamodb.close());

    // The site listens first: the functions' environment needs its port.
    const site = await startSiteServer({ port: options.port ?? 3000, host, webRoot: options.webRoot });
    cleanups.push(() => site.close());
    const siteHostPort = site.hostPort;

    // Services are attached once they exist; the endpoint reads them per request.
    const awsServices: AwsEndpointOptions = {
      fault: (service, operation) => faults.awsCall(service, operation),
    };
    const endpoint = await startAwsEndpoint(awsServices);
    cleanups.push(() => endpoint.close());

    const sqs = new SqsService({ queues: model.queues, endpointUrl: endpoint.url });
    cleanups.push(() => sqs.close());

    const functionsById = new Map(model.functions.map((fn) => [fn.logicalId, fn]));
    const lambda = new LambdaService({
      functions: model.functions,
      bundles,
      environmentFor: (fn: FunctionModel) => localEnvironment(model, fn, { aws: endpoint.url, siteHostPort }),
      onLog: (fn: FunctionModel, line: string) => log.functionLog?.(fn, line),
      onInvocation: (report: InvocationReport) =>
        log.invocation?.(report, functionsById.get(report.functionLogicalId)),
      deadLetter: async (arn, payload) => {
        await sqs.send(arn, payload.body, payload.attributes);
      },
      region: model.region,
      asyncRetryDelaysMs: options.asyncRetryDelaysMs,
      invocationFault: (fn) => faults.lambdaInvocation(fn.logicalId),
    });
    cleanups.push(() => lambda.close());
    const traces = (await lambda.xraySinkReady())?.traces as TraceStore;

    const eventBridge = new EventBridgeService({
      model,
      invokeFunction: (logicalId, event, context) =>
        lambda.invokeAsync(logicalId, event, { label: context.label, traceHeader: context.traceHeader }),
      onSegment: (segment) => lambda.recordSegment(segment),
      sendToQueue: (arn, body, attributes) => sqs.send(arn, body, attributes),
      onEvent: (summary) => log.event?.(summary),
      onWarning: (message) => log.warn?.(message),
      retryDelaysMs: options.eventRetryDelaysMs,
      entryFault: () => faults.putEventsEntry(),
      delivery: {
        duplicateShare: quirks.eventDuplicateShare,
        jitterMs: quirks.eventJitterMs,
        random: quirks.random,
      },
    });
    cleanups.push(() => eventBridge.close());

    const gateway = new WebSocketGateway({
      apis: model.webSocketApis,
      region: model.region,
      limits: gatewayLimits(options),
      callbackLatencyMs: options.callbackLatencyMs,
      postFault: () => faults.postToConnection(),
      credentials: [LOCAL_CREDENTIALS],
      lostDisconnectShare: quirks.lostDisconnectShare,
      random: quirks.random,
      onActivity: (activity) => log.gateway?.(activity),
      onSegment: (segment) => lambda.recordSegment(segment),
      invoker: {
        invoke: async (logicalId, event, invokeOptions): Promise<GatewayInvokeResult> => {
          const result = await lambda.invoke(logicalId, event, invokeOptions);
          return result.ok ? { ok: true, payload: result.payload } : { ok: false, error: result.error };
        },
      },
    });
    const traceView = createTraceView(() => traces);
    site.setRoutes({
      stagePaths: gateway.stagePaths,
      handleRequest: (req, res) => traceView(req, res) || gateway.handleRequest(req, res),
      handleUpgrade: (req, socket, head) => gateway.handleUpgrade(req, socket, head),
    });
    cleanups.push(() => gateway.close());

    awsServices.dynamodb = dynamodb;
    awsServices.eventBridge = eventBridge;
    awsServices.sqs = sqs;

    const eventSourceMappings = new SqsEventSource({
      mappings: model.eventSourceMappings,
      functions: model.functions,
      region: model.region,
      queue: (arn) => sqs.polledQueue(arn),
      invoke: (logicalId, event, invokeOptions) => lambda.invoke(logicalId, event, invokeOptions),
      functionConcurrency: (logicalId) => lambda.concurrencyLimit(logicalId),
      onSegment: (segment) => lambda.recordSegment(segment),
      onWarning: (message) => log.warn?.(message),
    });
    // Before the Lambda service closes, so no poller starts an invocation on a closing service.
    cleanups.push(() => eventSourceMappings.close());
    eventSourceMappings.start();

    const services: LocalService<unknown>[] = [
      gateway,
      endpoint,
      eventBridge,
      sqs,
      eventSourceMappings,
      lambda,
      faults,
      dynamodb,
    ];
    const apiFor = (apiLogicalId?: string) => {
      const api = apiLogicalId
        ? model.webSocketApis.find((candidate) => candidate.logicalId === apiLogicalId)
        : model.webSocketApis[0];
      if (!api) throw new Error(`No WebSocket API ${apiLogicalId ?? ''} in ${model.templatePath}`);
      return api;
    };
    // Work any service takes on: a drain pass that changes none of it started nothing new.
    const activity = (): number => {
      const gw = gateway.stats();
      const eb = eventBridge.stats();
      const invocations = lambda.stats().invocations;
      const sqsSent = sqs.stats().sent;
      return (
        gw.messagesIn +
        gw.connectionsOpened +
        gw.connectionsClosed +
        eb.entries +
        eb.retries +
        invocations +
        sqsSent
      );
    };

    let stopping: Promise<void> | undefined;
    return {
      model,
      siteUrl: site.url,
      webSocketUrl: (id) => `ws://${siteHostPort}/${apiFor(id).stageName}`,
      connectionsUrl: (id) => `${site.url}/${apiFor(id).stageName}`,
      awsEndpoint: endpoint.url,
      dynamoDbEndpoint: dynamodb.endpoint,
      gateway,
      lambda,
      eventBridge,
      sqs,
      eventSourceMappings,
      dynamodb,
      traces,
      stats: () => ({
        gateway: gateway.stats(),
        aws: endpoint.stats(),
        eventBridge: eventBridge.stats(),
        sqs: sqs.stats(),
        eventSourceMappings: eventSourceMappings.stats(),
        lambda: lambda.stats(),
        functions: lambda.functionStats(),
        faults: faults.stats(),
        dynamodb: dynamodb.stats(),
      }),
      resetStats: () => {
        for (const service of services) service.resetStats();
      },
      async drain() {
        // Each service can hand work to another (a route publishes an event, whose target posts
        // to a connection...): repeat until a whole pass starts nothing new.
        for (;;) {
          const before = activity();
          await gateway.drain();
          await eventBridge.drain();
          await eventSourceMappings.drain();
          await lambda.drain();
          await gateway.drain();
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
