import { backoffDelay, sleep as realSleep, type Sleep } from '../shared/backoff';
import { forEachConcurrent } from '../shared/concurrency';
import type { ChatEvent, ChatEventDetail, DetailType, PresenceChange, PresenceDetail } from './chat-events';
import { membersFrame, membersPages, presenceFrame } from './frames';
import type { ChatEventPublisher, ConnectionSender, ConnectionStore, PresenceQueue } from './ports';
import { applyPresenceChange } from './presence';
import { sortMembers } from './rules';
import {
  type AudienceRange,
  type ConnectionKey,
  deliveriesFor,
  partKey,
  shardRange,
  splitAudience,
  WHOLE_AUDIENCE,
} from './sharding';

/** Audiences up to this many members get full `members` frames; larger ones get deltas. */
export const DEFAULT_PRESENCE_FULL_LIST_MAX = 100;
/** A room larger than this is split over parallel deliveries (docs/architecture.md, "Fan-out"). */
export const DEFAULT_RECIPIENTS_PER_DELIVERY = 2_000;
/**
 * At most this many parallel deliveries per broadcast, whatever the audience: about 10 reach API
 * Gateway's account throttle (docs/benchmarks.md, projection); more cost GB-seconds, not speed.
 */
export const DEFAULT_MAX_PARALLEL_DELIVERIES = 10;

/** How a room event is split over parallel deliveries (without it, one invocation delivers all). */
export interface SplitOptions {
  /** Publishes the parts (one PutEvents entry each) for other invocations to deliver. */
  publisher: ChatEventPublisher;
  recipientsPerDelivery?: number;
  maxParallelDeliveries?: number;
}

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
  /** The shard index partitions to read (ShardCount): connections are written to 0..shardCount-1. */
  shardCount: number;
  split?: SplitOptions;
  /** Called once for every connection that turned out to be gone (the chat's leave logic). */
  onGone: (connectionId: string, detail: ChatEventDetail) => Promise<void>;
  concurrency: number;
  /** The presence threshold (PRESENCE_FULL_LIST_MAX): see docs/protocol.md, "Members list". */
  presenceFullListMax?: number;
  /**
   * Where a large room's presence events go to be coalesced (docs/architecture.md, "Presence").
   * Without it a large room gets one delta per change, as before coalescing.
   */
  presenceQueue?: PresenceQueue;
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
  /** A room too large for one delivery: the parts published instead (this invocation sent nothing). */
  parts?: number;
  /** A large room's presence event: queued to PresenceQueue instead (this invocation sent nothing). */
  queued?: number;
}

/** The result of sending frames to named connections: those whose posts failed are listed, not thrown. */
export interface SendToResult extends FanOutResult {
  failed: { connectionId: string; error: unknown }[];
}

/** How many members a presence event's room has, as far as `listMembersUpTo(threshold)` tells. */
export type RoomSize = { names: string[]; more: boolean };

/**
 * `queueIfLarge`'s answer: the result of a queued event, or the room size read for it (which the
 * caller passes on to `deliver` as `decided`, so it is not read twice).
 */
export type QueueDecision = FanOutResult | { size: RoomSize | undefined };

/** The EventBridge event being delivered: its id keys the parts of a split. */
export interface DeliveredEvent {
  id: string;
  detailType: DetailType;
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

/** The payloads one recipient gets, in order. */
type Payloads = (connectionId: string) => readonly string[];

// Moved to presence.ts with the rest of presence; re-exported for existing importers.
export { applyPresenceChange } from './presence';

/**
 * Delivers one chat event to its audience, with a bounded number of posts in flight. A room event
 * first reads the whole audience from the shard index (one Query while it is small, about 15,000
 * connections a page); up to `recipientsPerDelivery` it delivers them itself, above that it
 * publishes one `range` part per `recipientsPerDelivery` and delivers nothing. A part (or a legacy
 * shard event) is read page by page and delivered as it is read. A recipient
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

  /**
   * `skip`: connections of the audience that get nothing (the joiners of a presence batch, who get
   * the full list instead; only honoured by this invocation, not by the parts of a split room).
   * `audience`: a room event's audience read already started (`readRoomAudience`).
   */
  async deliver(
    detail: ChatEventDetail,
    event?: DeliveredEvent,
    options: {
      skip?: ReadonlySet<string>;
      decided?: QueueDecision;
      audience?: Promise<ConnectionKey[]>;
    } = {},
  ): Promise<FanOutResult> {
    const decided = options.decided ?? (await this.queueIfLarge(detail));
    if (!('size' in decided)) return decided;
    const recipients = await this.#recipients(detail, event, options.audience);
    if (typeof recipients === 'number') return { ...FanOut.#emptyResult(), parts: recipients };
    // Serialised once per event (or per audience kind), never per recipient.
    const payloadsFor = await this.#payloads(detail, decided.size);
    const { skip } = options;
    const none: readonly string[] = [];
    const result = await this.#deliverTo(
      recipients,
      skip && skip.size > 0
        ? (connectionId) => (skip.has(connectionId) ? none : payloadsFor(connectionId))
        : payloadsFor,
      detail,
    );
    return result;
  }

