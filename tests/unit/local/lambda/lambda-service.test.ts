import path from 'node:path';
import type { BuiltFunction } from '../../../../local/build';
import { type InvocationReport, LambdaService, type LambdaServiceOptions } from '../../../../local/lambda';
import type { FunctionModel } from '../../../../local/template';

const plain = path.resolve(__dirname, '../../../fixtures/local-template/plain');

function fn(logicalId: string, overrides: Partial<FunctionModel> = {}): FunctionModel {
  return {
    logicalId,
    functionName: `local-${logicalId}`,
    arn: `arn:aws:lambda:us-east-1:123456789012:function:local-${logicalId}`,
    codeUri: plain,
    handler: `lambda-fixtures.${logicalId}`,
    runtime: 'nodejs24.x',
    architectures: ['arm64'],
    timeoutSeconds: 3,
    memorySizeMb: 256,
    tracing: 'Active',
    environment: { TEMPLATE_VAR: 'from-template', OVERRIDDEN: 'template' },
    asyncConfig: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21600 },
    logGroupName: `/aws/lambda/local-${logicalId}`,
    logFormat: 'Text',
    ...overrides,
  };
}

function bundle(f: FunctionModel, file = 'lambda-fixtures.mjs'): BuiltFunction {
  return {
    logicalId: f.logicalId,
    entryFile: path.join(plain, file),
    handlerExport: f.handler.split('.').pop() as string,
    format: file.endsWith('.mjs') ? 'esm' : 'cjs',
    bundleBytes: 1,
    taskRoot: plain,
    buildMs: 0,
  };
}

const services: LambdaService[] = [];
const logs: string[] = [];
const reports: InvocationReport[] = [];

