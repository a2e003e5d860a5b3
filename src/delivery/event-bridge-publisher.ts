import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { CHAT_EVENT_SOURCE, type ChatEvent } from '../chat/chat-events';
import type { ChatEventPublisher } from '../chat/ports';
import { backoffDelay, sleep as realSleep, type Sleep } from '../shared/backoff';

/** PutEvents accepts at most 10 entries per call. */
export const MAX_ENTRIES_PER_CALL = 10;
/** Failed entries worth resending; anything else (MalformedDetail, AccessDenied…) will fail again. */
export const RETRYABLE_ENTRY_ERRORS = new Set(['InternalFailure', 'ThrottlingException']);

export class EventPublishError extends Error {
  override readonly name = 'EventPublishError';
  constructor(
    message: string,
    readonly failures: { detailType?: string; errorCode?: string; errorMessage?: string }[],
  ) {
    super(message);
  }
}

export interface EventBridgePublisherOptions {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: Sleep;
}

const describe = (failed: { entry: PutEventsRequestEntry; result: PutEventsResultEntry }[]) =>
  failed.map(({ entry, result }) => ({
    detailType: entry.DetailType,
    errorCode: result.ErrorCode,
    errorMessage: result.ErrorMessage,
  }));

export class EventBridgePublisher implements ChatEventPublisher {
  readonly #maxAttempts: number;
  readonly #delay: { baseMs: number; maxMs: number };
  readonly #sleep: Sleep;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
    options: EventBridgePublisherOptions = {},
  ) {
    this.#maxAttempts = options.maxAttempts ?? 4;
    this.#delay = { baseMs: options.baseDelayMs ?? 50, maxMs: options.maxDelayMs ?? 1000 };
    this.#sleep = options.sleep ?? realSleep;
  }

  async publish(events: ChatEvent[]): Promise<void> {
    const entries: PutEventsRequestEntry[] = events.map((event) => ({
      EventBusName: this.eventBusName,
      Source: CHAT_EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
    }));
    const chunks: PutEventsRequestEntry[][] = [];
    for (let i = 0; i < entries.length; i += MAX_ENTRIES_PER_CALL) {
      chunks.push(entries.slice(i, i + MAX_ENTRIES_PER_CALL));
    }
    // Chunks go out in parallel so a publish costs one round trip for up to 10 shards per call.
    const outcomes = await Promise.allSettled(chunks.map((chunk) => this.#putChunk(chunk)));
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
  }

  async #putChunk(chunk: PutEventsRequestEntry[]): Promise<void> {
    let pending = chunk;
    for (let attempt = 1; ; attempt++) {
      const response = await this.client.send(new PutEventsCommand({ Entries: pending }));
      if (!response.FailedEntryCount) return;
      const results = response.Entries ?? [];
      // Response entries are in request order; an entry with an ErrorCode failed.
      const failed = pending
        .map((entry, index) => ({ entry, result: results[index] ?? { ErrorCode: 'MissingResultEntry' } }))
        .filter(({ result }) => result.ErrorCode !== undefined);
      const permanent = failed.filter(({ result }) => !RETRYABLE_ENTRY_ERRORS.has(String(result.ErrorCode)));
      if (permanent.length > 0) {
        throw new EventPublishError(
          `PutEvents rejected ${permanent.length} chat event(s): ${permanent.map((f) => f.result.ErrorCode).join(', ')}`,
          describe(permanent),
        );
      }
      if (attempt >= this.#maxAttempts) {
        throw new EventPublishError(
          `PutEvents still failing for ${failed.length} chat event(s) after ${attempt} attempts: ${failed
            .map((f) => f.result.ErrorCode)
            .join(', ')}`,
          describe(failed),
        );
      }
      pending = failed.map(({ entry }) => entry);
      await this.#sleep(backoffDelay(attempt, this.#delay));
    }
  }
}
