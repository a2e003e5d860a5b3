import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * Resolves the plain dotted paths we use as correlationIdPath ('requestContext.requestId',
 * 'detail.correlationId'). Without a search function the Logger silently ignores
 * correlationIdPath; Powertools' own (logger/correlationId) needs @aws-lambda-powertools/jmespath,
 * an optional peer this project does not install, and dotted paths need no JMESPath.
 */
export const dottedPathSearch = (path: string, data: unknown): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (value, key) =>
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      data,
    );

// One instance of each per execution environment, shared by every module of a function. Service
// name and log level come from the POWERTOOLS_* variables the template sets. Metrics live in
// ./metrics, imported only where metrics are published.
export const logger = new Logger({ correlationIdSearchFn: dottedPathSearch });
// captureHTTPsRequests off: it patches node:http and node:https globally, so every PostToConnection
// of a fan-out became an X-Ray subsegment of its own (CPU per post, and traces of thousands of
// nodes). AWS SDK calls are still traced, by captureAWSv3Client; the fan-out is one subsegment with
// its counts (broadcaster handler, traceFanOut).
export const tracer = new Tracer({ captureHTTPsRequests: false });
