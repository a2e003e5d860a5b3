import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const HEADERS_FILE = '_headers';

/**
 * Reads `_headers` at the site root, the format static hosts use: a line naming a path (`/*` ends
 * in a wildcard), then indented `Name: value` lines for the files under it. Some headers only
 * work as headers (a <meta> Content-Security-Policy cannot carry frame-ancestors).
 */
async function readHeaderRules(base: string): Promise<Array<{ path: string; headers: [string, string][] }>> {
  const text = await readFile(join(base, HEADERS_FILE), 'utf8').catch(() => '');
  const rules: Array<{ path: string; headers: [string, string][] }> = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      rules.push({ path: line.trim(), headers: [] });
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) rules.at(-1)?.headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return rules;
}

const pathMatches = (pattern: string, pathname: string): boolean =>
  pattern.endsWith('*') ? pathname.startsWith(pattern.slice(0, -1)) : pathname === pattern;

/** Serves files under root for GET/HEAD; `/` and directories serve index.html. */
export function createStaticSite(root: string): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const base = resolve(root);
  const headerRules = readHeaderRules(base);
  return async (req, res) => {
    const notFound = (): void => {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Not found\n');
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://local').pathname);
    } catch {
      return notFound();
    }
    let file = normalize(join(base, pathname));
    if (file !== base && !file.startsWith(base + sep)) return notFound();
    let info = await stat(file).catch(() => undefined);
    if (info?.isDirectory()) {
      file = join(file, 'index.html');
      info = await stat(file).catch(() => undefined);
    }
    if (!info?.isFile() || file === join(base, HEADERS_FILE)) return notFound();
    const extra: Record<string, string> = {};
    for (const rule of await headerRules) {
      if (pathMatches(rule.path, pathname)) for (const [name, value] of rule.headers) extra[name] = value;
    }
    res.writeHead(200, {
      ...extra,
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(info.size),
      'Cache-Control': 'no-cache',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  };
}
