import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import { TEST_ENV } from '../../unit/src/support/events';
import { functionsOf, loadTemplate, type Node, ROOT } from '../../unit/template/load-template';

/** The esbuild options `sam build` derives from a function's BuildProperties (key=value lists). */
const esbuildOptionsOf = (properties: Node, outdir: string): BuildOptions => {
  const pairs = (list: string[]) =>
    Object.fromEntries(
      list.map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]),
    );
  return {
    entryPoints: properties.EntryPoints.map((entry: string) => join(ROOT, entry)),
    bundle: true,
    platform: 'node',
    outdir,
    format: properties.Format,
    outExtension: pairs(properties.OutExtension),
    target: properties.Target,
    ...(properties.MainFields ? { mainFields: String(properties.MainFields).split(',') } : {}),
    sourcemap: properties.Sourcemap,
    minify: properties.Minify,
    banner: pairs(properties.Banner),
    logLevel: 'silent',
  };
};

const outdir = mkdtempSync(join(tmpdir(), 'chat-bundle-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe.each(functionsOf(loadTemplate()))('the %s bundle', (id, fn) => {
  const dir = join(outdir, id);
  const handlerFile = join(dir, `${basename(fn.Metadata?.BuildProperties.EntryPoints[0], '.ts')}.mjs`);

  it('builds with the template BuildProperties into an ESM .mjs file with a source map', async () => {
    const result = await build(esbuildOptionsOf(fn.Metadata?.BuildProperties, dir));
    expect(result.errors).toEqual([]);
    expect(existsSync(handlerFile)).toBe(true);
    expect(existsSync(`${handlerFile}.map`)).toBe(true);
  }, 60_000);

  it(`loads in this Node.js (${process.version}) and exports the handler the template names`, () => {
    const exportName = String(fn.Properties?.Handler).split('.').pop();
    const output = execFileSync(
      process.execPath,
      [
        '--enable-source-maps',
        '-e',
        `import(${JSON.stringify(handlerFile)}).then((m) => console.log(typeof m[${JSON.stringify(exportName)}]))`,
      ],
      { env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...TEST_ENV }, encoding: 'utf8' },
    );
    expect(output.trim()).toBe('function');
  }, 60_000);
});

describe('the bundled chat-api, invoked on this Node.js with events/malformed.json', () => {
  it('answers the caller through the @connections API at CALLBACK_URL (signing, HTTP and all)', async () => {
    // Prepare: a stand-in @connections endpoint that records what it is sent
    const fn = functionsOf(loadTemplate()).find(([id]) => id === 'ChatApiFunction')?.[1];
    const dir = join(outdir, 'invoke');
    await build(esbuildOptionsOf(fn?.Metadata?.BuildProperties, dir));
    const received: { url?: string; body: string; signed: boolean }[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({
          url: request.url,
          body,
          signed: String(request.headers.authorization).startsWith('AWS4-HMAC-SHA256'),
        });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const event = readFileSync(join(ROOT, 'events', 'malformed.json'), 'utf8');
    const script = `
      const event = JSON.parse(process.env.EVENT);
      const context = { functionName: 'chat-api', awsRequestId: 'r', getRemainingTimeInMillis: () => 3000 };
      import(process.env.HANDLER_FILE).then((m) => m.handler(event, context)).then((r) => console.log(JSON.stringify(r)));
    `;

    // Act
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
        env: {
          PATH: process.env.PATH,
          ...TEST_ENV,
          CALLBACK_URL: `http://127.0.0.1:${port}/production`,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
          EVENT: event,
          HANDLER_FILE: join(dir, 'handler.mjs'),
        },
        encoding: 'utf8',
      });

      // Assert
      expect(JSON.parse(stdout.trim().split('\n').pop() ?? '')).toEqual({ statusCode: 200 });
    } finally {
      server.close();
    }
    expect(received).toHaveLength(1);
    expect(received[0]?.url).toBe(
      `/production/@connections/${encodeURIComponent(JSON.parse(event).requestContext.connectionId)}`,
    );
    expect(received[0]?.signed).toBe(true);
    expect(JSON.parse(received[0]?.body ?? '')).toMatchObject({ type: 'error', code: 'INVALID_JSON' });
  }, 60_000);
});