function service(
  functions: FunctionModel[],
  options: Partial<LambdaServiceOptions> = {},
  files: Record<string, string> = {},
) {
  const s = new LambdaService({
    functions,
    bundles: new Map(functions.map((f) => [f.logicalId, bundle(f, files[f.logicalId])])),
    environmentFor: () => ({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4566', OVERRIDDEN: 'stack' }),
    onLog: (f, line) => logs.push(`${f.logicalId}|${line}`),
    onInvocation: (r) => reports.push(r),
    ...options,
  });
  services.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  logs.length = 0;
  reports.length = 0;
});

describe('LambdaService.invoke', () => {
  it('passes the event and a full context object', async () => {
    const f = fn('context', { timeoutSeconds: 5 });
    const result = await service([f]).invoke('context', { hello: 'world' });
    if (!result.ok) throw new Error(result.error.errorMessage);
    const payload = result.payload as Record<string, unknown>;
    expect(payload).toMatchObject({
      event: { hello: 'world' },
      awsRequestId: result.report.requestId,
      functionName: 'local-context',
      functionVersion: '$LATEST',
      invokedFunctionArn: f.arn,
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/local-context',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(result.report.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(payload.remainingMs).toBeGreaterThan(0);
    expect(payload.remainingMs).toBeLessThanOrEqual(5000);
  });

  it('gives each environment the Lambda runtime variables, then the template variables, then the stack ones', async () => {
    const result = await service([fn('context')]).invoke('context', {});
    if (!result.ok) throw new Error(result.error.errorMessage);
    const env = (result.payload as { env: Record<string, string> }).env;
    expect(env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: 'local-context',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/local-context',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: plain,
      _HANDLER: 'lambda-fixtures.context',
      TZ: ':UTC',
      TEMPLATE_VAR: 'from-template',
      OVERRIDDEN: 'stack',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4566',
    });
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/\[\$LATEST\]/);
    expect(env.AWS_ACCESS_KEY_ID).toBeTruthy();
    expect(env.AWS_SECRET_ACCESS_KEY).toBeTruthy();
    expect(env.AWS_SESSION_TOKEN).toBeTruthy();
    expect(env._X_AMZN_TRACE_ID).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
    expect(env.AWS_XRAY_DAEMON_ADDRESS).toMatch(/^127\.0\.0\.1:\d+$/);
    // Nothing leaks from the host process (jest's setup sets POWERTOOLS_DEV).
    expect(env.POWERTOOLS_DEV).toBeUndefined();
  });

  it('sets a new trace id for every invocation', async () => {
    const s = service([fn('context')]);
    const traces = [];
    for (let i = 0; i < 2; i++) {
      const r = await s.invoke('context', {});
      if (r.ok) traces.push((r.payload as { env: Record<string, string> }).env._X_AMZN_TRACE_ID);
    }
    expect(traces).toHaveLength(2);
    expect(traces[0]).not.toBe(traces[1]);
  });

  it("continues the caller's trace: the function sees its root, under the invocation's own segment", async () => {
    const s = service([fn('context')]);
    const sink = await s.xraySinkReady();
    const caller = 'Root=1-6b0cdddc-65e3aa4ed5dccc003af61954;Parent=a1b2c3d4e5f60718;Sampled=1';
    const r = await s.invoke('context', {}, { traceHeader: caller });
    if (!r.ok) throw new Error(r.error.errorMessage);

    const seen = (r.payload as { env: Record<string, string> }).env._X_AMZN_TRACE_ID;
    const trace = sink?.traces.get('1-6b0cdddc-65e3aa4ed5dccc003af61954');
    const segment = trace?.roots[0];
    expect(segment).toMatchObject({
      name: 'local-context',
      origin: 'AWS::Lambda::Function',
      parent_id: 'a1b2c3d4e5f60718',
      aws: { request_id: r.report.requestId, cold_start: true, attempt: 1 },
    });
    expect(segment?.children.map((child) => child.name)).toEqual(['Initialization', 'Invocation']);
    const invocationId = segment?.children[1]?.id;
    expect(seen).toBe(`Root=1-6b0cdddc-65e3aa4ed5dccc003af61954;Parent=${invocationId};Sampled=1`);
  });

  it('records a failed invocation as a fault with the error and its stack', async () => {
    const s = service([fn('fail')]);
    const sink = await s.xraySinkReady();
    const caller = 'Root=1-6b0cdddc-65e3aa4ed5dccc003af61955;Parent=a1b2c3d4e5f60718;Sampled=1';
    await s.invoke('fail', { why: 'no room' }, { traceHeader: caller });

    const segment = sink?.traces.get('1-6b0cdddc-65e3aa4ed5dccc003af61955')?.roots[0];
    expect(segment?.fault).toBe(true);
    const cause = segment?.cause as { exceptions: { type: string; message: string; stack: unknown[] }[] };
    expect(cause.exceptions[0]).toMatchObject({ type: 'ValidationError', message: 'bad input: no room' });
    expect(cause.exceptions[0]?.stack[0]).toEqual(
      expect.objectContaining({
        path: expect.stringContaining('lambda-fixtures.mjs'),
        line: expect.any(Number),
      }),
    );
  });

  it('records nothing for an untraced caller of a function without active tracing', async () => {
    const s = service([fn('context', { tracing: 'PassThrough' })]);
    const sink = await s.xraySinkReady();
    const r = await s.invoke('context', {});
    expect(r.ok && (r.payload as { env: Record<string, string> }).env._X_AMZN_TRACE_ID).toMatch(
      /;Sampled=0$/,
    );
    expect(sink?.traces.size).toBe(0);
  });

  it('reuses a warm environment and keeps module state in it', async () => {
    const s = service([fn('counter')]);
    const first = await s.invoke('counter', {}, { label: 'first' });
    const second = await s.invoke('counter', {});
    expect(first).toMatchObject({ ok: true, payload: { count: 1 }, report: { cold: true, label: 'first' } });
    expect(first.report.initDurationMs).toBeGreaterThanOrEqual(0);
    expect(second).toMatchObject({ ok: true, payload: { count: 2 }, report: { cold: false } });
    expect(second.report.initDurationMs).toBeUndefined();
    expect(s.stats()).toMatchObject({ invocations: 2, coldStarts: 1, environments: 1 });
  });

  it('starts a second environment, with its own module state, for a concurrent invocation', async () => {
    const s = service([fn('sleepy')]);
    const [a, b] = await Promise.all([s.invoke('sleepy', { ms: 200 }), s.invoke('sleepy', { ms: 200 })]);
    expect(a.report.cold && b.report.cold).toBe(true);
    if (!a.ok || !b.ok) throw new Error('invocation failed');
    expect((a.payload as { environmentId: string }).environmentId).not.toBe(
      (b.payload as { environmentId: string }).environmentId,
    );
    expect(s.stats().environments).toBe(2);
  });

  it('queues invocations beyond the local environment cap instead of starting more workers', async () => {
    const s = service([fn('sleepy')], { maxEnvironmentsPerFunction: 1 });
    const results = await Promise.all([s.invoke('sleepy', { ms: 50 }), s.invoke('sleepy', { ms: 50 })]);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(results.filter((r) => r.report.cold)).toHaveLength(1);
    expect(s.stats().coldStarts).toBe(1);
  });

  it('throttles beyond the reserved concurrency like Lambda', async () => {
    const s = service([fn('sleepy', { reservedConcurrency: 1 })]);
    const results = await Promise.all([s.invoke('sleepy', { ms: 200 }), s.invoke('sleepy', { ms: 200 })]);
    const throttled = results.find((r) => !r.ok);
    expect(throttled).toMatchObject({
      ok: false,
      error: { errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.' },
      report: { outcome: 'throttled' },
    });
  });

  it('fails a timed-out invocation like Lambda and makes the next one a cold start', async () => {
    const s = service([fn('sleepy', { timeoutSeconds: 1 })]);
    const warm = await s.invoke('sleepy', { ms: 1 });
    const timedOut = await s.invoke('sleepy', { ms: 5000 });
    expect(timedOut).toMatchObject({
      ok: false,
      error: {
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${timedOut.report.requestId} Error: Task timed out after 1.00 seconds`,
      },
      report: { outcome: 'timeout', cold: false },
    });
    const next = await s.invoke('sleepy', { ms: 1 });
    expect(next.report.cold).toBe(true);
    expect(next.ok && warm.ok && next.payload).not.toEqual(warm.ok && warm.payload);
  });

  it('shapes a thrown error like Lambda: errorType, errorMessage and trace', async () => {
    const result = await service([fn('fail')]).invoke('fail', { why: 'no room' });
    expect(result).toMatchObject({
      ok: false,
      error: { errorType: 'ValidationError', errorMessage: 'bad input: no room' },
      report: { outcome: 'error' },
    });
    expect(!result.ok && result.error.trace?.[0]).toBe('ValidationError: bad input: no room');
  });

  it("puts the error's type and message in the invocation report", async () => {
    await service([fn('fail')]).invoke('fail', { why: 'no room' });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      outcome: 'error',
      errorType: 'ValidationError',
      errorMessage: 'bad input: no room',
    });
  });

  it('shapes a thrown string like Lambda', async () => {
    const result = await service([fn('failString')]).invoke('failString', {});
    expect(result).toMatchObject({
      ok: false,
      error: { errorType: 'string', errorMessage: 'just a string' },
    });
  });

  it('supports callback-style handlers up to nodejs22.x', async () => {
    const f = fn('callback', { runtime: 'nodejs22.x' });
    await expect(service([f]).invoke('callback', { n: 7 })).resolves.toMatchObject({
      ok: true,
      payload: { viaCallback: 7 },
    });
  });

  it('rejects a callback-style handler (three parameters) on nodejs24.x, as Lambda does', async () => {
    const result = await service([fn('callback', { runtime: 'nodejs24.x' })]).invoke('callback', { n: 7 });
    expect(result).toMatchObject({
      ok: false,
      error: {
        errorType: 'Runtime.CallbackHandlerDeprecated',
        errorMessage: expect.stringMatching(
          /^ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node\.js 24\./,
        ),
      },
    });
  });

  it('runs a CommonJS module', async () => {
    const f = fn('cjs', { handler: 'cjs-handler.handler' });
    const result = await service([f], {}, { cjs: 'cjs-handler.js' }).invoke('cjs', { a: 1 });
    expect(result).toMatchObject({ ok: true, payload: { ok: true, event: { a: 1 } } });
  });

  it('reports a handler that is not exported as Runtime.HandlerNotFound', async () => {
    const result = await service([fn('missing')]).invoke('missing', {});
    expect(result).toMatchObject({
      ok: false,
      error: {
        errorType: 'Runtime.HandlerNotFound',
        errorMessage: 'lambda-fixtures.missing is undefined or not exported',
      },
    });
  });

  it('reports an error during init and retries init on the next invocation', async () => {
    const f = fn('init', { handler: 'init-throws.handler' });
    const s = service([f], {}, { init: 'init-throws.mjs' });
    const first = await s.invoke('init', {});
    expect(first).toMatchObject({
      ok: false,
      error: { errorType: 'Error', errorMessage: 'TABLE_NAME is not set' },
    });
    const second = await s.invoke('init', {});
    expect(second.report.cold).toBe(true);
  });

  it('fails the invocation and replaces the environment on an unhandled rejection', async () => {
    const s = service([fn('crash')]);
    const result = await s.invoke('crash', {});
    expect(result).toMatchObject({
      ok: false,
      error: { errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: 'nobody caught me' },
      report: { outcome: 'crash' },
    });
    expect((await s.invoke('crash', {})).report.cold).toBe(true);
  });

  it('reports a result that cannot be serialised', async () => {
    const result = await service([fn('notJson')]).invoke('notJson', {});
    expect(result).toMatchObject({ ok: false, error: { errorType: 'Runtime.MarshalError' } });
  });

  it('captures console output with the request id, and raw stdout lines', async () => {
    const s = service([fn('logs')]);
    const result = await s.invoke('logs', {});
    // Lines cross from the worker on a stream: wait until they are in.
    for (let i = 0; i < 50 && logs.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    const id = result.report.requestId;
    expect(logs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^logs\\|\\d{4}-\\d\\d-\\d\\dT[^\\t]+Z\\t${id}\\tINFO\\thello world$`),
        ),
        expect.stringMatching(new RegExp(`^logs\\|[^\\t]+\\t${id}\\tERROR\\tsomething failed$`)),
        'logs|{"level":"INFO","message":"raw json"}',
      ]),
    );
  });

  it('reports every invocation', async () => {
    await service([fn('counter')]).invoke('counter', {}, { label: 'conn-1' });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      functionLogicalId: 'counter',
      functionName: 'local-counter',
      label: 'conn-1',
      cold: true,
      outcome: 'success',
      invocationType: 'RequestResponse',
      memorySizeMb: 256,
    });
    expect(reports[0]?.billedMs).toBeGreaterThanOrEqual(1);
    expect(reports[0]?.billedMs).toBe(Math.max(1, Math.ceil(reports[0]?.durationMs ?? 0)));
  });

  it('rejects an unknown function', async () => {
    await expect(service([]).invoke('nope', {})).rejects.toThrow('Function not found: nope');
    expect(() => service([]).invokeAsync('nope', {})).toThrow('Function not found: nope');
  });
});

