import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../unit/template/load-template';

const run = promisify(execFile);

// `npm run` hands its child npm_* variables (npm_config_local_prefix and the like) that would point
// the scratch install back at this project; SAM's builder starts npm from a plain environment.
const plainEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

describe("sam build's esbuild workflow", () => {
  let scratch: string;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'sam-build-scratch-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('finds esbuild in a scratch copy that installed production dependencies only', async () => {
    // Prepare: what SAM's NodejsNpmEsbuildWorkflow copies (CodeUri minus node_modules)
    copyFileSync(join(ROOT, 'package.json'), join(scratch, 'package.json'));
    copyFileSync(join(ROOT, 'package-lock.json'), join(scratch, 'package-lock.json'));

    // Act: SAM runs `npm install --omit=dev`; the lockfile's exact tree, from the cache that the
    // project's own `npm ci` filled, without install scripts (esbuild's shim needs none)
    await run('npm', ['ci', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: scratch,
      env: plainEnv(),
    });

    // Assert: SAM looks for node_modules/.bin/esbuild there (or on PATH, which a new user lacks)
    const { stdout } = await run(join(scratch, 'node_modules', '.bin', 'esbuild'), ['--version'], {
      env: plainEnv(),
    });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  }, 300_000);
});
