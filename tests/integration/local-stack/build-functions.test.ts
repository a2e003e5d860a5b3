import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BuildError, buildFunctions, esbuildOptions } from '../../../local/build';
import type { FunctionModel, StackModel } from '../../../local/template';

const fixtures = path.resolve(__dirname, '../../fixtures/local-template');
const outDir = mkdtempSync(path.join(tmpdir(), 'local-build-'));

function fn(logicalId: string, overrides: Partial<FunctionModel> = {}): FunctionModel {
  return {
    logicalId,
    functionName: logicalId,
    arn: `arn:aws:lambda:us-east-1:123456789012:function:${logicalId}`,
    codeUri: fixtures,
    handler: 'handler.handler',
    runtime: 'nodejs24.x',
    architectures: ['arm64'],
    timeoutSeconds: 3,
    memorySizeMb: 128,
    tracing: 'PassThrough',
    environment: {},
    asyncConfig: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21600 },
    logGroupName: `/aws/lambda/${logicalId}`,
    logFormat: 'Text',
    ...overrides,
  };
}

const stack = (...functions: FunctionModel[]) => ({ functions }) as StackModel;

async function buildError(...functions: FunctionModel[]): Promise<BuildError> {
  try {
    await buildFunctions(stack(...functions), { outDir });
  } catch (err) {
    if (err instanceof BuildError) return err;
    throw err;
  }
  throw new Error('expected a BuildError');
}

const esm = { Format: 'esm', OutExtension: ['.js=.mjs'], EntryPoints: ['src/echo/handler.ts'] };

describe('buildFunctions', () => {
  it('bundles an ES module handler to <handler>.mjs with its export and size', async () => {
    const built = await buildFunctions(stack(fn('Esm', { buildMethod: 'esbuild', buildProperties: esm })), {
      outDir,
    });
    const b = built.get('Esm');
    expect(b).toMatchObject({
      logicalId: 'Esm',
      entryFile: path.join(outDir, 'Esm', 'handler.mjs'),
      handlerExport: 'handler',
      format: 'esm',
    });
    expect(b?.bundleBytes).toBe(readFileSync(b?.entryFile ?? '').length);
    // jest cannot import ES modules; the lambda tests run this bundle in a worker.
    expect(readFileSync(b?.entryFile ?? '', 'utf8')).toMatch(/export\s*\{[^}]*handler/);
  });

  it('bundles CommonJS by default, as sam build does', async () => {
    const built = await buildFunctions(
      stack(
        fn('Cjs', { buildMethod: 'esbuild', buildProperties: { EntryPoints: ['src/broadcast/handler'] } }),
      ),
      { outDir },
    );
    const b = built.get('Cjs');
    expect(b?.entryFile).toBe(path.join(outDir, 'Cjs', 'handler.js'));
    expect(b?.format).toBe('cjs');
    // Minified by default, like sam build.
    expect(readFileSync(b?.entryFile ?? '', 'utf8').split('\n').length).toBeLessThan(5);
    const mod = require(b?.entryFile ?? '');
    await expect(mod.handler('e')).resolves.toEqual({ received: 'e' });
  });

  it('uses a function without BuildMethod as it is, ESM by extension and CommonJS by package.json', async () => {
    const built = await buildFunctions(
      stack(
        fn('PlainEsm', { codeUri: path.join(fixtures, 'plain'), handler: 'esm-handler.handler' }),
        fn('PlainCjs', { codeUri: path.join(fixtures, 'plain'), handler: 'cjs-handler.handler' }),
      ),
      { outDir },
    );
    expect(built.get('PlainEsm')).toMatchObject({
      entryFile: path.join(fixtures, 'plain', 'esm-handler.mjs'),
      format: 'esm',
    });
    expect(built.get('PlainCjs')).toMatchObject({
      entryFile: path.join(fixtures, 'plain', 'cjs-handler.js'),
      format: 'cjs',
    });
  });

  it('writes inline code to index.js', async () => {
    const built = await buildFunctions(
      stack(fn('Inline', { handler: 'index.handler', inlineCode: 'exports.handler = async () => 1;\n' })),
      { outDir },
    );
    expect(built.get('Inline')).toMatchObject({
      entryFile: path.join(outDir, 'Inline', 'index.js'),
      format: 'cjs',
    });
  });

  it('fails with the function and file when an entry point does not exist', async () => {
    const err = await buildError(
      fn('Missing', { buildMethod: 'esbuild', buildProperties: { EntryPoints: ['src/nope/handler.ts'] } }),
    );
    expect(err.message).toBe(
      `Missing: entry point ${path.join(fixtures, 'src/nope/handler.ts')} does not exist`,
    );
    expect(err.failures).toHaveLength(1);
  });

  it("fails with esbuild's message and line when the source does not compile", async () => {
    const err = await buildError(
      fn('Broken', { buildMethod: 'esbuild', buildProperties: { EntryPoints: ['src/broken/handler.js'] } }),
    );
    expect(err.message).toMatch(
      /^Broken: esbuild failed:\nsrc\/broken\/handler\.js:2:\d+: Could not resolve "\.\/does-not-exist"/,
    );
  });

  it('fails when the handler file does not exist after the build', async () => {
    const err = await buildError(
      fn('Renamed', { handler: 'app.handler', buildMethod: 'esbuild', buildProperties: esm }),
    );
    expect(err.message).toMatch(
      /^Renamed: handler app\.handler: no app\.js, \.mjs or \.cjs in .*Renamed \(esbuild wrote: .*handler\.mjs\)$/,
    );
  });

  it('fails when Format esm is written to a .js file that Node loads as CommonJS', async () => {
    const err = await buildError(
      fn('NoMjs', {
        buildMethod: 'esbuild',
        buildProperties: { Format: 'esm', EntryPoints: ['src/echo/handler.ts'] },
      }),
    );
    expect(err.message).toMatch(
      /^NoMjs: .*NoMjs\/handler\.js: esbuild wrote an ES module but Node loads this file as CommonJS/,
    );
    expect(err.message).toContain('.js=.mjs');
  });

  it('fails when the module does not export the handler, for ESM and CommonJS bundles', async () => {
    const err = await buildError(
      fn('NoExportEsm', {
        buildMethod: 'esbuild',
        buildProperties: { ...esm, EntryPoints: ['src/noexport/handler.ts'] },
      }),
      fn('NoExportCjs', {
        buildMethod: 'esbuild',
        buildProperties: { EntryPoints: ['src/noexport/handler.ts'] },
      }),
    );
    expect(err.failures.map((f) => f.logicalId)).toEqual(['NoExportEsm', 'NoExportCjs']);
    expect(err.message).toMatch(/NoExportEsm: .*handler\.mjs does not export "handler" \(exports: main\)/);
    expect(err.message).toMatch(/NoExportCjs: .*handler\.js does not export "handler" \(exports: main\)/);
  });

  it('fails for a TypeScript handler without a build method', async () => {
    const err = await buildError(fn('Ts', { codeUri: path.join(fixtures, 'src/echo') }));
    expect(err.message).toMatch(/Lambda cannot run TypeScript/);
  });

  it('rejects a map where sam needs a list', async () => {
    const err = await buildError(
      fn('Map', { buildMethod: 'esbuild', buildProperties: { ...esm, OutExtension: { '.js': '.mjs' } } }),
    );
    expect(err.message).toMatch(/BuildProperties\.OutExtension must be a list/);
  });
});

