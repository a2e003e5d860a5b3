import {
  type ApiGatewayManagementApiClient,
  ForbiddenException,
  GoneException,
  LimitExceededException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionSender, SendResult } from '../chat/ports';
import { backoffDelay, sleep as realSleep, type Sleep } from '../shared/backoff';

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly connectionId: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

export interface RetryPolicyOptions {
  /** Retries of transient failures (5xx, network, timeouts). */
  failureRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: Sleep;
  random?: () => number;
  /** Told of every failed attempt that is retried (the invocation's summary log counts them). */
  onRetry?: (connectionId: string, error: unknown) => void;
}

/** One attempt's outcome: an answer, or a failure that a retry may (5xx, network) or cannot fix (403, 413). */
export type PostOutcome = SendResult | { error: unknown; retryable: boolean };

const errorName = (error: unknown) => (error instanceof Error ? error.name : typeof error);

/**
 * The retry policy of every sender, in one place: 410 is an answer ('gone'), 429 is an answer too
 * ('throttled': the fan-out retries it after the others), 403/413 fail at once, anything else is
 * retried a few times with backoff and then thrown so the invocation fails visibly.
 */
export const sendWithRetryPolicy = (
  connectionId: string,
  attempt: () => Promise<PostOutcome>,
  options: RetryPolicyOptions = {},
): Promise<SendResult> => {
  // The first attempt's answer is returned as it comes, without another async frame: in a fan-out
  // nearly every post is answered on its first attempt, and each promise costs CPU per recipient.
  let first: Promise<PostOutcome>;
  try {
    first = attempt();
  } catch (error) {
    return retryAfterFailure(connectionId, attempt, options, { error, retryable: true });
  }
  return first.then(
    (outcome) =>
      typeof outcome === 'string' ? outcome : retryAfterFailure(connectionId, attempt, options, outcome),
    (error: unknown) => retryAfterFailure(connectionId, attempt, options, { error, retryable: true }),
  );
};

const retryAfterFailure = async (
  connectionId: string,
  attempt: () => Promise<PostOutcome>,
  options: RetryPolicyOptions,
  first: Exclude<PostOutcome, SendResult>,
): Promise<SendResult> => {
  const retries = options.failureRetries ?? 2;
  const delay = { baseMs: options.baseDelayMs ?? 25, maxMs: options.maxDelayMs ?? 2000 };
  let failed = 0;
  let outcome: PostOutcome = first;
  for (;;) {
    if (typeof outcome === 'string') return outcome;
    const { error, retryable } = outcome;
    if (!retryable) {
      throw new DeliveryError(`PostToConnection failed: ${errorName(error)}`, connectionId, { cause: error });
    }
    failed += 1;
    if (failed > retries) {
      throw new DeliveryError(`PostToConnection failed ${failed} times: ${errorName(error)}`, connectionId, {
        cause: error,
      });
    }
    options.onRetry?.(connectionId, error);
    await (options.sleep ?? realSleep)(backoffDelay(failed, delay, options.random ?? Math.random));
    try {
      outcome = await attempt();
    } catch (error) {
      outcome = { error, retryable: true };
    }
  }
};

/** PostToConnection through the AWS SDK client (built with maxAttempts 1: the policy above retries). */
export class ApiGatewayConnectionSender implements ConnectionSender {
  constructor(
    private readonly client: ApiGatewayManagementApiClient,
    private readonly options: RetryPolicyOptions = {},
  ) {}

  send(connectionId: string, data: string): Promise<SendResult> {
    return sendWithRetryPolicy(connectionId, () => this.#post(connectionId, data), this.options);
  }

  async #post(connectionId: string, data: string): Promise<PostOutcome> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
      return 'sent';
    } catch (error) {
      if (error instanceof GoneException) return 'gone';
      if (error instanceof LimitExceededException) return 'throttled';
      // By status, not only by class: API Gateway also answers 403 with types the client does not
      // model (InvalidSignatureException, UnrecognizedClientException…), and a retry cannot fix those.
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      return {
        error,
        retryable: !(
          error instanceof PayloadTooLargeException ||
          error instanceof ForbiddenException ||
          status === 403 ||
          status === 413
        ),
      };
    }
  }
}
