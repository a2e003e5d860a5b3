import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { CHAT_EVENT_SOURCE, type ChatEvent } from '../chat/chat-events';
import type { ChatEventPublisher } from '../chat/ports';
import { backoffDelay, sleep as realSleep, type Sleep } from '../shared/backoff';
import type { UnpublishedEvent, UnpublishedEventSink } from './unpublished-events';

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
  /**
   * Where entries go that EventBridge would not take (retries exhausted, or rejected outright).
   * Without one, such entries make `publish` throw. With one, they are parked there and `publish`
   * resolves: the other entries of the call (a join's announcement and the joiner's list) may be on
   * the bus and being delivered by then, throwing would not undo that, only lose the rest; and a
   * leave has nobody who could resend it.
   */
  unpublished?: UnpublishedEventSink;
  /** Told of every batch of parked events, after it is parked (to tell the caller, and log it). */
  onParked?: (events: UnpublishedEvent[]) => void;
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

/**
 * What became of one chunk: how many of its entries will reach their audience (taken by the bus, or
 * parked for a re-drive), and what a failed call left pending.
 */
interface ChunkOutcome {
  settled: number;
  callFailed?: { error: unknown; pending: PutEventsRequestEntry[] };
}

export class EventBridgePublisher implements ChatEventPublisher {
  readonly #maxAttempts: number;
  readonly #delay: { baseMs: number; maxMs: number };
  readonly #sleep: Sleep;
  readonly #unpublished: UnpublishedEventSink | undefined;
  readonly #onParked: ((events: UnpublishedEvent[]) => void) | undefined;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
    options: EventBridgePublisherOptions = {},
  ) {
    this.#maxAttempts = options.maxAttempts ?? 4;
    this.#delay = { baseMs: options.baseDelayMs ?? 50, maxMs: options.maxDelayMs ?? 1000 };
    this.#sleep = options.sleep ?? realSleep;
    this.#unpublished = options.unpublished;
    this.#onParked = options.onParked;
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
    const rejected = outcomes.find((outcome) => outcome.status === 'rejected');
    if (rejected) throw (rejected as PromiseRejectedResult).reason;
    const done = outcomes.map((outcome) => (outcome as PromiseFulfilledResult<ChunkOutcome>).value);
    const failedCalls = done.flatMap((outcome) => (outcome.callFailed ? [outcome.callFailed] : []));
    const [first] = failedCalls;
    if (!first) return;
    // Nothing reached the bus: the request fails as a whole, and a resend duplicates nothing.
    const settled = done.reduce((sum, outcome) => sum + outcome.settled, 0);
    if (settled === 0 || !this.#unpublished) throw first.error;
    // Part of the batch is on the bus (another chunk, or an earlier attempt of this one): the rest is
    // parked like entries that failed every retry. A call that failed on its way back may have been
    // taken after all; a re-drive then repeats frames with the same ids, which clients drop.
    const lost = failedCalls.flatMap(({ error, pending }) =>
      pending.map((entry) => ({
        entry,
        result: { ErrorCode: (error as Error).name ?? 'Error', ErrorMessage: (error as Error).message },
      })),
    );
    await this.#giveUp(
      lost,
      `PutEvents failed for ${lost.length} chat event(s): ${(first.error as Error).message}`,
    );
  }

  async #putChunk(chunk: PutEventsRequestEntry[]): Promise<ChunkOutcome> {
    let pending = chunk;
    let settled = 0;
    for (let attempt = 1; ; attempt++) {
      let response: PutEventsCommandOutput;
      try {
        response = await this.client.send(new PutEventsCommand({ Entries: pending }));
      } catch (error) {
        // The call itself failed (after the SDK's own retries): publish decides, knowing the others.
        return { settled, callFailed: { error, pending } };
      }
      if (!response.FailedEntryCount) return { settled: settled + pending.length };
      // The bus is failing entries: let the parking sink get ready while the retries back off.
      if (attempt === 1) this.#unpublished?.prepare?.();
      const results = response.Entries ?? [];
      // Response entries are in request order; an entry with an ErrorCode failed.
      const failed = pending
        .map((entry, index) => ({ entry, result: results[index] ?? { ErrorCode: 'MissingResultEntry' } }))
        .filter(({ result }) => result.ErrorCode !== undefined);
      const permanent = failed.filter(({ result }) => !RETRYABLE_ENTRY_ERRORS.has(String(result.ErrorCode)));
      const retryable = failed.filter(({ result }) => RETRYABLE_ENTRY_ERRORS.has(String(result.ErrorCode)));
      settled += pending.length - retryable.length;
      if (permanent.length > 0) {
        await this.#giveUp(
          permanent,
          `PutEvents rejected ${permanent.length} chat event(s): ${permanent.map((f) => f.result.ErrorCode).join(', ')}`,
        );
      }
      if (retryable.length === 0) return { settled };
      if (attempt >= this.#maxAttempts) {
        await this.#giveUp(
          retryable,
          `PutEvents still failing for ${retryable.length} chat event(s) after ${attempt} attempts: ${retryable
            .map((f) => f.result.ErrorCode)
            .join(', ')}`,
        );
        return { settled: settled + retryable.length };
      }
      pending = retryable.map(({ entry }) => entry);
      await this.#sleep(backoffDelay(attempt, this.#delay));
    }
  }

  /** Parks entries EventBridge would not take, or throws when there is nowhere to park them. */
  async #giveUp(failed: { entry: PutEventsRequestEntry; result: PutEventsResultEntry }[], why: string) {
    if (!this.#unpublished) throw new EventPublishError(why, describe(failed));
    const events: UnpublishedEvent[] = failed.map(({ entry, result }) => ({
      entry,
      errorCode: String(result.ErrorCode),
      ...(result.ErrorMessage ? { errorMessage: result.ErrorMessage } : {}),
    }));
    try {
      await this.#unpublished.park(events);
    } catch (error) {
      // Nowhere durable to keep them: the caller must fail visibly (an Internal server error).
      throw new EventPublishError(
        `${why}; parking them failed too: ${(error as Error).message}`,
        describe(failed),
      );
    }
    this.#onParked?.(events);
  }
}
