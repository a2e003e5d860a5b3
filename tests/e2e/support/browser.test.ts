import path from 'node:path';
import {
  type BrowserSearch,
  browserPlan,
  findBrowser,
  noBrowserMessage,
  type SearchContext,
} from './browser';

/** A machine described by its executable files; folders list what lies under them. */
const machine = (
  executables: string[],
  env: NodeJS.ProcessEnv = {},
  os: NodeJS.Platform = 'linux',
): SearchContext => ({
  env,
  home: '/home/dev',
  os,
  isExecutable: (file) => executables.includes(file),
  list: (dir) => [
    ...new Set(
      executables
        .filter((file) => file.startsWith(`${dir}/`))
        .map((file) => file.slice(dir.length + 1).split('/')[0] ?? ''),
    ),
  ],
});

const pathOf = (search: BrowserSearch) => search.found?.executablePath;

describe('findBrowser', () => {
  it('takes CHROMIUM_PATH first, over a Chromium on PATH', () => {
    const ctx = machine(['/opt/mine/chrome', '/usr/bin/chromium'], {
      CHROMIUM_PATH: '/opt/mine/chrome',
      PATH: '/usr/bin',
    });
    expect(findBrowser(ctx).found).toEqual({ executablePath: '/opt/mine/chrome', source: 'CHROMIUM_PATH' });
  });

  it('reports a CHROMIUM_PATH that points at nothing instead of quietly using another browser', () => {
    const search = findBrowser(
      machine(['/usr/bin/chromium'], { CHROMIUM_PATH: '/nowhere/chrome', PATH: '/usr/bin' }),
    );
    expect(search).toEqual({
      found: undefined,
      reason: 'CHROMIUM_PATH=/nowhere/chrome is not an executable file',
    });
  });

  it('finds chromium, chromium-browser, google-chrome or chrome on PATH', () => {
    for (const command of [
      'chromium',
      'chromium-browser',
      'google-chrome',
      'google-chrome-stable',
      'chrome',
    ]) {
      const file = `/home/dev/bin/${command}`;
      expect(
        pathOf(findBrowser(machine([file], { PATH: `/usr/local/bin${path.delimiter}/home/dev/bin` }))),
      ).toBe(file);
    }
  });

  it('looks in the usual install places when PATH has none', () => {
    expect(findBrowser(machine(['/opt/google/chrome/chrome'], { PATH: '' })).found).toEqual({
      executablePath: '/opt/google/chrome/chrome',
      source: 'install',
    });
    expect(
      pathOf(
        findBrowser(machine(['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'], {}, 'darwin')),
      ),
    ).toBe('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome');
  });

  it("uses the newest browser in Playwright's cache, the full browser before the headless shell", () => {
    const cache = '/home/dev/.cache/ms-playwright';
    const ctx = machine([
      `${cache}/chromium-1100/chrome-linux/chrome`,
      `${cache}/chromium-1200/chrome-linux64/chrome`,
      `${cache}/chromium_headless_shell-1200/chrome-headless-shell-linux64/chrome-headless-shell`,
    ]);
    expect(findBrowser(ctx).found).toEqual({
      executablePath: `${cache}/chromium-1200/chrome-linux64/chrome`,
      source: 'playwright cache',
    });
    const shellOnly = machine([
      `${cache}/chromium_headless_shell-1200/chrome-headless-shell-linux64/chrome-headless-shell`,
    ]);
    expect(pathOf(findBrowser(shellOnly))).toContain('chrome-headless-shell');
  });

  it('honours PLAYWRIGHT_BROWSERS_PATH and XDG_CACHE_HOME for the cache', () => {
    expect(
      pathOf(
        findBrowser(
          machine(['/srv/pw/chromium-1200/chrome-linux64/chrome'], { PLAYWRIGHT_BROWSERS_PATH: '/srv/pw' }),
        ),
      ),
    ).toBe('/srv/pw/chromium-1200/chrome-linux64/chrome');
    expect(
      pathOf(
        findBrowser(
          machine(['/xdg/ms-playwright/chromium-1200/chrome-linux64/chrome'], { XDG_CACHE_HOME: '/xdg' }),
        ),
      ),
    ).toBe('/xdg/ms-playwright/chromium-1200/chrome-linux64/chrome');
  });

  it('says why when there is no browser anywhere', () => {
    expect(findBrowser(machine([], { PATH: '/usr/bin' }))).toEqual({
      found: undefined,
      reason: expect.stringContaining('no Chrome or Chromium'),
    });
  });
});

describe('browserPlan', () => {
  const none: BrowserSearch = { found: undefined, reason: 'no Chrome or Chromium anywhere' };

  it('runs the browser tests when a browser is found, under CI or not', () => {
    const found: BrowserSearch = { found: { executablePath: '/usr/bin/chromium', source: 'install' } };
    expect(browserPlan(found, {})).toEqual({ run: true, browser: found.found });
    expect(browserPlan(found, { CI: 'true' })).toEqual({ run: true, browser: found.found });
  });

  it('skips them with one line saying how to enable them when there is no browser', () => {
    const plan = browserPlan(none, {});
    expect(plan).toEqual({ run: false, fail: false, message: noBrowserMessage(none.reason as string) });
    const message = plan.run ? '' : plan.message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/skipped: no Chrome or Chromium anywhere/);
    expect(message).toMatch(/apt-get install chromium/);
    expect(message).toMatch(/CHROMIUM_PATH=/);
  });

  it('fails them under CI=true, so CI never passes without running them', () => {
    expect(browserPlan(none, { CI: 'true' })).toEqual({
      run: false,
      fail: true,
      message: expect.stringMatching(/^Browser tests cannot run \(CI=true requires a browser\): no Chrome/),
    });
  });
});
