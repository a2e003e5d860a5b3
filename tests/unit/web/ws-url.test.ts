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

  it('connects to the ?ws= URL of a deployed stack instead, saying on the page that it is elsewhere', () => {
    const search = `?ws=${encodeURIComponent('wss://abc123.execute-api.eu-west-1.amazonaws.com/production')}`;
    expect(resolveWebSocketUrl({ protocol: 'http:', host: '127.0.0.1:3000', search })).toEqual({
      ok: true,
      url: 'wss://abc123.execute-api.eu-west-1.amazonaws.com/production',
      notice:
        "This page talks to abc123.execute-api.eu-west-1.amazonaws.com, not to this site's own chat server: your name and messages go there.",
    });
  });

  describe('the ?ws= policy: a link cannot send the name and messages to a stranger', () => {
    const page = { protocol: 'https:', host: 'chat.example.com' };
    const withWs = (ws: string) => ({ ...page, search: `?ws=${encodeURIComponent(ws)}` });

    it.each([
      ['another host', 'wss://evil.example/production'],
      ['a host that only starts like this one', 'wss://chat.example.com.evil.example/'],
      ['another port of this host', 'wss://chat.example.com:4443/'],
      ['a loopback server', 'ws://127.0.0.1:4000/'],
      [
        'a host that only starts like API Gateway',
        'wss://abc.execute-api.eu-west-1.amazonaws.com.evil.example/x',
      ],
      ['an execute-api host under another domain', 'wss://abc.execute-api.eu-west-1.evil.com/x'],
      ['plain ws:// to API Gateway', 'ws://abc.execute-api.eu-west-1.amazonaws.com/production'],
      ['API Gateway on another port', 'wss://abc.execute-api.eu-west-1.amazonaws.com:8443/production'],
      ['credentials in the URL', 'wss://abc.execute-api.eu-west-1.amazonaws.com@evil.example/'],
    ])('refuses %s, naming it', (_label, ws) => {
      const choice = resolveWebSocketUrl(withWs(ws));
      expect(choice.ok).toBe(false);
      expect(choice.ok ? '' : choice.error).toMatch(/^Not connecting to /);
    });

    it("takes the page's own host on any path without a notice", () => {
      expect(resolveWebSocketUrl(withWs('wss://chat.example.com/staging'))).toEqual({
        ok: true,
        url: 'wss://chat.example.com/staging',
      });
    });

    it('connects to the chat server the page was built for, by default and when ?ws= names it', () => {
      const policy = { deployedUrl: 'wss://k3y.execute-api.us-east-1.amazonaws.com/production' };
      expect(resolveWebSocketUrl({ ...page, search: '' }, policy)).toEqual({
        ok: true,
        url: 'wss://k3y.execute-api.us-east-1.amazonaws.com/production',
      });
      expect(resolveWebSocketUrl(withWs('wss://k3y.execute-api.us-east-1.amazonaws.com/v2'), policy)).toEqual(
        {
          ok: true,
          url: 'wss://k3y.execute-api.us-east-1.amazonaws.com/v2',
        },
      );
      expect(
        resolveWebSocketUrl(withWs('wss://other.execute-api.us-east-1.amazonaws.com/p'), policy),
      ).toMatchObject({
        ok: true,
        notice: expect.stringContaining('other.execute-api.us-east-1.amazonaws.com'),
      });
    });

    it('accepts API Gateway hosts of every region and partition', () => {
      for (const host of [
        'a1.execute-api.us-gov-west-1.amazonaws.com',
        'a1.execute-api.ap-southeast-2.amazonaws.com',
        'a1.execute-api.cn-north-1.amazonaws.com.cn',
      ]) {
        expect(resolveWebSocketUrl(withWs(`wss://${host}/production`)).ok).toBe(true);
      }
    });
  });

  it('rejects a ?ws= value that is not a ws:// or wss:// URL', () => {
    expect(resolveWebSocketUrl({ protocol: 'http:', host: 'h', search: '?ws=https://example.com' }).ok).toBe(
      false,
    );
    expect(resolveWebSocketUrl({ protocol: 'http:', host: 'h', search: '?ws=nonsense' }).ok).toBe(false);
  });
});
