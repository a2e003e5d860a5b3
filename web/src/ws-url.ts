// Which WebSocket to open: the page's own host at /production (what the local stack serves), or
// the `?ws=` query parameter for a deployed stack.

export const DEFAULT_STAGE_PATH = '/production';

export interface PageLocation {
  protocol: string;
  host: string;
  search: string;
}

export type WebSocketUrlChoice = { ok: true; url: string } | { ok: false; error: string };

export function resolveWebSocketUrl(location: PageLocation): WebSocketUrlChoice {
  const requested = new URLSearchParams(location.search).get('ws');
  if (requested !== null && requested.trim() !== '') {
    let url: URL;
    try {
      url = new URL(requested.trim());
    } catch {
      return { ok: false, error: `"${requested}" is not a URL; use ?ws=wss://host/stage.` };
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
      return { ok: false, error: `"${requested}" is not a ws:// or wss:// URL.` };
    }
    return { ok: true, url: url.href };
  }
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return { ok: true, url: `${scheme}//${location.host}${DEFAULT_STAGE_PATH}` };
}