describe('LambdaService.close', () => {
  it('stops every environment and fails invocations made afterwards', async () => {
    const s = service([fn('sleepy')]);
    await Promise.all([s.invoke('sleepy', { ms: 50 }), s.invoke('sleepy', { ms: 50 })]);
    expect(s.stats().environments).toBe(2);
    await s.close();
    expect(s.stats().environments).toBe(0);
    await expect(s.invoke('sleepy', { ms: 1 })).resolves.toMatchObject({
      ok: false,
      error: { errorType: 'ServiceException' },
    });
  });
});

describe('LambdaService.close during a cold start', () => {
  // A leaked worker thread shows up as MessagePort resources and keeps the process from exiting.
  const messagePorts = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;

  it('leaves no worker behind for an invocation that started an environment just before it', async () => {
    const before = messagePorts();
    const s = service([fn('context')]);
    await s.xraySinkReady();
    // The environment is started synchronously by invoke(); close() runs before its worker would be.
    const result = s.invoke('context', {});
    await s.close();
    await expect(result).resolves.toMatchObject({
      ok: false,
      error: { errorType: 'ServiceException', errorMessage: 'The local stack is stopping' },
      report: { outcome: 'crash', errorType: 'ServiceException' },
    });
    expect(s.stats().environments).toBe(0);
    expect(messagePorts()).toBe(before);
  });

  it('does not retry or dead-letter an async invocation cut short by close', async () => {
    const deadLetters: string[] = [];
    const s = service([fn('fail')], {
      asyncRetryDelaysMs: [10, 10],
      deadLetter: async (arn) => {
        deadLetters.push(arn);
      },
    });
    s.invokeAsync('fail', { why: 'stopping' });
    await s.close();
    await s.drain();
    expect(s.stats()).toMatchObject({ asyncRetries: 0, deadLetters: 0, environments: 0 });
    expect(deadLetters).toEqual([]);
    expect(reports.map((r) => r.outcome)).toEqual(['crash']);
  });
});

