// Which WebSocket to open. The page sends the user's name and every message to it, so a link
// must not be able to point the genuine page at a stranger's server (`?ws=wss://evil.example`).
//   - no `?ws=`: the chat server the page was built for (web/build.mjs, CHAT_WS_URL), else the
//     page's own host at /production (what the local stack serves);
//   - `?ws=` naming that server or the page's own host: used as is;
//   - `?ws=` naming an API Gateway endpoint (wss://{id}.execute-api.{region}.amazonaws.com): used,
//     with a notice on the page, since anyone can deploy one;
//   - anything else: refused. The page's Content-Security-Policy refuses it too.

export const DEFAULT_STAGE_PATH = '/production';

export interface PageLocation {
  protocol: string;
  host: string;
  search: string;
}

export interface WebSocketPolicy {
  /** The chat server this build of the page belongs to (`CHAT_WS_URL` at build time), if any. */
  deployedUrl?: string;
}

export type WebSocketUrlChoice =
  | {
      ok: true;
      url: string /** Set when the server is not this page's own: say so on the page. */;
      notice?: string;
    }
  | { ok: false; error: string };

// API Gateway's own hostnames, in the commercial and the China partitions.
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com(\.cn)?$/;

export const isExecuteApiUrl = (url: URL): boolean =>
  url.protocol === 'wss:' && url.port === '' && EXECUTE_API_HOST.test(url.hostname);

const parseUrl = (text: string): URL | undefined => {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
};

const parseWebSocketUrl = (text: string): URL | undefined => {
  const url = parseUrl(text);
  return url?.protocol === 'ws:' || url?.protocol === 'wss:' ? url : undefined;
};

export function resolveWebSocketUrl(
  location: PageLocation,
  policy: WebSocketPolicy = {},
): WebSocketUrlChoice {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ownUrl = `${scheme}//${location.host}${DEFAULT_STAGE_PATH}`;
  const deployed = policy.deployedUrl ? parseWebSocketUrl(policy.deployedUrl) : undefined;
  const home = deployed?.href ?? ownUrl;

  const requested = new URLSearchParams(location.search).get('ws')?.trim();
  if (requested === undefined || requested === '') return { ok: true, url: home };

  const url = parseUrl(requested);
  if (url === undefined)
    return { ok: false, error: `"${requested}" is not a URL; use ?ws=wss://host/stage.` };
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    return { ok: false, error: `"${requested}" is not a ws:// or wss:// URL.` };
  }
  if (url.host === location.host || (deployed !== undefined && url.host === deployed.host)) {
    return { ok: true, url: url.href };
  }
  if (isExecuteApiUrl(url)) {
    return {
      ok: true,
      url: url.href,
      notice: `This page talks to ${url.host}, not to this site's own chat server: your name and messages go there.`,
    };
  }
  return {
    ok: false,
    error:
      `Not connecting to ${url.host}: ?ws= may only name this site's chat server or an API Gateway ` +
      'WebSocket endpoint (wss://{id}.execute-api.{region}.amazonaws.com/{stage}).',
  };
}
