import {
  buildConnectEvent,
  buildDisconnectEvent,
  buildMessageEvent,
  type ConnectionContext,
  defaultDisconnectReason,
  gatewayErrorFrame,
} from '../../../../local/apigateway/events';
import { GATEWAY_ID_PATTERN, newGatewayId } from '../../../../local/apigateway/ids';
import { formatRequestTime } from '../../../../local/apigateway/request-time';

const conn: ConnectionContext = {
  apiId: 'abcdef1234',
  stage: 'production',
  domainName: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
  connectionId: 'BFaT_fALIAMCKug=',
  connectedAt: 1731324924000,
  sourceIp: '127.0.0.1',
  userAgent: 'test-agent/1.0',
  host: '127.0.0.1:3000',
};

describe('gateway ids', () => {
  it('look like API Gateway connection ids: 16 URL-safe base64 characters ending in =', () => {
    for (let i = 0; i < 2000; i++) {
      const id = newGatewayId();
      expect(id).toHaveLength(16);
      expect(id).toMatch(GATEWAY_ID_PATTERN);
    }
  });

  it('are unique', () => {
    const ids = new Set(Array.from({ length: 5000 }, () => newGatewayId()));
    expect(ids.size).toBe(5000);
  });

  it('use the URL-safe alphabet, never + or /', () => {
    const all = Array.from({ length: 2000 }, () => newGatewayId()).join('');
    expect(all).not.toMatch(/[+/]/);
    expect(all).toMatch(/[-_]/);
  });
});

describe('formatRequestTime', () => {
  it('writes the time as API Gateway does, in UTC', () => {
    expect(formatRequestTime(Date.UTC(2024, 10, 11, 11, 35, 24, 999))).toBe('11/Nov/2024:11:35:24 +0000');
  });

  it('pads the day and the clock', () => {
    expect(formatRequestTime(Date.UTC(2025, 0, 5, 3, 4, 5))).toBe('05/Jan/2025:03:04:05 +0000');
  });

  it('moves on when the second changes', () => {
    expect(formatRequestTime(Date.UTC(2025, 11, 31, 23, 59, 59))).toBe('31/Dec/2025:23:59:59 +0000');
    expect(formatRequestTime(Date.UTC(2026, 0, 1, 0, 0, 0))).toBe('01/Jan/2026:00:00:00 +0000');
  });
});

describe('CONNECT event', () => {
  const base = {
    rawHeaders: [
      'Host',
      '127.0.0.1:3000',
      'Connection',
      'Upgrade',
      'Upgrade',
      'websocket',
      'Sec-WebSocket-Version',
      '13',
      'Sec-WebSocket-Key',
      'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Extensions',
      'permessage-deflate; client_max_window_bits',
      'User-Agent',
      'test-agent/1.0',
      'X-Custom',
      'a',
      'X-Custom',
      'b',
    ],
    query: '',
    requestId: 'XDmGEE2RoE0FRdQ=',
    traceId: 'Root=1-67321234-0123456789abcdef01234567',
    forwardedPort: 3000,
    forwardedProto: 'http',
    nowMs: 1731324924123,
  };

  it('carries the client headers with their casing, plus the ones API Gateway adds', () => {
    const event = buildConnectEvent(conn, base);
    expect(event.headers).toEqual({
      Host: '127.0.0.1:3000',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits',
      'User-Agent': 'test-agent/1.0',
      'X-Custom': 'b',
      'X-Amzn-Trace-Id': 'Root=1-67321234-0123456789abcdef01234567',
      'X-Forwarded-For': '127.0.0.1',
      'X-Forwarded-Port': '3000',
      'X-Forwarded-Proto': 'http',
    });
    expect(event.multiValueHeaders?.['X-Custom']).toEqual(['a', 'b']);
    expect(event.multiValueHeaders?.Host).toEqual(['127.0.0.1:3000']);
  });

  it('drops the hop-by-hop Connection and Upgrade headers', () => {
    const event = buildConnectEvent(conn, base);
    expect(event.headers).not.toHaveProperty('Connection');
    expect(event.headers).not.toHaveProperty('Upgrade');
  });

  it('has no query string fields when the URL has no query', () => {
    const event = buildConnectEvent(conn, base);
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('multiValueQueryStringParameters');
  });

  it('has both query string fields when the URL has a query', () => {
    const event = buildConnectEvent(conn, { ...base, query: 'token=abc&room=1&room=2&x=a%20b' });
    expect(event.queryStringParameters).toEqual({ token: 'abc', room: '2', x: 'a b' });
    expect(event.multiValueQueryStringParameters).toEqual({ token: ['abc'], room: ['1', '2'], x: ['a b'] });
  });

  it('has the requestContext of a real CONNECT event, field by field', () => {
    const event = buildConnectEvent(conn, base);
    expect(event.requestContext).toEqual({
      routeKey: '$connect',
      eventType: 'CONNECT',
      extendedRequestId: 'XDmGEE2RoE0FRdQ=',
      requestTime: '11/Nov/2024:11:35:24 +0000',
      messageDirection: 'IN',
      stage: 'production',
      connectedAt: 1731324924000,
      requestTimeEpoch: 1731324924123,
      identity: { userAgent: 'test-agent/1.0', sourceIp: '127.0.0.1' },
      requestId: 'XDmGEE2RoE0FRdQ=',
      domainName: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      connectionId: 'BFaT_fALIAMCKug=',
      apiId: 'abcdef1234',
    });
    expect(event.isBase64Encoded).toBe(false);
    expect(event).not.toHaveProperty('body');
  });

  it('leaves userAgent out of identity when the client sent none', () => {
    const event = buildConnectEvent({ ...conn, userAgent: undefined }, base);
    expect(event.requestContext.identity).toEqual({ sourceIp: '127.0.0.1' });
  });
});

