import { resolveWebSocketUrl } from '../../../web/src/ws-url';

describe('resolveWebSocketUrl', () => {
  it('uses the page host and /production, ws:// for an http page', () => {
    expect(resolveWebSocketUrl({ protocol: 'http:', host: '127.0.0.1:3000', search: '' })).toEqual({
      ok: true,
      url: 'ws://127.0.0.1:3000/production',
    });
  });

  it('uses wss:// for an https page', () => {
    expect(resolveWebSocketUrl({ protocol: 'https:', host: 'chat.example.com', search: '' })).toEqual({
      ok: true,
      url: 'wss://chat.example.com/production',
    });
  });

  it('connects to the ?ws= URL of a deployed stack instead', () => {
    const search = `?ws=${encodeURIComponent('wss://abc123.execute-api.eu-west-1.amazonaws.com/production')}`;
    expect(resolveWebSocketUrl({ protocol: 'http:', host: '127.0.0.1:3000', search })).toEqual({
      ok: true,
      url: 'wss://abc123.execute-api.eu-west-1.amazonaws.com/production',
    });
  });

  it('rejects a ?ws= value that is not a ws:// or wss:// URL', () => {
    expect(resolveWebSocketUrl({ protocol: 'http:', host: 'h', search: '?ws=https://example.com' }).ok).toBe(
      false,
    );
    expect(resolveWebSocketUrl({ protocol: 'http:', host: 'h', search: '?ws=nonsense' }).ok).toBe(false);
  });
});
