// The trace view in Chromium: it lists a sendPublic made by three real WebSocket clients as it
// happens (no reload), and its waterfall shows the gateway, chat-api, the EventBridge hops and the
// broadcasters with their AWS calls, under the page's own Content-Security-Policy.

import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { ChatClient, isPublic, settle } from '../integration/helpers/chat-client';
import { describeWithBrowser, launchBrowser } from './support/browser';

const ROOT = path.resolve(__dirname, '../..');
const WAIT_MS = 45_000;

jest.setTimeout(120_000);

describeWithBrowser('the local trace view', () => {
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  let clients: ChatClient[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ templatePath: path.join(ROOT, 'template.yaml'), port: 0 });
    browser = await launchBrowser();
    page = await browser.newPage();
    // A CSP violation or a script error shows as a console error.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    for (const client of clients) client.ws.terminate();
    await browser?.close();
  });

  it('lists a sendPublic as it happens and draws its waterfall', async () => {
    await page.goto(`${stack.siteUrl}/_local/traces`);
    await page.waitForSelector('#status:has-text("Live")', { timeout: WAIT_MS });

    clients = await Promise.all(
      ['ana', 'bo', 'cy'].map((name) => ChatClient.connect(stack.webSocketUrl(), name)),
    );
    for (const [i, client] of clients.entries()) await client.setName(`viewer${i}`);
    await settle(stack, clients);
    (clients[0] as ChatClient).send({ action: 'sendPublic', message: 'seen in the trace view' });
    await Promise.all(clients.map((client) => client.waitFor(isPublic('seen in the trace view'))));
    await settle(stack, clients);

    // The page polls: the row appears without a reload.
    const row = page.locator('#traces tbody tr', { hasText: 'sendPublic' });
    await row.waitFor({ timeout: WAIT_MS });
    expect(await row.count()).toBe(1);
    await row.click();
    await page.waitForSelector('#waterfall li', { timeout: WAIT_MS });

    const names = await page.$$eval('#waterfall .span .name', (spans) =>
      spans.map((span) => span.firstChild?.textContent ?? ''),
    );
    const fn = (logicalId: string) =>
      stack.model.functions.find((f) => f.logicalId === logicalId)?.functionName as string;
    const entries = stack.stats().eventBridge.entries;
    expect(names[0]).toMatch(/\/production$/);
    expect(names).toContain(fn('ChatApiFunction'));
    expect(names).toContain('DynamoDB');
    expect(names.filter((name) => name === fn('BroadcasterFunction')).length).toBeGreaterThan(0);
    expect(names.filter((name) => name === 'EventBridge').length).toBeGreaterThan(
      names.filter((name) => name === fn('BroadcasterFunction')).length - 1,
    );
    expect(names).toContain('### fan-out');
    expect(entries).toBeGreaterThan(0);
    expect(page.url()).toMatch(/#1-[0-9a-f]{8}-[0-9a-f]{24}$/);

    // A span opens on click and shows what the segment recorded.
    await page.locator('#waterfall .span', { hasText: '## handler.handler' }).first().click();
    const details = await page.locator('#waterfall .details').first().textContent();
    expect(details).toContain('annotations');
    expect(details).toContain('"route": "sendPublic"');

    expect(problems).toEqual([]);
  });
});