describe('MESSAGE event', () => {
  const event = buildMessageEvent(
    conn,
    'sendMessage',
    '{"action":"sendMessage","text":"hi"}',
    { messageId: 'BFaVtfGSoAMCKug=', requestId: 'BFaVtH2HoAMFZEQ=' },
    1731324930000,
  );

  it('carries the raw frame text as body and no headers', () => {
    expect(event.body).toBe('{"action":"sendMessage","text":"hi"}');
    expect(event).not.toHaveProperty('headers');
    expect(event).not.toHaveProperty('multiValueHeaders');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('has the requestContext of a real MESSAGE event, with messageId', () => {
    expect(event.requestContext).toEqual({
      routeKey: 'sendMessage',
      messageId: 'BFaVtfGSoAMCKug=',
      eventType: 'MESSAGE',
      extendedRequestId: 'BFaVtH2HoAMFZEQ=',
      requestTime: '11/Nov/2024:11:35:30 +0000',
      messageDirection: 'IN',
      stage: 'production',
      connectedAt: 1731324924000,
      requestTimeEpoch: 1731324930000,
      identity: { sourceIp: '127.0.0.1' },
      requestId: 'BFaVtH2HoAMFZEQ=',
      domainName: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      connectionId: 'BFaT_fALIAMCKug=',
      apiId: 'abcdef1234',
    });
  });
});

describe('DISCONNECT event', () => {
  const event = buildDisconnectEvent(
    conn,
    { statusCode: 1005, reason: defaultDisconnectReason(1005) },
    'BFbKvE7mIAMF_Bw=',
    1731324990000,
  );

  it('has the four headers API Gateway sends, three of them empty', () => {
    expect(event.headers).toEqual({
      Host: '127.0.0.1:3000',
      'x-api-key': '',
      'X-Forwarded-For': '',
      'x-restapi': '',
    });
    expect(event.multiValueHeaders).toEqual({
      Host: ['127.0.0.1:3000'],
      'x-api-key': [''],
      'X-Forwarded-For': [''],
      'x-restapi': [''],
    });
  });

  it('reports the close code and reason', () => {
    expect(event.requestContext.disconnectStatusCode).toBe(1005);
    expect(event.requestContext.disconnectReason).toBe('Client-side close frame status not set');
    expect(event.requestContext.routeKey).toBe('$disconnect');
    expect(event.requestContext.eventType).toBe('DISCONNECT');
    expect(event.requestContext.connectionId).toBe('BFaT_fALIAMCKug=');
    expect(event).not.toHaveProperty('body');
  });
});

describe('gateway error frames', () => {
  it('are written exactly as API Gateway writes them', () => {
    expect(gatewayErrorFrame('Forbidden', 'XDmENcnwIE0CFEQ=', 'XDmGEE2RoE0FRdQ=')).toBe(
      '{"message": "Forbidden", "connectionId":"XDmENcnwIE0CFEQ=", "requestId":"XDmGEE2RoE0FRdQ="}',
    );
  });

  it('parse as JSON', () => {
    expect(JSON.parse(gatewayErrorFrame('Internal server error', 'a', 'b'))).toEqual({
      message: 'Internal server error',
      connectionId: 'a',
      requestId: 'b',
    });
  });
});
