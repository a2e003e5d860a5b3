import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsJsonError, type AwsJsonHandler, readBody, writeError } from '../aws-json';
import type { LocalService } from '../service';
import { listenWide } from './listen';

/** A service that answers AWS JSON protocol requests whose body has been read (EventBridge, SQS). */
export type AwsJsonService = AwsJsonHandler;

/** A service that reads the request body itself (the DynamoDB proxy to dynalite). */
export interface AwsStreamingService {
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
}

export interface AwsEndpointOptions {
  /** An injected failure for one call (local/faults), answered instead of the service's answer. */
  fault?: (service: string, operation: string) => AwsJsonError | undefined;
  dynamodb?: AwsStreamingService;
  eventBridge?: AwsJsonService;
  sqs?: AwsJsonService;
  host?: string;
  port?: number;
}

/** Calls per service and operation, e.g. { dynamodb: { PutItem: 3 }, eventbridge: { PutEvents: 1 } }. */
export type AwsCallStats = Record<string, Record<string, number>>;

export interface AwsEndpoint extends LocalService<AwsCallStats> {
  url: string;
  port: number;
  /** Listening sockets sharing the port (see listenWide): 1 on a Node without `reusePort`. */
  acceptors: number;
  close(): Promise<void>;
}

/** X-Amz-Target prefixes of the AWS JSON services the endpoint serves, by stats name. */
const TARGETS: { prefix: string; service: 'dynamodb' | 'eventbridge' | 'sqs' }[] = [
  { prefix: 'DynamoDB_20120810.', service: 'dynamodb' },
  { prefix: 'AWSEvents.', service: 'eventbridge' },
  { prefix: 'AmazonSQS.', service: 'sqs' },
];

// The endpoint's own errors (no service for the target) in the dialect the SDKs accept from any service.
const ENDPOINT_DIALECT = { targetPrefix: '', version: '1.1' } as const;

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  writeError(res, ENDPOINT_DIALECT, new AwsJsonError(type, message, status));
}

/**
 * One loopback http server for the AWS JSON services the functions call, routed by
 * X-Amz-Target the way the real services' front ends do: functions get it as
 * AWS_ENDPOINT_URL_DYNAMODB / _EVENTBRIDGE / _SQS. Signatures are not checked. Every call is
 * counted per service and operation (the benchmarks turn these into cost).
 */
export async function startAwsEndpoint(options: AwsEndpointOptions): Promise<AwsEndpoint> {
  let counts: AwsCallStats = {};
  const count = (service: string, operation: string): void => {
    const perService = counts[service] ?? {};
    counts[service] = perService;
    perService[operation] = (perService[operation] ?? 0) + 1;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const header = req.headers['x-amz-target'];
    const target = typeof header === 'string' ? header : '';
    const route = TARGETS.find((candidate) => target.startsWith(candidate.prefix));
    if (req.method !== 'POST' || !route) {
      req.resume();
      sendError(
        res,
        400,
        'UnknownOperationException',
        target
          ? `The local AWS endpoint does not serve ${target}; it serves DynamoDB, EventBridge (AWSEvents) and SQS (AmazonSQS) over the AWS JSON protocol`
          : 'Missing X-Amz-Target: the local AWS endpoint serves the AWS JSON protocol of DynamoDB, EventBridge and SQS',
      );
      return;
    }
    const operation = target.slice(route.prefix.length);
    count(route.service, operation);
    const fault = options.fault?.(route.service, operation);
    if (fault) {
      req.resume();
      writeError(res, ENDPOINT_DIALECT, fault);
      return;
    }
    if (route.service === 'dynamodb') {
      if (!options.dynamodb) return void sendUnavailable(req, res, 'DynamoDB');
      options.dynamodb.handleRequest(req, res);
      return;
    }
    const service = route.service === 'eventbridge' ? options.eventBridge : options.sqs;
    if (!service)
      return void sendUnavailable(req, res, route.service === 'eventbridge' ? 'EventBridge' : 'SQS');
    await service.handleRequest(req, res, await readBody(req));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        sendError(res, 500, 'InternalFailure', error instanceof Error ? error.message : String(error));
      else res.destroy();
    });
  });
  // The SDK keeps connections alive; idle sockets must not hold the process open after close().
  server.keepAliveTimeout = 60_000;
  // Every environment of every function opens its own sockets here: take a burst of them at once.
  const listener = await listenWide(server, {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    backlog: 4096,
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    acceptors: listener.acceptors,
    stats: () => structuredClone(counts),
    resetStats: () => {
      counts = {};
    },
    // Each call is answered by the service behind it; those services drain themselves.
    drain: () => Promise.resolve(),
    close: async () => {
      const acceptorsClosed = listener.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await acceptorsClosed;
    },
  };
}

function sendUnavailable(req: IncomingMessage, res: ServerResponse, name: string): void {
  req.resume();
  sendError(res, 400, 'UnknownOperationException', `${name} is not running in this local stack`);
}
