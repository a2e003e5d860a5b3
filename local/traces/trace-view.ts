import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { TraceStore } from '../xray';

// The trace view the site serves at /_local/traces: a static page (page/) and the JSON it polls.
// Generic: it shows whatever segments the X-Ray sink assembled, whoever sent them.

export const TRACES_PATH = '/_local/traces';

const PAGE_DIR = path.join(__dirname, 'page');
const FILES: Record<string, { file: string; type: string }> = {
  [TRACES_PATH]: { file: 'index.html', type: 'text/html; charset=utf-8' },
  [`${TRACES_PATH}/`]: { file: 'index.html', type: 'text/html; charset=utf-8' },
  [`${TRACES_PATH}/traces.js`]: { file: 'traces.js', type: 'text/javascript; charset=utf-8' },
  [`${TRACES_PATH}/traces.css`]: { file: 'traces.css', type: 'text/css; charset=utf-8' },
  [`${TRACES_PATH}/icon.svg`]: { file: 'icon.svg', type: 'image/svg+xml' },
};

// Scripts and styles from this origin only: the page has no inline script or style.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TRACE_JSON = /^\/_local\/traces\/(1-[0-9a-f]{8}-[0-9a-f]{24})\.json$/;

/** The request handler; false when the path is not the trace view's. */
export function createTraceView(traces: () => TraceStore | undefined) {
  const cache = new Map<string, Buffer>();
  const read = (file: string): Buffer => {
    let body = cache.get(file);
    if (!body) {
      body = readFileSync(path.join(PAGE_DIR, file));
      cache.set(file, body);
    }
    return body;
  };
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://local');
    const pathname = url.pathname;
    if (pathname !== `${TRACES_PATH}.json` && !pathname.startsWith(TRACES_PATH)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n', { allow: 'GET, HEAD' });
      return true;
    }
    const store = traces();
    if (pathname === `${TRACES_PATH}.json`) {
      const limit = Number(url.searchParams.get('limit') ?? '') || undefined;
      sendJson(res, 200, { version: store?.version ?? 0, traces: store?.list(limit) ?? [] });
      return true;
    }
    const one = TRACE_JSON.exec(pathname);
    if (one) {
      const trace = store?.get(one[1] as string);
      if (trace) sendJson(res, 200, trace);
      else
        sendJson(res, 404, {
          message: `Trace ${one[1]} is no longer kept (the view keeps the most recent ones)`,
        });
      return true;
    }
    const page = FILES[pathname];
    if (!page) {
      send(res, 404, 'text/plain; charset=utf-8', `Not found. The trace view is at ${TRACES_PATH}\n`);
      return true;
    }
    send(
      res,
      200,
      page.type,
      read(page.file),
      page.file === 'index.html' ? { 'content-security-policy': CSP } : {},
    );
    return true;
  };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
