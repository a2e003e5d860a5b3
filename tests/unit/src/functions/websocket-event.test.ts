import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  bodyText,
  InvalidWebSocketEventError,
  parseWebSocketEvent,
} from '../../../../src/functions/chat-api/websocket-event';
import { wsEvent } from '../support/events';

const captured = (file: string): unknown =>
  JSON.parse(readFileSync(path.join(__dirname, '../../../../events', file), 'utf8'));

describe('parseWebSocketEvent', () => {
  it.each([
    'connect.json',
    'disconnect.json',
    'set-name.json',
    'send-public.json',
    'send-private.json',
    'malformed.json',
    'unknown-action.json',
  ])('accepts the captured %s and returns it untouched, unknown fields included', (file) => {
    const event = captured(file);
    expect(parseWebSocketEvent(event)).toBe(event);
  });

  it('names every problem of an event that is not from API Gateway', () => {
    const event = {
      ...wsEvent('$default'),
      requestContext: { routeKey: '', eventType: 'UPGRADE', requestId: 'r=', connectedAt: 'yesterday' },
      body: 42,
      headers: { Host: ['example.com'] },
    };

    expect(() => parseWebSocketEvent(event)).toThrow(
      new InvalidWebSocketEventError(
        'Not an API Gateway WebSocket event: requestContext.routeKey must be a non-empty string; ' +
          'requestContext.connectionId must be a non-empty string; ' +
          'requestContext.eventType must be CONNECT, MESSAGE or DISCONNECT; ' +
          'requestContext.connectedAt must be a number; body must be a string; headers must map names to strings',
      ),
    );
  });

  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['an array', [wsEvent('$connect')]],
  ])('refuses %s', (_what, event) => {
    expect(() => parseWebSocketEvent(event)).toThrow(InvalidWebSocketEventError);
  });

  it('refuses an identity that is not an object, and a source ip that is not a string', () => {
    const base = wsEvent('$connect');
    expect(() =>
      parseWebSocketEvent({ ...base, requestContext: { ...base.requestContext, identity: 'me' } }),
    ).toThrow('requestContext.identity must be an object');
    expect(() =>
      parseWebSocketEvent({ ...base, requestContext: { ...base.requestContext, identity: { sourceIp: 1 } } }),
    ).toThrow('requestContext.identity.sourceIp must be a string');
  });
});

describe('bodyText', () => {
  it('decodes a base64-encoded (binary) frame as UTF-8 text', () => {
    const event = parseWebSocketEvent({
      ...wsEvent('$default', { body: Buffer.from('{"action":"ping"} ☕').toString('base64') }),
      isBase64Encoded: true,
    });
    expect(bodyText(event)).toBe('{"action":"ping"} ☕');
  });
});
