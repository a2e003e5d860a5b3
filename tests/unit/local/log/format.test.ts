import {
  describeInvocationError,
  formatFunctionLogLine,
  formatInvocationLine,
  invocationLine,
} from '../../../../local/log';

describe('formatFunctionLogLine', () => {
  it('turns a Powertools JSON line into level, message and the extra keys', () => {
    const line = JSON.stringify({
      level: 'INFO',
      message: 'name set',
      timestamp: '2026-11-25T21:00:00.000Z',
      service: 'chat',
      cold_start: true,
      function_name: 'chat-api',
      function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
      xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      connectionId: 'BFaT_fALIAMCKug=',
      attempt: 2,
      detail: { a: 1 },
    });
    expect(formatFunctionLogLine(line)).toBe(
      'INFO name set connectionId=BFaT_fALIAMCKug= attempt=2 detail={"a":1}',
    );
  });

  it('quotes values with spaces', () => {
    expect(formatFunctionLogLine('{"level":"WARN","message":"m","reason":"two words"}')).toBe(
      'WARN m reason="two words"',
    );
  });

  it('reads the Lambda runtime text format', () => {
    const line = '2026-11-25T21:00:00.000Z\tc6af9ac6-7b61-11e6-9a41-93e812345678\tERROR\tsomething broke';
    expect(formatFunctionLogLine(line)).toBe('ERROR something broke');
  });

  it('reads a JSON line inside the runtime text format', () => {
    const line =
      '2026-11-25T21:00:00.000Z\tc6af9ac6-7b61-11e6-9a41-93e812345678\tINFO\t{"level":"DEBUG","message":"x"}';
    expect(formatFunctionLogLine(line)).toBe('DEBUG x');
  });

  it('leaves other lines as they are', () => {
    expect(formatFunctionLogLine('plain text')).toBe('plain text');
    expect(formatFunctionLogLine('{not json}')).toBe('{not json}');
    expect(formatFunctionLogLine('{"a":1}')).toBe('{"a":1}');
  });
});

describe('formatInvocationLine', () => {
  it('shows function, route, duration, cold or warm and the outcome', () => {
    const text = formatInvocationLine({
      functionName: 'ChatApiFunction',
      label: 'sendPublic',
      durationMs: 12.34,
      cold: true,
      ok: true,
    });
    expect(text).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}ChatApiFunction {2}sendPublic {2}12 ms {2}cold {2}ok$/);
  });

  it('names the error of a failed invocation', () => {
    const text = formatInvocationLine({
      functionName: 'F',
      durationMs: 3.21,
      cold: false,
      ok: false,
      error: 'TypeError: x is undefined',
    });
    expect(text).toContain('3.2 ms  warm  error: TypeError: x is undefined');
  });
});

describe('describeInvocationError', () => {
  it('joins the error type and message, so a failed async invocation says why on its line', () => {
    const error = describeInvocationError(
      'ConditionalCheckFailedException',
      'The conditional request failed',
    );
    expect(error).toBe('ConditionalCheckFailedException: The conditional request failed');
    expect(
      formatInvocationLine({
        functionName: 'BroadcasterFunction',
        durationMs: 40,
        cold: false,
        ok: false,
        error,
      }),
    ).toContain('error: ConditionalCheckFailedException: The conditional request failed');
  });

  it('keeps the first line of a long message, shortened', () => {
    const error = describeInvocationError('Error', `${'x'.repeat(300)}\n    at handler (index.js:1:1)`);
    expect(error).toBe(`Error: ${'x'.repeat(199)}…`);
  });

  it('shows whichever of type and message it has', () => {
    expect(describeInvocationError('Sandbox.Timedout', '')).toBe('Sandbox.Timedout');
    expect(describeInvocationError(undefined, 'no type')).toBe('no type');
    expect(describeInvocationError(undefined, undefined)).toBeUndefined();
  });
});

describe('invocationLine', () => {
  const base = { label: 'sendmessage', durationMs: 12, cold: false, outcome: 'success' };
  const shown = (result: Parameters<typeof invocationLine>[1]) =>
    formatInvocationLine(invocationLine('SendMessageFunction', result));

  it('shows a success as ok', () => {
    expect(shown({ ...base, statusCode: 200 })).toMatch(/ ok$/);
  });

  it("shows a 500 the function answered as a failure, with the body's first line", () => {
    const line = shown({
      ...base,
      statusCode: 500,
      responseBodyLine: 'Error: getaddrinfo ENOTFOUND abc.execute-api.us-east-1.amazonaws.com',
    });
    expect(line).not.toMatch(/ ok$/);
    expect(line).toMatch(/status 500: Error: getaddrinfo ENOTFOUND abc\.execute-api/);
  });

  it('shows an invocation that logged an error as a failure, with the error', () => {
    const line = shown({ ...base, statusCode: 200, loggedError: 'Failed to connect Error: boom\n    at x' });
    expect(line).toMatch(/logged an error: Failed to connect Error: boom$/);
  });

  it("keeps a failed invocation's own error", () => {
    const line = shown({ ...base, outcome: 'timeout', errorType: 'Sandbox.Timedout', errorMessage: 'late' });
    expect(line).toMatch(/timeout: Sandbox\.Timedout: late$/);
  });
});
