// Finds the Chromium or Chrome a contributor already has, so `npm test` needs no browser download.
// No browser: the e2e tests skip with one line saying how to get one; under CI=true they fail.

import { accessSync, constants, readdirSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';

export interface FoundBrowser {
  executablePath: string;
  /** Where it was found, for the log: `CHROMIUM_PATH`, `PATH`, `install`, `playwright cache`. */
  source: string;
}

export type BrowserSearch = { found: FoundBrowser } | { found: undefined; reason: string };

export interface SearchContext {
  env: NodeJS.ProcessEnv;
  home: string;
  os: NodeJS.Platform;
  isExecutable(file: string): boolean;
  list(dir: string): string[];
}

const defaultContext = (): SearchContext => ({
  env: process.env,
  home: homedir(),
  os: platform(),
  isExecutable: (file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  list: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
});

const COMMANDS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

const INSTALL_PLACES: Partial<Record<NodeJS.Platform, string[]>> = {
  linux: [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/opt/google/chrome/chrome',
    '/snap/bin/chromium',
  ],
  darwin: [
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
  ],
};

/** Executables inside one Playwright browser folder (`chromium-1234`, `chromium_headless_shell-1234`). */
const PLAYWRIGHT_EXECUTABLES: Partial<Record<NodeJS.Platform, string[]>> = {
  linux: [
    'chrome-linux64/chrome',
    'chrome-linux-arm64/chrome',
    'chrome-linux/chrome',
    'chrome-headless-shell-linux64/chrome-headless-shell',
    'chrome-headless-shell-linux-arm64/chrome-headless-shell',
    'chrome-linux/headless_shell',
  ],
  darwin: [
    'chrome-mac-arm64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
    'chrome-mac-x64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
    'chrome-mac/Chromium.app/Contents/MacOS/Chromium',
    'chrome-headless-shell-mac-arm64/chrome-headless-shell',
    'chrome-headless-shell-mac-x64/chrome-headless-shell',
  ],
};

function playwrightCache(ctx: SearchContext): string {
  const configured = ctx.env.PLAYWRIGHT_BROWSERS_PATH;
  if (configured && configured !== '0') return configured;
  return ctx.os === 'darwin'
    ? path.join(ctx.home, 'Library', 'Caches', 'ms-playwright')
    : path.join(ctx.env.XDG_CACHE_HOME || path.join(ctx.home, '.cache'), 'ms-playwright');
}

/**
 * The browser to drive, in this order: CHROMIUM_PATH (when set it is the only candidate, so a
 * wrong value is reported rather than silently replaced), a Chrome or Chromium command on PATH, the
 * usual install places, then the newest browser in Playwright's cache.
 */
export function findBrowser(ctx: SearchContext = defaultContext()): BrowserSearch {
  const configured = ctx.env.CHROMIUM_PATH;
  if (configured !== undefined && configured !== '') {
    return ctx.isExecutable(configured)
      ? { found: { executablePath: configured, source: 'CHROMIUM_PATH' } }
      : { found: undefined, reason: `CHROMIUM_PATH=${configured} is not an executable file` };
  }
  const dirs = (ctx.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const command of COMMANDS) {
    for (const dir of dirs) {
      const file = path.join(dir, command);
      if (ctx.isExecutable(file)) return { found: { executablePath: file, source: 'PATH' } };
    }
  }
  for (const file of INSTALL_PLACES[ctx.os] ?? []) {
    if (ctx.isExecutable(file)) return { found: { executablePath: file, source: 'install' } };
  }
  const cache = playwrightCache(ctx);
  const revision = (name: string) => Number(name.slice(name.lastIndexOf('-') + 1)) || 0;
  const folders = ctx
    .list(cache)
    .filter((name) => /^chromium(_headless_shell)?-\d+$/.test(name))
    // Newest first; at one revision the full browser before the headless shell.
    .sort((a, b) => revision(b) - revision(a) || a.length - b.length);
  for (const folder of folders) {
    for (const relative of PLAYWRIGHT_EXECUTABLES[ctx.os] ?? []) {
      const file = path.join(cache, folder, relative);
      if (ctx.isExecutable(file)) return { found: { executablePath: file, source: 'playwright cache' } };
    }
  }
  return {
    found: undefined,
    reason: 'no Chrome or Chromium on PATH, in the usual places or in the Playwright cache',
  };
}

/** The one line a run without a browser prints: what is missing and how to enable the tests. */
export function noBrowserMessage(reason: string, ci = false): string {
  return (
    `${ci ? 'Browser tests cannot run (CI=true requires a browser)' : 'Browser tests skipped'}: ${reason}. ` +
    'Enable them with `apt-get install chromium` (Debian/Ubuntu), `npx playwright-core install chromium`, ' +
    'or CHROMIUM_PATH=/path/to/chrome.'
  );
}

const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Launches the browser findBrowser() chose, headless, with a test's own extra flags; throws the
 * enabling hint when there is none.
 */
export async function launchBrowser(
  search: BrowserSearch = findBrowser(),
  extraArgs: string[] = [],
): Promise<Browser> {
  if (search.found === undefined) throw new Error(noBrowserMessage(search.reason));
  return chromium.launch({
    executablePath: search.found.executablePath,
    headless: true,
    args: [...LAUNCH_ARGS, ...extraArgs],
  });
}

export type BrowserPlan =
  | { run: true; browser: FoundBrowser }
  | { run: false; fail: boolean; message: string };

/** Run with the browser found, skip with one line, or (CI=true) fail: CI must not pass without them. */
export function browserPlan(search: BrowserSearch, env: NodeJS.ProcessEnv = process.env): BrowserPlan {
  if (search.found !== undefined) return { run: true, browser: search.found };
  const ci = env.CI === 'true';
  return { run: false, fail: ci, message: noBrowserMessage(search.reason, ci) };
}

/**
 * `describe` for a browser test file, following browserPlan(): the line for a skip goes to stderr,
 * not console, so jest adds no stack trace to it; a CI failure is a failing test with the same text.
 */
export function describeWithBrowser(
  name: string,
  tests: () => void,
  search: BrowserSearch = findBrowser(),
): void {
  const plan = browserPlan(search);
  if (plan.run) {
    describe(name, tests);
  } else if (plan.fail) {
    describe(name, () => {
      it('has a browser to run in (CI=true requires one)', () => {
        throw new Error(plan.message);
      });
    });
  } else {
    process.stderr.write(`\n!!! ${plan.message}\n\n`);
    describe.skip(name, tests);
  }
}
