import { isFiniteNumber, isNonEmptyString, isRecord, type JsonObject, Problems } from '../../shared/checks';

/**
 * The events API Gateway WebSocket APIs send to a Lambda integration, as captured from real
 * traffic. Our own types: @types/aws-lambda lacks headers, identity and the disconnect fields,
 * and the Powertools parser schema is the authorizer shape. Unknown fields are kept.
 */
export interface WebSocketRequestContext extends JsonObject {
  routeKey: string;
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  connectionId: string;
  requestId: string;
  messageId?: string;
  extendedRequestId?: string;
  requestTime?: string;
  requestTimeEpoch?: number;
  connectedAt?: number;
  messageDirection?: string;
  stage?: string;
  domainName?: string;
  apiId?: string;
  identity?: JsonObject & { sourceIp?: string };
  disconnectStatusCode?: number;
  disconnectReason?: string;
}

export interface WebSocketEvent extends JsonObject {
  requestContext: WebSocketRequestContext;
  body?: string;
  isBase64Encoded?: boolean;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
}

/** The invocation was not an API Gateway WebSocket event (a wiring mistake, never a client's). */
export class InvalidWebSocketEventError extends Error {
  override readonly name = 'InvalidWebSocketEventError';
}

export const ROUTE_KEYS = [
  '$connect',
  '$disconnect',
  '$default',
  'setName',
  'sendPublic',
  'sendPrivate',
] as const;
export type RouteKey = (typeof ROUTE_KEYS)[number];

const EVENT_TYPES: readonly unknown[] = ['CONNECT', 'MESSAGE', 'DISCONNECT'];
const isString = (value: unknown): value is string => typeof value === 'string';
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isRecordOf =
  (test: (value: unknown) => boolean) =>
  (value: unknown): boolean =>
    isRecord(value) && Object.values(value).every(test);
const isStringList = (value: unknown): boolean => Array.isArray(value) && value.every(isString);

const OPTIONAL_CONTEXT_STRINGS = [
  'messageId',
  'extendedRequestId',
  'requestTime',
  'messageDirection',
  'stage',
  'domainName',
  'apiId',
  'disconnectReason',
] as const;
const OPTIONAL_CONTEXT_NUMBERS = ['requestTimeEpoch', 'connectedAt', 'disconnectStatusCode'] as const;

/** Checks the event's shape and returns it (not a copy); throws naming every problem found. */
export const parseWebSocketEvent = (event: unknown): WebSocketEvent => {
  const invalid = (problems: string) =>
    new InvalidWebSocketEventError(`Not an API Gateway WebSocket event: ${problems}`);
  if (!isRecord(event)) throw invalid('the event must be an object');
  const problems = new Problems();
  const context = event.requestContext;
  if (!isRecord(context)) {
    problems.add('requestContext', 'must be an object');
  } else {
    for (const key of ['routeKey', 'connectionId', 'requestId'] as const) {
      problems.check(isNonEmptyString(context[key]), `requestContext.${key}`, 'must be a non-empty string');
    }
    problems.check(
      EVENT_TYPES.includes(context.eventType),
      'requestContext.eventType',
      'must be CONNECT, MESSAGE or DISCONNECT',
    );
    for (const key of OPTIONAL_CONTEXT_STRINGS) {
      problems.optional(context[key], isString, `requestContext.${key}`, 'must be a string');
    }
    for (const key of OPTIONAL_CONTEXT_NUMBERS) {
      problems.optional(context[key], isFiniteNumber, `requestContext.${key}`, 'must be a number');
    }
    const { identity } = context;
    if (identity !== undefined && !isRecord(identity))
      problems.add('requestContext.identity', 'must be an object');
    else
      problems.optional(identity?.sourceIp, isString, 'requestContext.identity.sourceIp', 'must be a string');
  }
  problems.optional(event.body, isString, 'body', 'must be a string');
  problems.optional(event.isBase64Encoded, isBoolean, 'isBase64Encoded', 'must be a boolean');
  problems.optional(event.headers, isRecordOf(isString), 'headers', 'must map names to strings');
  problems.optional(
    event.multiValueHeaders,
    isRecordOf(isStringList),
    'multiValueHeaders',
    'must map names to lists of strings',
  );
  problems.optional(
    event.queryStringParameters,
    isRecordOf(isString),
    'queryStringParameters',
    'must map names to strings',
  );
  if (problems.any) throw invalid(String(problems));
  return event as WebSocketEvent;
};

/** The frame text; API Gateway only base64-encodes binary frames, which the chat treats as text. */
export const bodyText = (event: WebSocketEvent): string | undefined =>
  event.body !== undefined && event.isBase64Encoded
    ? Buffer.from(event.body, 'base64').toString('utf8')
    : event.body;
