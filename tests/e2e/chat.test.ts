// The web client in a real Chromium (the one tests/e2e/support/browser.ts finds) against the real
// local stack (template.yaml, the chat Lambdas, dynalite, EventBridge): several users in separate browser contexts chatting, as a
// person trying the chat would. One conversation runs through the tests in order.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { describeWithBrowser, launchBrowser } from './support/browser';

const ROOT = path.resolve(__dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts');
/** Generous: the machine is small and shared, and the first invocations are cold starts. */
const WAIT_MS = 45_000;
const RECONNECT_WAIT_MS = 90_000;
const XSS = '<img src=x onerror=alert(1)>';

// Per-project testTimeout in jest.config.js does not reach the tests (jest reads it globally).
jest.setTimeout(120_000);

interface User {
  name: string;
  page: Page;
  context: BrowserContext;
  dialogs: string[];
  pageErrors: string[];
}

async function waitForMembers(page: Page, expected: string[]): Promise<void> {
  await page.waitForFunction(
    (names) =>
      [...document.querySelectorAll('#member-list li .member')].map((node) => node.textContent).join('\n') ===
      names.join('\n'),
    expected,
    { timeout: WAIT_MS },
  );
}

/** Waits for a message entry of the given kind whose text is exactly `text`. */
async function waitForMessage(page: Page, kind: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([k, t]) =>
      [...document.querySelectorAll(`#messages li[data-kind="${k}"] .msg-text`)].some(
        (node) => node.textContent === t,
      ),
    [kind, text] as const,
    { timeout: WAIT_MS },
  );
}

async function waitForNotice(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (t) =>
      [...document.querySelectorAll('#messages li[data-kind="notice"] .msg-text')].some((node) =>
        node.textContent?.includes(t),
      ),
    text,
    { timeout: WAIT_MS },
  );
}

async function waitForStatus(page: Page, state: string, timeout = WAIT_MS): Promise<void> {
  await page.waitForSelector(`#status[data-state="${state}"]`, { timeout });
}

async function send(page: Page, text: string): Promise<void> {
  await page.fill('#message-input', text);
  await page.press('#message-input', 'Enter');
}

