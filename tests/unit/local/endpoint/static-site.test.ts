import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStaticSite } from '../../../../local/endpoint/static-site';

// Static hosts read a `_headers` file for headers a page cannot set itself (a <meta> CSP cannot
// forbid framing); the local stack's static site does the same.
describe('the static site', () => {
  let root: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'static-site-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><p>hi</p>');
    writeFileSync(join(root, 'docs', 'a.txt'), 'a');
    writeFileSync(
      join(root, '_headers'),
      "# comment\n/*\n  X-Frame-Options: DENY\n  Content-Security-Policy: frame-ancestors 'none'\n/docs/*\n  X-Docs: yes\n",
    );
    const site = createStaticSite(root);
    server = createServer((req, res) => void site(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  it('sends the headers of every _headers rule whose path matches', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(page.headers.get('x-docs')).toBeNull();
    const doc = await fetch(`${base}/docs/a.txt`);
    expect(doc.headers.get('x-docs')).toBe('yes');
    expect(doc.headers.get('x-frame-options')).toBe('DENY');
  });

  it('does not serve the _headers file itself', async () => {
    expect((await fetch(`${base}/_headers`)).status).toBe(404);
  });
});
