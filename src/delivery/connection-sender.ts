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

export interface SenderOptions {
  /** Retries of transient failures (5xx, network, timeouts). */
  failureRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: Sleep;
  random?: () => number;
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : typeof error);

/**
 * PostToConnection with the retry policy in one place (the client is built with maxAttempts 1):
 * 410 is an answer ('gone'), 429 is an answer too ('throttled': the fan-out retries it after the
 * others), 403/413 fail at once, anything else is retried a few times and then thrown so the
 * invocation fails visibly.
 */
export class ApiGatewayConnectionSender implements ConnectionSender {
  readonly #failureRetries: number;
  readonly #delay: { baseMs: number; maxMs: number };
  readonly #sleep: Sleep;
  readonly #random: () => number;

  constructor(
    private readonly client: ApiGatewayManagementApiClient,
    options: SenderOptions = {},
  ) {
    this.#failureRetries = options.failureRetries ?? 2;
    this.#delay = { baseMs: options.baseDelayMs ?? 25, maxMs: options.maxDelayMs ?? 2000 };
    this.#sleep = options.sleep ?? realSleep;
    this.#random = options.random ?? Math.random;
  }

  async send(connectionId: string, data: string): Promise<SendResult> {
    let failed = 0;
    for (;;) {
      try {
        await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
        return 'sent';
      } catch (error) {
        if (error instanceof GoneException) return 'gone';
        if (error instanceof LimitExceededException) return 'throttled';
        if (error instanceof PayloadTooLargeException || error instanceof ForbiddenException) {
          throw new DeliveryError(`PostToConnection failed: ${errorName(error)}`, connectionId, {
            cause: error,
          });
        }
        failed += 1;
        if (failed > this.#failureRetries) {
          throw new DeliveryError(
            `PostToConnection failed ${failed} times: ${errorName(error)}`,
            connectionId,
            { cause: error },
          );
        }
        await this.#sleep(backoffDelay(failed, this.#delay, this.#random));
      }
    }
  }
}
