import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTraceView } from '../../../../local/traces';
import { type Trace, TraceStore } from '../../../../local/xray';

const TRACE = '1-6b0cdddc-65e3aa4ed5dccc003af61954';

let server: Server;
let base: string;
const store = new TraceStore();

beforeAll(async () => {
  store.add({ id: 'a1b2c3d4e5f60718', trace_id: TRACE, name: 'api/production', start_time: 1796005340 });
  const view = createTraceView(() => store);
  server = createServer((req, res) => {
    if (!view(req, res)) {
      res.writeHead(418);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('the trace view', () => {
  it('serves the page under a CSP that allows scripts and styles from its own origin only', async () => {
    const response = await fetch(`${base}/_local/traces`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    // No inline script: the one script is a file of the view.
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script type="module" src="/_local/traces/traces.js">']);
    expect((await fetch(`${base}/_local/traces/traces.js`)).headers.get('content-type')).toMatch(
      /javascript/,
    );
  });

  it('lists traces and gives one as a tree, and says when a trace is no longer kept', async () => {
    const list = await (await fetch(`${base}/_local/traces.json`)).json();
    expect(list).toEqual({
      version: 1,
      traces: [expect.objectContaining({ id: TRACE, root: 'api/production' })],
    });
    const trace = (await (await fetch(`${base}/_local/traces/${TRACE}.json`)).json()) as Trace;
    expect(trace.roots).toEqual([expect.objectContaining({ name: 'api/production', children: [] })]);
    const gone = await fetch(`${base}/_local/traces/1-6b0cdddc-000000000000000000000000.json`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { message: string }).message).toContain('no longer');
  });

  it('leaves other paths to the rest of the site and refuses writes', async () => {
    expect((await fetch(`${base}/production`)).status).toBe(418);
    expect((await fetch(`${base}/_local/traces.json`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/_local/traces/nope`)).status).toBe(404);
  });
});
