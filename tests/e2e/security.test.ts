// The page's defences in Debian's Chromium: a link with `?ws=` pointing elsewhere must not send
// the user's name and messages to a stranger, the Content-Security-Policy must stop a connection
// the page's code did not mean to make, and no other site may frame the page.

import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { describeWithBrowser, launchBrowser } from './support/browser';

const ROOT = path.resolve(__dirname, '../..');
const WAIT_MS = 45_000;

jest.setTimeout(120_000);

/** A server on another port that counts every HTTP request and WebSocket it is sent. */
interface Stranger {
  server: Server;
  origin: string;
  requests: string[];
  sockets: number;
}

async function startStranger(page?: string): Promise<Stranger> {
  const server = createServer();
  const stranger: Stranger = { server, origin: '', requests: [], sockets: 0 };
  server.on('request', (req: IncomingMessage, res) => {
    stranger.requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page ?? 'ok');
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => {
    stranger.sockets++;
    socket.on('message', (data) => stranger.requests.push(`ws message ${String(data)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stranger.origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stranger;
}

describeWithBrowser('the web client refuses to talk to strangers', () => {
  let stack: LocalStack;
  let browser: Browser;
  let stranger: Stranger;
  const contexts: BrowserContext[] = [];

  async function open(query = ''): Promise<{ page: Page }> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${stack.siteUrl}/${query}`);
    return { page };
  }

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(ROOT, 'web', 'build.mjs')], { stdio: 'pipe' });
    stack = await startLocalStack({
      templatePath: path.join(ROOT, 'template.yaml'),
      port: 0,
      webRoot: path.join(ROOT, 'web', 'dist'),
    });
    stranger = await startStranger();
    // Nothing leaves this machine: an execute-api host resolves to nothing.
    browser = await launchBrowser(undefined, ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1']);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    for (const context of contexts) await context.close();
    await browser?.close();
    await new Promise((resolve) => stranger?.server.close(resolve));
  });

  it('connects to its own server under its Content-Security-Policy', async () => {
    const { page } = await open();
    await page.waitForSelector('#status[data-state="open"]', { timeout: WAIT_MS });
    expect(await page.isHidden('#server-notice')).toBe(true);
  });

  it('does not connect to a ?ws= server that is neither its own nor API Gateway, and says why', async () => {
    const { page } = await open(`?ws=${encodeURIComponent(`ws://${stranger.origin}/production`)}`);
    await page.waitForSelector('#status[data-state="stopped"]', { timeout: WAIT_MS });
    expect(await page.textContent('#name-error')).toMatch(
      new RegExp(`^Not connecting to ${stranger.origin.replace(/\./g, '\\.')}: \\?ws= may only name`),
    );
    // A name typed anyway goes nowhere.
    await page.fill('#name-input', 'alice');
    await page.press('#name-input', 'Enter');
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 500)));
    expect(stranger.sockets).toBe(0);
    expect(stranger.requests).toEqual([]);
  });

  it('says on the page when ?ws= names an API Gateway endpoint that is not its own', async () => {
    const { page } = await open(
      `?ws=${encodeURIComponent('wss://abc123.execute-api.eu-west-1.amazonaws.com/production')}`,
    );
    await page.waitForSelector('#server-notice:not([hidden])', { timeout: WAIT_MS });
    expect(await page.textContent('#server-notice')).toBe(
      "This page talks to abc123.execute-api.eu-west-1.amazonaws.com, not to this site's own chat server: your name and messages go there.",
    );
  });

  it('has its Content-Security-Policy block a WebSocket or a form post to a host it does not allow', async () => {
    const { page } = await open();
    await page.waitForSelector('#status[data-state="open"]', { timeout: WAIT_MS });
    const violations = await page.evaluate(async (target) => {
      const seen: string[] = [];
      document.addEventListener('securitypolicyviolation', (event) =>
        seen.push(`${event.effectiveDirective} ${event.blockedURI}`),
      );
      try {
        new WebSocket(`ws://${target}/steal`);
      } catch (error) {
        seen.push(`threw ${(error as Error).name}`);
      }
      const form = document.createElement('form');
      form.method = 'post';
      form.action = `http://${target}/steal`;
      document.body.append(form);
      form.submit();
      await new Promise((resolve) => setTimeout(resolve, 500));
      return seen;
    }, stranger.origin);
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^connect-src ws://${stranger.origin}`)),
        expect.stringMatching(new RegExp(`^form-action http://${stranger.origin}`)),
      ]),
    );
    expect(stranger.sockets).toBe(0);
    expect(stranger.requests).toEqual([]);
  });

  it('cannot be framed by another site', async () => {
    const framer = await startStranger(`<!doctype html><iframe id="chat" src="${stack.siteUrl}/"></iframe>`);
    try {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      const refused = page.waitForEvent('console', {
        predicate: (message) => message.text().includes('frame-ancestors'),
        timeout: WAIT_MS,
      });
      await page.goto(`http://${framer.origin}/`);
      expect((await refused).text()).toContain("frame-ancestors 'none'");
      const child = page.frames().find((frame) => frame !== page.mainFrame());
      expect(child).toBeDefined();
      expect(await child?.$('#name-input')).toBeNull();
    } finally {
      await new Promise((resolve) => framer.server.close(resolve));
    }
  });
});