describe('LambdaService.invokeAsync', () => {
  it('retries a failing async invocation, then sends the event to the DLQ and the record to OnFailure', async () => {
    const dead: { arn: string; body: string; attributes: Record<string, string> }[] = [];
    const f = fn('fail', {
      asyncConfig: {
        maximumRetryAttempts: 2,
        maximumEventAgeSeconds: 60,
        deadLetterArn: 'arn:aws:sqs:us-east-1:123456789012:dlq',
        onFailureArn: 'arn:aws:sqs:us-east-1:123456789012:on-failure',
      },
    });
    const s = service([f], {
      asyncRetryDelaysMs: [10, 20],
      deadLetter: async (arn, payload) => {
        dead.push({ arn, ...payload });
      },
    });
    s.invokeAsync('fail', { why: 'always' }, { label: 'evt' });
    await s.drain();
    expect(reports.map((r) => [r.invocationType, r.attempt, r.outcome])).toEqual([
      ['Event', 1, 'error'],
      ['Event', 2, 'error'],
      ['Event', 3, 'error'],
    ]);
    // Lambda keeps the request id across the retries of one event.
    expect(new Set(reports.map((r) => r.requestId)).size).toBe(1);
    const requestId = reports[0]?.requestId;
    expect(dead).toHaveLength(2);
    expect(dead[0]).toEqual({
      arn: 'arn:aws:sqs:us-east-1:123456789012:dlq',
      body: JSON.stringify({ why: 'always' }),
      attributes: { RequestID: requestId, ErrorCode: '200', ErrorMessage: 'bad input: always' },
    });
    expect(dead[1]?.arn).toBe('arn:aws:sqs:us-east-1:123456789012:on-failure');
    expect(JSON.parse(dead[1]?.body ?? '')).toMatchObject({
      version: '1.0',
      requestContext: {
        requestId,
        functionArn: `${f.arn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { why: 'always' },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'ValidationError', errorMessage: 'bad input: always' },
    });
    expect(s.stats()).toMatchObject({ asyncInvocations: 1, asyncRetries: 2, deadLetters: 2 });
  });

  it('does not retry when MaximumRetryAttempts is 0 and stops at the maximum event age', async () => {
    const dead: string[] = [];
    const s = service(
      [
        fn('fail', {
          asyncConfig: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60, onFailureArn: 'arn:a' },
        }),
        fn('failString', {
          asyncConfig: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 1, onFailureArn: 'arn:b' },
        }),
      ],
      { asyncRetryDelaysMs: [5000], deadLetter: async (_arn, p) => void dead.push(p.body) },
    );
    s.invokeAsync('fail', { why: 'once' });
    s.invokeAsync('failString', {});
    await s.drain();
    expect(reports).toHaveLength(2);
    const conditions = dead.map((b) => JSON.parse(b).requestContext.condition).sort();
    expect(conditions).toEqual(['EventAgeExceeded', 'RetriesExhausted']);
  });

  it('succeeds without dead-lettering and drain waits for it', async () => {
    const deadLetter = jest.fn(async () => undefined);
    const s = service([fn('sleepy')], { deadLetter });
    s.invokeAsync('sleepy', { ms: 100 });
    await s.drain();
    expect(reports).toEqual([expect.objectContaining({ outcome: 'success', invocationType: 'Event' })]);
    expect(deadLetter).not.toHaveBeenCalled();
  });
});
