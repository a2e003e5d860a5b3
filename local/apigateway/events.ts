import { formatRequestTime } from './request-time';

/**
 * The Lambda events API Gateway sends for WebSocket routes, field by field as in real captured
 * events (see docs/local-stack.md). @types/aws-lambda's APIGatewayProxyWebsocketEventV2 lacks the
 * headers, identity and disconnect fields, so these are written out here.
 */
export interface WebSocketIdentity {
  sourceIp: string;
  userAgent?: string;
}

export interface WebSocketRequestContext {
  routeKey: string;
  messageId?: string;
  disconnectStatusCode?: number;
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  extendedRequestId: string;
  requestTime: string;
  messageDirection: 'IN';
  disconnectReason?: string;
  stage: string;
  connectedAt: number;
  requestTimeEpoch: number;
  identity: WebSocketIdentity;
  requestId: string;
  domainName: string;
  connectionId: string;
  apiId: string;
}

export interface WebSocketEvent {
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  requestContext: WebSocketRequestContext;
  body?: string;
  isBase64Encoded: boolean;
}

/** What every event of one connection shares. */
export interface ConnectionContext {
  apiId: string;
  stage: string;
  domainName: string;
  connectionId: string;
  connectedAt: number;
  sourceIp: string;
  userAgent?: string;
  /** The Host header the client sent, repeated in DISCONNECT events. */
  host: string;
}

// Hop-by-hop headers API Gateway consumes itself and does not pass to the $connect integration.
const DROPPED_HEADERS = new Set(['connection', 'upgrade', 'content-length']);

function identityOf(conn: ConnectionContext): WebSocketIdentity {
  return conn.userAgent === undefined
    ? { sourceIp: conn.sourceIp }
    : { userAgent: conn.userAgent, sourceIp: conn.sourceIp };
}

export interface ConnectRequest {
  /** Node's req.rawHeaders: [name, value, name, value...] with the client's casing. */
  rawHeaders: string[];
  /** The query string without '?' ('' when none). */
  query: string;
  requestId: string;
  traceId: string;
  forwardedPort: number;
  forwardedProto: string;
  nowMs: number;
}

export function buildConnectEvent(conn: ConnectionContext, request: ConnectRequest): WebSocketEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const add = (name: string, value: string): void => {
    headers[name] = value;
    const list = multiValueHeaders[name];
    if (list) list.push(value);
    else multiValueHeaders[name] = [value];
  };
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (DROPPED_HEADERS.has(name.toLowerCase())) continue;
    add(name, raw[i + 1] as string);
  }
  add('X-Amzn-Trace-Id', request.traceId);
  add('X-Forwarded-For', conn.sourceIp);
  add('X-Forwarded-Port', String(request.forwardedPort));
  add('X-Forwarded-Proto', request.forwardedProto);

  let query: Pick<WebSocketEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'> = {};
  if (request.query !== '') {
    const queryStringParameters: Record<string, string> = {};
    const multiValueQueryStringParameters: Record<string, string[]> = {};
    for (const [name, value] of new URLSearchParams(request.query)) {
      queryStringParameters[name] = value;
      const list = multiValueQueryStringParameters[name];
      if (list) list.push(value);
      else multiValueQueryStringParameters[name] = [value];
    }
    query = { queryStringParameters, multiValueQueryStringParameters };
  }
  const event: WebSocketEvent = {
    headers,
    multiValueHeaders,
    ...query,
    requestContext: {
      routeKey: '$connect',
      eventType: 'CONNECT',
      extendedRequestId: request.requestId,
      requestTime: formatRequestTime(request.nowMs),
      messageDirection: 'IN',
      stage: conn.stage,
      connectedAt: conn.connectedAt,
      requestTimeEpoch: request.nowMs,
      identity: identityOf(conn),
      requestId: request.requestId,
      domainName: conn.domainName,
      connectionId: conn.connectionId,
      apiId: conn.apiId,
    },
    isBase64Encoded: false,
  };
  return event;
}

export function buildMessageEvent(
  conn: ConnectionContext,
  routeKey: string,
  body: string,
  ids: { messageId: string; requestId: string },
  nowMs: number,
): WebSocketEvent {
  return {
    requestContext: {
      routeKey,
      messageId: ids.messageId,
      eventType: 'MESSAGE',
      extendedRequestId: ids.requestId,
      requestTime: formatRequestTime(nowMs),
      messageDirection: 'IN',
      stage: conn.stage,
      connectedAt: conn.connectedAt,
      requestTimeEpoch: nowMs,
      identity: { sourceIp: conn.sourceIp },
      requestId: ids.requestId,
      domainName: conn.domainName,
      connectionId: conn.connectionId,
      apiId: conn.apiId,
    },
    body,
    isBase64Encoded: false,
  };
}

/** The reason API Gateway reports when the close frame carried none. */
export function defaultDisconnectReason(code: number): string {
  switch (code) {
    case 1005:
      return 'Client-side close frame status not set';
    case 1006:
      return 'Connection closed abnormally';
    default:
      return '';
  }
}

export function buildDisconnectEvent(
  conn: ConnectionContext,
  close: { statusCode: number; reason: string },
  requestId: string,
  nowMs: number,
): WebSocketEvent {
  // API Gateway sends these four headers, three of them empty, on every DISCONNECT event.
  return {
    headers: { Host: conn.host, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' },
    multiValueHeaders: { Host: [conn.host], 'x-api-key': [''], 'X-Forwarded-For': [''], 'x-restapi': [''] },
    requestContext: {
      routeKey: '$disconnect',
      disconnectStatusCode: close.statusCode,
      eventType: 'DISCONNECT',
      extendedRequestId: requestId,
      requestTime: formatRequestTime(nowMs),
      messageDirection: 'IN',
      disconnectReason: close.reason,
      stage: conn.stage,
      connectedAt: conn.connectedAt,
      requestTimeEpoch: nowMs,
      identity: identityOf(conn),
      requestId,
      domainName: conn.domainName,
      connectionId: conn.connectionId,
      apiId: conn.apiId,
    },
    isBase64Encoded: false,
  };
}

/** The frames API Gateway itself sends a client (note the space after the first colon, as AWS writes it). */
export function gatewayErrorFrame(
  message: 'Forbidden' | 'Internal server error' | 'Endpoint request timed out',
  connectionId: string,
  requestId: string,
): string {
  return `{"message": "${message}", "connectionId":"${connectionId}", "requestId":"${requestId}"}`;
}