describeWithBrowser('the web client in a real browser against the local stack', () => {
  let stack: LocalStack;
  let browser: Browser;
  const users = new Map<string, User>();
  const user = (name: string): User => {
    const found = users.get(name);
    if (found === undefined) throw new Error(`no user ${name}`);
    return found;
  };

  const startStack = (port: number): Promise<LocalStack> =>
    startLocalStack({
      templatePath: path.join(ROOT, 'template.yaml'),
      port,
      webRoot: path.join(ROOT, 'web', 'dist'),
    });

  async function openChat(
    name: string,
    viewport = { width: 1100, height: 720 },
    query = '',
    expectedState = 'open',
  ): Promise<User> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const opened: User = { name, page, context, dialogs: [], pageErrors: [] };
    page.on('dialog', (dialog) => {
      opened.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => opened.pageErrors.push(error.message));
    users.set(name, opened);
    await page.goto(`${stack.siteUrl}/${query}`);
    await waitForStatus(page, expectedState);
    return opened;
  }

  async function join(page: Page, name: string): Promise<void> {
    await page.fill('#name-input', name);
    await page.press('#name-input', 'Enter');
    await page.waitForFunction(
      (n) => document.getElementById('name-current')?.textContent === `You are ${n}.`,
      name,
      {
        timeout: WAIT_MS,
      },
    );
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The stack serves web/dist: build it so the test runs today's client.
    execFileSync(process.execPath, [path.join(ROOT, 'web', 'build.mjs')], { stdio: 'pipe' });
    stack = await startStack(0);
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    // The stack first: closing the browser first would start $disconnect invocations that the
    // stack's stop() then races (it left worker threads behind and jest never exited).
    await stack?.stop();
    await browser?.close();
  });

  it('shows each member joining, live, in every page', async () => {
    const alice = await openChat('alice');
    await join(alice.page, 'alice');
    const bob = await openChat('bob', { width: 390, height: 780 }); // a phone-width window
    await join(bob.page, 'bob');
    const carol = await openChat('carol');
    await join(carol.page, 'carol');

    for (const { page } of [alice, bob, carol]) await waitForMembers(page, ['alice', 'bob', 'carol']);
    await waitForMessage(alice.page, 'system', 'carol has joined the chat');
    expect(await alice.page.$eval('#member-count', (node) => node.textContent)).toBe('3');
  });

  it('delivers a public message to everyone, styled as my own in my page, with a timestamp', async () => {
    const { page: alice } = user('alice');
    await send(alice, 'Hello everyone!');

    for (const name of ['alice', 'bob', 'carol'])
      await waitForMessage(user(name).page, 'public', 'Hello everyone!');
    const seenByBob = await user('bob').page.$eval('#messages li[data-kind="public"]', (node) => ({
      own: node.classList.contains('msg--own'),
      from: node.querySelector('.msg-from')?.textContent,
      time: node.querySelector('time')?.textContent,
    }));
    expect(seenByBob).toEqual({ own: false, from: 'alice', time: expect.stringMatching(/^\d\d:\d\d$/) });
    const seenByAlice = await alice.$eval('#messages li[data-kind="public"]', (node) =>
      node.classList.contains('msg--own'),
    );
    expect(seenByAlice).toBe(true);
    expect(await alice.inputValue('#message-input')).toBe('');
  });

  it('sends a private message to the member picked in the list, and to nobody else', async () => {
    const { page: alice } = user('alice');
    await alice.click('#member-list button[data-name="bob"]');
    expect(await alice.inputValue('#recipient')).toBe('bob');
    await send(alice, 'psst, bob: lunch at noon?');

    await waitForMessage(user('bob').page, 'private', 'psst, bob: lunch at noon?');
    await waitForMessage(alice, 'private', 'psst, bob: lunch at noon?');
    const bobSees = await user('bob').page.$eval('#messages li[data-kind="private"]', (node) => ({
      names: [...node.querySelectorAll('.msg-name')].map((name) => name.textContent),
      badge: node.querySelector('.msg-badge')?.textContent,
      own: node.classList.contains('msg--own'),
    }));
    expect(bobSees).toEqual({ names: ['alice', 'you'], badge: 'private', own: false });

    // Escape goes back to everyone; carol sees that public message but never the private one.
    await alice.press('#message-input', 'Escape');
    expect(await alice.inputValue('#recipient')).toBe('');
    await send(alice, 'Back to everyone.');
    await waitForMessage(user('carol').page, 'public', 'Back to everyone.');
    expect(await user('carol').page.$$('#messages li[data-kind="private"]')).toHaveLength(0);
  });

  it('shows a taken name inline, ignoring case, and accepts another', async () => {
    const dave = await openChat('dave');
    await dave.page.fill('#name-input', 'ALICE');
    await dave.page.press('#name-input', 'Enter');

    await dave.page.waitForSelector('#name-error:not([hidden])', { timeout: WAIT_MS });
    expect(await dave.page.textContent('#name-error')).toMatch(/taken/i);
    expect(await dave.page.textContent('#name-current')).toBe('Choose a name to join the chat.');
    expect(await dave.page.isDisabled('#message-input')).toBe(true);

    await join(dave.page, 'dave');
    expect(await dave.page.isHidden('#name-error')).toBe(true);
    await waitForMembers(user('alice').page, ['alice', 'bob', 'carol', 'dave']);
  });

  it('can be used with the keyboard alone: name, message, and a private message to a member', async () => {
    const erin = await openChat('erin');
    const { page } = erin;
    const focused = () =>
      page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent);

    // The name field has the focus on arrival; once the name is accepted the message box has it.
    expect(await focused()).toBe('name-input');
    await page.keyboard.type('erin');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'message-input', undefined, {
      timeout: WAIT_MS,
    });
    await page.keyboard.type('Typed without a mouse');
    await page.keyboard.press('Enter');
    await waitForMessage(user('alice').page, 'public', 'Typed without a mouse');

    // After the Send button come the member buttons: the first is alice.
    await waitForMembers(page, ['alice', 'bob', 'carol', 'dave', 'erin']);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('send');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('alice');
    await page.keyboard.press('Enter');
    expect(await focused()).toBe('message-input');
    await page.keyboard.type('A private word, by keyboard');
    await page.keyboard.press('Enter');
    await waitForMessage(user('alice').page, 'private', 'A private word, by keyboard');
  });

  it('shows user text as text, never as HTML', async () => {
    const { page: carol } = user('carol');
    await send(carol, XSS);

    for (const name of ['alice', 'bob']) {
      const { page, dialogs } = user(name);
      await waitForMessage(page, 'public', XSS);
      expect(await page.$$('#messages img')).toHaveLength(0);
      expect(dialogs).toEqual([]);
    }
  });

  it('saves a screenshot of the conversation at desktop and phone width', async () => {
    await user('bob').page.fill('#message-input', 'Lunch sounds good!');
    await user('bob').page.press('#message-input', 'Enter');
    await waitForMessage(user('alice').page, 'public', 'Lunch sounds good!');

    const desktop = path.join(ARTIFACTS, 'conversation.png');
    const phone = path.join(ARTIFACTS, 'conversation-phone.png');
    await user('alice').page.mouse.move(0, 0); // no hover highlight in the picture
    await user('alice').page.screenshot({ path: desktop });
    await user('bob').page.screenshot({ path: phone });
    // A phone-width page must not scroll sideways.
    const overflow = await user('bob').page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('connects to the WebSocket URL given as ?ws=, and explains one that is not a ws:// URL', async () => {
    // The same stack, named explicitly, as one would name a deployed stack's wss:// URL.
    const explicit = await openChat('explicit', undefined, `?ws=${encodeURIComponent(stack.webSocketUrl())}`);
    await send(user('alice').page, 'Anyone on ?ws= there?');
    await waitForMessage(explicit.page, 'public', 'Anyone on ?ws= there?');

    const wrong = await openChat('wrong', undefined, '?ws=https://example.com/production', 'stopped');
    expect(await wrong.page.textContent('#name-error')).toBe(
      '"https://example.com/production" is not a ws:// or wss:// URL.',
    );
    await explicit.context.close();
    await wrong.context.close();
  });

  it('keeps the name after a page reload, and the chat carries on', async () => {
    const { page: bob } = user('bob');
    await bob.reload();

    await waitForStatus(bob, 'open');
    await bob.waitForFunction(
      () => document.getElementById('name-current')?.textContent === 'You are bob.',
      undefined,
      {
        timeout: WAIT_MS,
      },
    );
    await waitForMembers(user('alice').page, ['alice', 'bob', 'carol', 'dave', 'erin']);
    await send(bob, 'Back after a reload.');
    await waitForMessage(user('alice').page, 'public', 'Back after a reload.');
  });

  it('says when the connection drops, reconnects with backoff, and sets the name again', async () => {
    const { page: alice } = user('alice');
    const { page: bob } = user('bob');
    const port = Number(new URL(stack.siteUrl).port);

    // Dropping every connection: the stack goes away, as a deployment or a network failure would.
    await stack.stop();
    for (const page of [alice, bob]) {
      await page.waitForFunction(
        () =>
          /^Connection lost: reconnecting in \d+ s$/.test(
            document.getElementById('status-text')?.textContent ?? '',
          ),
        undefined,
        { timeout: WAIT_MS },
      );
      await waitForNotice(page, 'Connection lost');
      expect(await page.isDisabled('#message-input')).toBe(true);
    }

    stack = await startStack(port);

    for (const [page, name] of [
      [alice, 'alice'],
      [bob, 'bob'],
    ] as const) {
      // Retries back off to 15-30 s while the stack restarts, so this wait is longer than the others.
      await waitForStatus(page, 'open', RECONNECT_WAIT_MS);
      await page.waitForFunction(
        (n) => document.getElementById('name-current')?.textContent === `You are ${n}.`,
        name,
        {
          timeout: WAIT_MS,
        },
      );
      await waitForNotice(page, 'Reconnected.');
    }
    // The new stack knows nobody: every page set its name again.
    await waitForMembers(alice, ['alice', 'bob', 'carol', 'dave', 'erin']);
    await send(alice, 'Still here after the drop.');
    await waitForMessage(bob, 'public', 'Still here after the drop.');
  }, 240_000);

  it('raised no script error in any page', () => {
    for (const { name, pageErrors } of users.values())
      expect({ name, pageErrors }).toEqual({ name, pageErrors: [] });
  });
});