  /**
   * The first step of `deliver` on its own: a large room's presence event is queued to
   * PresenceQueue (nothing else is done); otherwise the room size read for it is returned, for
   * `deliver` (`decided`). The broadcaster queues before taking an idempotency record, since a
   * presence change queued twice is harmless (docs/architecture.md, "Presence").
   */
  async queueIfLarge(detail: ChatEventDetail): Promise<QueueDecision> {
    const size = await this.#roomSize(detail);
    if (size?.more && (await this.#queued(detail))) return { ...FanOut.#emptyResult(), queued: 1 };
    return { size };
  }

  /**
   * Starts reading a room event's whole audience (the read `deliver` would begin with), to be
   * passed to `deliver` as `audience`: the broadcaster overlaps it with its idempotency write, one
   * DynamoDB round trip less before the first post. Undefined for the other audiences, which are
   * read as they are delivered. A read nobody awaits (a redelivered copy) is harmless.
   */
  readRoomAudience(detail: ChatEventDetail): Promise<ConnectionKey[]> | undefined {
    if (detail.audience.kind !== 'room') return undefined;
    const read = this.#readWholeAudience();
    read.catch(() => {
      // Observed here so that a read whose delivery never starts is not an unhandled rejection;
      // `deliver` awaits the same promise and gets its error.
    });
    return read;
  }

  /**
   * Sends the same frames, in order, to named connections (a presence batch's joiners). A post that
   * fails is reported with its connection instead of failing the others.
   */
  async sendTo(
    connectionIds: readonly string[],
    frames: readonly object[],
    correlationId: string,
  ): Promise<SendToResult> {
    const payloads = frames.map((frame) => JSON.stringify(frame));
    const detail: ChatEventDetail = {
      correlationId,
      audience: { kind: 'connections', connectionIds: [...connectionIds] },
      frames: [],
      includeMembers: false,
    };
    const failed: SendToResult['failed'] = [];
    const result = await this.#deliverTo(
      new Set(connectionIds),
      () => payloads,
      detail,
      (connectionId, error) => failed.push({ connectionId, error }),
    );
    return { ...result, failed };
  }

  static #emptyResult(): FanOutResult {
    return { recipients: 0, framesSent: 0, gone: 0, throttled: 0, throttledConnectionIds: [] };
  }

