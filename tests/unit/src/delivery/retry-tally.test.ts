import { type PostOutcome, sendWithRetryPolicy } from '../../../../src/delivery/connection-sender';
import { RetryTally } from '../../../../src/delivery/retry-tally';

const noWait = { sleep: async () => {}, random: () => 0 };
const timeout = Object.assign(new Error('PostToConnection did not answer in 5000 ms'), {
  name: 'TimeoutError',
});
const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

/** An attempt that answers each outcome in turn (a thrown error for an Error). */
const attempts = (...outcomes: (PostOutcome | Error)[]) => {
  let call = 0;
  return async (): Promise<PostOutcome> => {
    const outcome = outcomes[call++];
    if (outcome instanceof Error) throw outcome;
    return outcome as PostOutcome;
  };
};

describe('counting retried posts', () => {
  it('counts every failed attempt that was retried, by cause', async () => {
    const tally = new RetryTally();
    const options = { ...noWait, onRetry: tally.record };

    await expect(sendWithRetryPolicy('A=', attempts(timeout, 'sent'), options)).resolves.toBe('sent');
    await expect(sendWithRetryPolicy('B=', attempts(reset, timeout, 'gone'), options)).resolves.toBe('gone');
    await expect(
      sendWithRetryPolicy('C=', attempts({ error: new Error('x'), retryable: true }, 'sent'), options),
    ).resolves.toBe('sent');

    expect(tally.take()).toEqual({
      retriedPosts: 4,
      retryCauses: { TimeoutError: 2, ECONNRESET: 1, Error: 1 },
    });
  });

  it('does not count answers, failures a retry cannot fix, or the last failure before giving up', async () => {
    const tally = new RetryTally();
    const options = { ...noWait, failureRetries: 1, onRetry: tally.record };

    await sendWithRetryPolicy('A=', attempts('throttled'), options);
    await expect(
      sendWithRetryPolicy('B=', attempts({ error: new Error('forbidden'), retryable: false }), options),
    ).rejects.toThrow('PostToConnection failed');
    await expect(sendWithRetryPolicy('C=', attempts(timeout, timeout), options)).rejects.toThrow('2 times');

    expect(tally.take()).toEqual({ retriedPosts: 1, retryCauses: { TimeoutError: 1 } });
  });

  it('starts again from zero after each take, so each invocation logs its own', async () => {
    const tally = new RetryTally();
    await sendWithRetryPolicy('A=', attempts(timeout, 'sent'), { ...noWait, onRetry: tally.record });

    expect(tally.take().retriedPosts).toBe(1);
    expect(tally.take()).toEqual({ retriedPosts: 0 });
  });
});