describe('esbuildOptions', () => {
  it('passes BuildProperties the way sam build passes them as flags', () => {
    const options = esbuildOptions(
      fn('Opts'),
      {
        EntryPoints: ['src/echo/handler.ts'],
        Format: 'esm',
        Target: 'es2022',
        Minify: false,
        Sourcemap: true,
        External: ['@aws-sdk/*'],
        MainFields: 'module,main',
        Loader: ['.txt=text'],
        OutExtension: ['.js=.mjs'],
        Banner: ["js=import { createRequire } from 'module';const require = createRequire(import.meta.url);"],
      },
      'handler',
      '/out',
    );
    expect(options).toMatchObject({
      entryPoints: [path.join(fixtures, 'src/echo/handler.ts')],
      bundle: true,
      platform: 'node',
      outdir: '/out',
      format: 'esm',
      target: 'es2022',
      minify: false,
      sourcemap: true,
      external: ['@aws-sdk/*'],
      mainFields: ['module', 'main'],
      loader: { '.txt': 'text' },
      outExtension: { '.js': '.mjs' },
      banner: {
        js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
      },
    });
  });

  it('defaults to the handler file as entry point, CommonJS, es2020 and minified', () => {
    const options = esbuildOptions(
      fn('Defaults', { codeUri: path.join(fixtures, 'src/echo') }),
      {},
      'handler',
      '/out',
    );
    expect(options).toMatchObject({
      entryPoints: [path.join(fixtures, 'src/echo/handler.ts')],
      format: 'cjs',
      target: 'es2020',
      minify: true,
    });
  });
});