  async #deliverTo(
    recipients: Iterable<string> | AsyncIterable<string>,
    payloadsFor: Payloads,
    detail: ChatEventDetail,
    onError?: (connectionId: string, error: unknown) => void,
  ): Promise<FanOutResult> {
    const { sender, onGone, concurrency } = this.#options;
    const result = FanOut.#emptyResult();

    let deferred: Deferred[] = [];
    /** Sends frames from `from` on; returns the index of a throttled frame, or -1 when done. */
    const sendFrom = async (connectionId: string, from: number): Promise<number> => {
      // One connection's frames go in order (the members list after the join it reports).
      const payloads = payloadsFor(connectionId);
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
    const deliverFrom = onError
      ? async (connectionId: string, from: number): Promise<number> => {
          try {
            return await sendFrom(connectionId, from);
          } catch (error) {
            onError(connectionId, error);
            return -1;
          }
        }
      : sendFrom;

    await forEachConcurrent(recipients, concurrency, async (connectionId) => {
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

  /**
   * For a presence event (the room's change, or the joiner's list): one Query of at most
   * threshold + 1 names, before anything else, so a large room's event can be queued without
   * reading its audience. A part of a split room (or a legacy shard event) reads it with its payloads.
   */
  async #roomSize(detail: ChatEventDetail): Promise<RoomSize | undefined> {
    const { presence, audience } = detail;
    if (!presence) return undefined;
    if (presence.send === 'room' && audience.kind !== 'room') return undefined;
    const max = this.#options.presenceFullListMax ?? DEFAULT_PRESENCE_FULL_LIST_MAX;
    return this.#options.store.listMembersUpTo(this.#nowSeconds(), max);
  }

  /** Queues a large room's presence event to PresenceQueue; false when there is no queue. */
  async #queued(detail: ChatEventDetail): Promise<boolean> {
    const { presenceQueue } = this.#options;
    if (!presenceQueue || !detail.presence) return false;
    await presenceQueue.enqueue({
      correlationId: detail.correlationId,
      presence: detail.presence,
      at: detail.frames[0]?.id ?? '',
    });
    return true;
  }

  async #payloads(detail: ChatEventDetail, size: RoomSize | undefined): Promise<Payloads> {
    const frames: object[] = [...detail.frames];
    if (detail.presence) return this.#presencePayloads(detail.presence, frames, size);
    if (detail.presenceFrames) frames.push(...detail.presenceFrames);
    // An event from a chat-api older than `presence`: the list as the index has it.
    if (detail.includeMembers) frames.push(membersFrame(sortMembers(await this.#listMembers())));
    const payloads = frames.map((frame) => JSON.stringify(frame));
    return () => payloads;
  }

  /**
   * DynamoDB cost per event: one Query of at most threshold + 1 names for a `room` event (per
   * part), the same for the joiner's `full` event of a small room (it is the whole list); a large
   * room's events are queued (docs/architecture.md, "Presence").
   */
  async #presencePayloads(
    presence: PresenceDetail,
    frames: object[],
    size: RoomSize | undefined,
  ): Promise<Payloads> {
    const { change } = presence;
    const max = this.#options.presenceFullListMax ?? DEFAULT_PRESENCE_FULL_LIST_MAX;
    const { names, more } = size ?? (await this.#options.store.listMembersUpTo(this.#nowSeconds(), max));
    if (presence.send === 'full') {
      // A small room's bounded read is its whole list; a large one's (with no queue) is read in full.
      const list = more ? await this.#listMembers() : names;
      const payloads = [...frames, ...membersPages(sortMembers(applyPresenceChange(list, change)))].map(
        (frame) => JSON.stringify(frame),
      );
      return () => payloads;
    }
    const isJoiner = (connectionId: string) =>
      change.event === 'joined' && connectionId === change.connectionId;
    if (more) {
      // A large room (with no PresenceQueue to coalesce it): the change only, and no system line
      // (one per join is noise at this size); the joiner its full list, paged.
      const delta = [JSON.stringify(deltaOf(change))];
      if (!presence.joinerList) return () => delta;
      const list = membersPages(sortMembers(applyPresenceChange(await this.#listMembers(), change)));
      const joinerPayloads = list.map((frame) => JSON.stringify(frame));
      return (connectionId) => (isJoiner(connectionId) ? joinerPayloads : delta);
    }
    const line = frames.map((frame) => JSON.stringify(frame));
    const withList = [...line, JSON.stringify(membersFrame(sortMembers(applyPresenceChange(names, change))))];
    // With joinerList the joiner gets the line and the list like everybody; without it (an event
    // from before joinerList) its list comes from its own `full` event, so here only the line.
    return (connectionId) => (isJoiner(connectionId) && !presence.joinerList ? line : withList);
  }

  #listMembers(): Promise<string[]> {
    return this.#options.store.listMembers(this.#nowSeconds());
  }

  #nowSeconds(): number {
    return Math.floor((this.#options.now ?? Date.now)() / 1000);
  }

  /** Half fixed, half jitter: a full buffer needs real time to drain, so never wait (almost) zero. */
  #deferredDelay(round: number, random: () => number): number {
    const options = { baseMs: this.#retry.baseDelayMs, maxMs: this.#retry.maxDelayMs };
    const cap = Math.min(options.maxMs, options.baseMs * 2 ** (round - 1));
    return Math.floor(cap / 2 + backoffDelay(round, options, random) / 2);
  }

  /**
   * Who this invocation delivers to, or how many parts it published instead. A room's read is
   * complete (every page) before it decides, so the split follows the audience's real size; the
   * parts' open ends and adjacent boundaries cover connections the read did not see.
   */
  async #recipients(
    detail: ChatEventDetail,
    event: DeliveredEvent | undefined,
    started: Promise<ConnectionKey[]> | undefined,
  ): Promise<Iterable<string> | AsyncIterable<string> | number> {
    const { audience } = detail;
    switch (audience.kind) {
      case 'connections':
        return new Set(audience.connectionIds);
      case 'shard':
        return this.#rangeIds(shardRange(audience.shard));
      case 'range':
        return this.#rangeIds(audience);
      case 'room':
        break;
    }
    const keys = await (started ?? this.#readWholeAudience());
    const { split } = this.#options;
    const parts = split
      ? deliveriesFor(
          keys.length,
          split.recipientsPerDelivery ?? DEFAULT_RECIPIENTS_PER_DELIVERY,
          split.maxParallelDeliveries ?? DEFAULT_MAX_PARALLEL_DELIVERIES,
        )
      : 1;
    if (!split || !event || parts === 1) return keys.map((key) => key.connectionId);
    const events: ChatEvent[] = splitAudience(keys, parts).map((range) => ({
      detailType: event.detailType,
      detail: { ...detail, audience: { kind: 'range', key: partKey(event.id, range), ...range } },
    }));
    await split.publisher.publish(events);
    return events.length;
  }

  async #readWholeAudience(): Promise<ConnectionKey[]> {
    const keys: ConnectionKey[] = [];
    for await (const page of this.#options.store.audiencePages(WHOLE_AUDIENCE, this.#options.shardCount))
      keys.push(...page);
    return keys;
  }

  async *#rangeIds(range: AudienceRange): AsyncGenerator<string> {
    for await (const page of this.#options.store.audiencePages(range, this.#options.shardCount))
      for (const key of page) yield key.connectionId;
  }
}

const deltaOf = (change: PresenceChange) => {
  switch (change.event) {
    case 'joined':
      return presenceFrame({ joined: [change.name] });
    case 'left':
      return presenceFrame({ left: [change.name] });
    case 'renamed':
      return presenceFrame({ renamed: [{ previousName: change.previousName, name: change.name }] });
  }
};
