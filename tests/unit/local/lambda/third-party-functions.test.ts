import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type InvocationReport, LambdaService } from '../../../../local/lambda';
import { localEnvironment } from '../../../../local/stack';
import type { FunctionModel } from '../../../../local/template';

// Handlers that call a URL the way third-party functions do: node:https and fetch.
const HANDLERS = `
import https from 'node:https';
import { request as namedRequest } from 'node:https';

const read = (res, resolve) => {
  let body = '';
  res.on('data', (chunk) => { body += chunk; });
  res.on('end', () => resolve({ status: res.statusCode, body }));
};

export const viaHttps = (event) =>
  new Promise((resolve) => {
    const send = event.named ? namedRequest : https.request;
    const req = send(event.url, { method: 'POST', headers: { 'content-type': 'text/plain' } }, (res) => read(res, resolve));
    req.on('error', (err) => resolve({ error: err.message, code: err.code }));
    req.end('hello');
  });

export const viaFetch = async (event) => {
  try {
    const res = await fetch(event.url, { method: 'POST', body: 'hello' });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    return { error: err.cause?.message ?? err.message };
  }
};

export const catches = async (event) => {
  if (event.log) console.error('Failed to send', new Error('boom'));
  return { statusCode: event.status, body: 'Error: getaddrinfo ENOTFOUND x\\n    at y' };
};

export const notAFunction = 42;

export const variables = async () => ({ rules: process.env._LOCAL_STACK_INTERCEPT ?? null });
`;

const API_HOST = 'abc123defg.execute-api.eu-west-1.amazonaws.com';

describe('what third-party functions meet in an execution environment', () => {
  let dir: string;
  let server: Server;
  let service: LambdaService;
  const logs: string[] = [];
  const reports: InvocationReport[] = [];

  function fn(exportName: string): FunctionModel {
    return {
      logicalId: exportName,
      functionName: `local-${exportName}`,
      arn: `arn:aws:lambda:eu-west-1:123456789012:function:local-${exportName}`,
      codeUri: dir,
      handler: `handlers.${exportName}`,
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      timeoutSeconds: 10,
      memorySizeMb: 256,
      tracing: 'PassThrough',
      environment: {},
      asyncConfig: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21600 },
      logGroupName: `/aws/lambda/local-${exportName}`,
      logFormat: 'Text',
    };
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lambda-network-'));
    await writeFile(path.join(dir, 'handlers.mjs'), HANDLERS);
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => res.end(`${req.method} ${req.url} ${body}`));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const siteHostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const model = {
      region: 'eu-west-1',
      webSocketApis: [
        {
          logicalId: 'Api',
          apiId: 'abc123defg',
          name: 'api',
          routeSelectionExpression: '$request.body.action',
          stageName: 'prod',
          routes: [],
          endpointUrl: `https://${API_HOST}/prod`,
        },
      ],
    };
    const functions = ['viaHttps', 'viaFetch', 'variables', 'catches', 'notAFunction'].map(fn);
    service = new LambdaService({
      functions,
      bundles: new Map(
        functions.map((f) => [
          f.logicalId,
          {
            logicalId: f.logicalId,
            entryFile: path.join(dir, 'handlers.mjs'),
            handlerExport: f.logicalId,
            format: 'esm' as const,
            bundleBytes: 1,
            taskRoot: dir,
            buildMs: 0,
          },
        ]),
      ),
      environmentFor: (f) => localEnvironment(model, f, { aws: 'http://127.0.0.1:1', siteHostPort }),
      onLog: (_f, line) => logs.push(line),
      onInvocation: (report) => reports.push(report),
      xrayDaemonAddress: '127.0.0.1:2000',
    });
  });

  afterAll(async () => {
    await service?.close();
    await new Promise((resolve) => server?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function call(exportName: string, event: object): Promise<Record<string, unknown>> {
    const result = await service.invoke(exportName, event);
    if (!result.ok) throw new Error(`${result.error.errorType}: ${result.error.errorMessage}`);
    return result.payload as Record<string, unknown>;
  }

  it.each([
    ['node:https', 'viaHttps', {}],
    ["node:https's named export", 'viaHttps', { named: true }],
    ['fetch', 'viaFetch', {}],
  ])("sends %s to a template API's execute-api host to the local stack", async (_how, exportName, extra) => {
    const url = `https://${API_HOST}/prod/@connections/abc%3D?x=1`;
    await expect(call(exportName, { url, ...extra })).resolves.toEqual({
      status: 200,
      body: 'POST /prod/@connections/abc%3D?x=1 hello',
    });
  });

  it.each([
    ['node:https', 'viaHttps'],
    ['fetch', 'viaFetch'],
  ])(
    'refuses %s to an AWS host the stack does not emulate, at once and on the console',
    async (_how, exportName) => {
      logs.length = 0;
      const result = await call(exportName, { url: 'https://sts.eu-west-1.amazonaws.com/' });
      expect(result.error).toMatch(
        /stopped a request to sts\.eu-west-1\.amazonaws\.com: the local stack does not emulate this AWS service/,
      );
      expect(logs.join('\n')).toMatch(
        /ERROR\tThe local stack stopped a request to sts\.eu-west-1\.amazonaws\.com/,
      );
    },
  );

  it('refuses an execute-api host of an API that is not in the template', async () => {
    const result = await call('viaHttps', { url: 'https://zzz999.execute-api.eu-west-1.amazonaws.com/prod' });
    expect(result.error).toMatch(/not the execute-api host of an API in the template/);
  });

  it("keeps the stack's rules out of the function's environment", async () => {
    await expect(call('variables', {})).resolves.toEqual({ rules: null });
  });

  it("reports a 5xx answer's status and body line, and an error the function logged", async () => {
    reports.length = 0;
    await call('catches', { status: 500, log: true });
    await call('catches', { status: 200 });
    expect(
      reports.map(({ statusCode, responseBodyLine, loggedError }) => ({
        statusCode,
        responseBodyLine,
        loggedError,
      })),
    ).toEqual([
      {
        statusCode: 500,
        responseBodyLine: 'Error: getaddrinfo ENOTFOUND x',
        loggedError: expect.stringMatching(/^Failed to send Error: boom/),
      },
      { statusCode: 200, responseBodyLine: undefined, loggedError: undefined },
    ]);
  });

  it("reports an export that is not a function as Runtime.HandlerNotFound, in Lambda's words", async () => {
    const result = await service.invoke('notAFunction', {});
    expect(result).toMatchObject({
      ok: false,
      error: {
        errorType: 'Runtime.HandlerNotFound',
        errorMessage: 'handlers.notAFunction is not a function',
      },
    });
  });
});
