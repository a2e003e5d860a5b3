import { AsyncInvoker, AWS_ASYNC_RETRY_DELAYS_MS } from '../../../../local/lambda/async-invoker';
import type { InvocationReport, InvokeResult, LambdaCounters } from '../../../../local/lambda/types';
import type { FunctionModel } from '../../../../local/template/types';

const fn = {
  logicalId: 'Fn',
  asyncConfig: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600, deadLetterArn: 'arn:dlq' },
} as FunctionModel;

const counters = (): LambdaCounters => ({
  invocations: 0,
  errors: 0,
  timeouts: 0,
  throttles: 0,
  coldStarts: 0,
  asyncInvocations: 0,
  asyncRetries: 0,
  deadLetters: 0,
});

const failure: InvokeResult = {
  ok: false,
  error: { errorType: 'Runtime.ExitError', errorMessage: 'killed' },
  report: { outcome: 'crash' } as InvocationReport,
};

describe('AsyncInvoker', () => {
  afterEach(() => jest.useRealTimers());

  it('waits as AWS Lambda does by default: 1 minute before the first retry, 2 more before the second', async () => {
    // Prepare
    jest.useFakeTimers();
    const attempts: number[] = [];
    const dead: string[] = [];
    const stats = counters();
    const invoker = new AsyncInvoker({
      run: async (_fn, _event, { attempt }) => {
        attempts.push(attempt);
        return failure;
      },
      counters: () => stats,
      deadLetter: async (arn) => void dead.push(arn),
    });

    // Act
    invoker.invoke(fn, { id: 'e' }, undefined);
    await jest.advanceTimersByTimeAsync(59_999);
    const beforeFirstRetry = [...attempts];
    await jest.advanceTimersByTimeAsync(1);
    const afterFirstRetry = [...attempts];
    await jest.advanceTimersByTimeAsync(119_999);
    const beforeSecondRetry = [...attempts];
    await jest.advanceTimersByTimeAsync(1);
    await invoker.drain();

    // Assert
    expect(AWS_ASYNC_RETRY_DELAYS_MS).toEqual([60_000, 120_000]);
    expect(beforeFirstRetry).toEqual([1]);
    expect(afterFirstRetry).toEqual([1, 2]);
    expect(beforeSecondRetry).toEqual([1, 2]);
    expect(attempts).toEqual([1, 2, 3]);
    expect(dead).toEqual(['arn:dlq']);
  });
});
