import { backoffDelay, sleep as realSleep, type Sleep } from '../shared/backoff';
import { forEachConcurrent } from '../shared/concurrency';
import type { ChatEventDetail } from './chat-events';
import { membersFrame } from './frames';
import type { ConnectionSender, ConnectionStore } from './ports';
import { sortMembers } from './rules';

export interface ThrottleRetryOptions {
  /** Deferred passes over the recipients that answered 429, after everyone else has been served. */
  rounds: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep?: Sleep;
  random?: () => number;
}

export interface FanOutOptions {
  store: ConnectionStore;
  sender: ConnectionSender;
  /** Called once for every connection that turned out to be gone (the chat's leave logic). */
  onGone: (connectionId: string, detail: ChatEventDetail) => Promise<void>;
  concurrency: number;
  now?: () => number;
  throttleRetry?: Partial<ThrottleRetryOptions>;
}

export interface FanOutResult {
  recipients: number;
  framesSent: number;
  gone: number;
  /** Recipients still throttled (429) after every deferred pass: given up, they miss these frames. */
  throttled: number;
  /** The first few of them, for the log line. */
  throttledConnectionIds: string[];
}

// About 1.5 s of extra waiting in total for a reader whose buffer stays full: long enough for a
// browser on a slow link to drain a few frames, short next to the invocation timeout.
const DEFAULT_THROTTLE_RETRY: ThrottleRetryOptions = { rounds: 4, baseDelayMs: 100, maxDelayMs: 1000 };
const LOGGED_THROTTLED_IDS = 20;

interface Deferred {
  connectionId: string;
  /** The first frame not yet delivered (one connection's frames go in order). */
  next: number;
}

/**
 * Delivers one chat event to its audience: the connections of one shard (read page by page from
 * the shard index) or the named connections, with a bounded number of posts in flight. A recipient
 * that answers 429 (a slow reader with a full buffer, or the account's rate) is set aside and
 * retried after the others, in a few passes with backoff; one that stays throttled is given up and
 * counted, so it neither holds a lane nor fails the delivery to everyone else.
 */
export class FanOut {
  readonly #options: FanOutOptions;
  readonly #retry: ThrottleRetryOptions;

  constructor(options: FanOutOptions) {
    this.#options = options;
    this.#retry = { ...DEFAULT_THROTTLE_RETRY, ...options.throttleRetry };
  }

  async deliver(detail: ChatEventDetail): Promise<FanOutResult> {
    const { store, sender, onGone, concurrency } = this.#options;
    const now = this.#options.now ?? Date.now;
    const frames: object[] = [...detail.frames];
    if (detail.includeMembers) {
      frames.push(membersFrame(sortMembers(await store.listMembers(Math.floor(now() / 1000)))));
    }
    // Serialised once per event, never per recipient.
    const payloads = frames.map((frame) => JSON.stringify(frame));

    const result: FanOutResult = {
      recipients: 0,
      framesSent: 0,
      gone: 0,
      throttled: 0,
      throttledConnectionIds: [],
    };
    let deferred: Deferred[] = [];
    /** Sends frames from `from` on; returns the index of a throttled frame, or -1 when done. */
    const deliverFrom = async (connectionId: string, from: number): Promise<number> => {
      for (let i = from; i < payloads.length; i++) {
        const outcome = await sender.send(connectionId, payloads[i] as string);
        if (outcome === 'throttled') return i;
        if (outcome === 'gone') {
          result.gone += 1;
          await onGone(connectionId, detail);
          return -1;
        }
        result.framesSent += 1;
      }
      return -1;
    };

    await forEachConcurrent(this.#recipients(detail), concurrency, async (connectionId) => {
      result.recipients += 1;
      const next = await deliverFrom(connectionId, 0);
      if (next >= 0) deferred.push({ connectionId, next });
    });

    const { rounds, sleep = realSleep, random = Math.random } = this.#retry;
    for (let round = 1; round <= rounds && deferred.length > 0; round++) {
      await sleep(this.#deferredDelay(round, random));
      const still: Deferred[] = [];
      await forEachConcurrent(deferred, concurrency, async ({ connectionId, next: from }) => {
        const next = await deliverFrom(connectionId, from);
        if (next >= 0) still.push({ connectionId, next });
      });
      deferred = still;
    }
    result.throttled = deferred.length;
    result.throttledConnectionIds = deferred.slice(0, LOGGED_THROTTLED_IDS).map((d) => d.connectionId);
    return result;
  }

  /** Half fixed, half jitter: a full buffer needs real time to drain, so never wait (almost) zero. */
  #deferredDelay(round: number, random: () => number): number {
    const options = { baseMs: this.#retry.baseDelayMs, maxMs: this.#retry.maxDelayMs };
    const cap = Math.min(options.maxMs, options.baseMs * 2 ** (round - 1));
    return Math.floor(cap / 2 + backoffDelay(round, options, random) / 2);
  }

  async *#recipients(detail: ChatEventDetail): AsyncGenerator<string> {
    const { audience } = detail;
    if (audience.kind === 'connections') {
      yield* new Set(audience.connectionIds);
      return;
    }
    for await (const page of this.#options.store.connectionPages(audience.shard)) yield* page;
  }
}
