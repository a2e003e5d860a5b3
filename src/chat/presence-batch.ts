import { DETAIL_TYPES, type PresenceChange, type PresenceMessage } from './chat-events';
import type { FanOut, FanOutResult, SendToResult } from './fan-out';
import { membersPages, type PresenceFrame, presenceFrame, presencePages } from './frames';
import type { ConnectionStore } from './ports';
import {
  applyPresenceChange,
  applyPresenceFrame,
  coalescePresence,
  isEmptyPresence,
  reconcilePresence,
  touchedNames,
} from './presence';
import { nameKeyOf, sortMembers } from './rules';

/** One PresenceQueue message of a batch, with the id the batch reports failures by. */
export interface PresenceBatchItem {
  /** The SQS message id (`itemIdentifier` of a batch item failure). */
  id: string;
  message: PresenceMessage;
  /** When the queue received it (epoch ms): orders changes with the same `at`. */
  sentAt?: number;
}

export interface PresenceBatchResult {
  /** Items not done (their posts failed): the queue delivers them again, nothing else. */
  failedIds: string[];
  changes: number;
  joiners: number;
  /** The coalesced frame everybody but the joiners received (empty: nothing to send). */
  frame: PresenceFrame;
  /** Members list reads (two per batch that has joiners: the list, and the check after it is posted). */
  listReads: number;
  /** Name claims read, consistently, in BatchGetItem calls of 100 (one per name the frame touches). */
  claimReads: number;
  room?: FanOutResult;
  joinerFramesSent: number;
  /** The first error of each kind, for the log line. */
  errors: unknown[];
}

export interface PresenceBatchOptions {
  store: ConnectionStore;
  fanOut: FanOut;
  now?: () => number;
}

/**
 * Delivers one batch of PresenceQueue (a large room's presence changes over the batching window):
 * reads the Members list once; every joiner of the batch receives the full list (paged), with the
 * batch's changes applied; everybody else receives ONE presence frame with the batch's net changes
 * (pages of one when it is large), through the FanOut (which splits a large room into parts).
 *
 * Redelivery is harmless: a presence frame's changes are set operations (a join of a name held, a
 * leave of a name not held, change nothing), and a full list replaces the list.
 */
export class PresenceBatch {
  readonly #options: PresenceBatchOptions;

  constructor(options: PresenceBatchOptions) {
    this.#options = options;
  }

  /** `batchId` keys the parts of a split room, so a batch delivered again is not posted twice per part. */
  async deliver(items: readonly PresenceBatchItem[], batchId: string): Promise<PresenceBatchResult> {
    const rooms = inOrder(items.filter((item) => item.message.presence.send === 'room'));
    const changes = rooms.map((item) => item.message.presence.change);
    const { frame, claimReads } = await this.#asTheClaimsAre(coalescePresence(changes));
    const joiners = new Map<string, { change: PresenceChange; ids: string[] }>();
    for (const item of items) {
      // A joiner's list: its own `full` message, or its join's `room` message with joinerList.
      const { presence } = item.message;
      if (presence.send !== 'full' && !(presence.joinerList && presence.change.event === 'joined')) continue;
      const { change } = item.message.presence;
      const joiner = joiners.get(change.connectionId) ?? { change, ids: [] };
      joiner.ids.push(item.id);
      joiners.set(change.connectionId, joiner);
    }
    const result: PresenceBatchResult = {
      failedIds: [],
      changes: changes.length,
      joiners: joiners.size,
      frame,
      listReads: 0,
      claimReads,
      joinerFramesSent: 0,
      errors: [],
    };
    if (joiners.size === 0 && isEmptyPresence(frame)) return result;
    const correlationId = (rooms[0] ?? items[0])?.message.correlationId ?? batchId;

    if (joiners.size > 0) {
      const { store, now = Date.now } = this.#options;
      const changed = new Set(changes.map((change) => change.connectionId));
      const listNow = async () => {
        result.listReads += 1;
        // The index may not show the batch's changes yet: the list agrees with the frame the others get.
        let names = applyPresenceFrame(await store.listMembers(Math.floor(now() / 1000)), frame);
        // A joiner whose room change is in another batch: its own join, so its list shows it.
        for (const [connectionId, { change }] of joiners)
          if (!changed.has(connectionId)) names = applyPresenceChange(names, change);
        return names;
      };
      const joinerFailed = (failed: SendToResult['failed']) => {
        for (const { connectionId, error } of failed) {
          result.failedIds.push(...(joiners.get(connectionId)?.ids ?? []));
          if (result.errors.length === 0) result.errors.push(error);
        }
      };
      const names = await listNow();
      const sent = await this.#options.fanOut.sendTo(
        [...joiners.keys()],
        membersPages(sortMembers(names)),
        correlationId,
      );
      result.joinerFramesSent = sent.framesSent;
      joinerFailed(sent.failed);
      // The other batch the mapping runs at the same time may have posted its frame to these joiners
      // before their list arrived, and the list replaced it. Its changes were indexed before they
      // were published, so a second read, once the lists are posted, shows them: the difference
      // follows the list as a presence frame (set operations: a change it repeats changes nothing).
      const failed = new Set(sent.failed.map(({ connectionId }) => connectionId));
      const listed = [...joiners.keys()].filter((connectionId) => !failed.has(connectionId));
      if (listed.length > 0) {
        const since = differenceOf(names, await listNow());
        if (!isEmptyPresence(since)) {
          const again = await this.#options.fanOut.sendTo(listed, [since], correlationId);
          result.joinerFramesSent += again.framesSent;
          joinerFailed(again.failed);
        }
      }
    }

    if (!isEmptyPresence(frame)) {
      try {
        result.room = await this.#options.fanOut.deliver(
          {
            correlationId,
            audience: { kind: 'room' },
            frames: [],
            includeMembers: false,
            presenceFrames: presencePages(frame),
          },
          { id: batchId, detailType: DETAIL_TYPES.presenceChanged },
          // The joiners' lists already hold these changes.
          { skip: new Set(joiners.keys()) },
        );
      } catch (error) {
        // Every change comes back in a later batch, and is sent again to everybody: harmless.
        result.failedIds.push(...rooms.map((item) => item.id));
        result.errors.push(error);
      }
    }
    // A join's message can be both a room change and a joiner's list: report it once.
    result.failedIds = [...new Set(result.failedIds)];
    return result;
  }

  /**
   * The frame restated as the claims are now (consistent reads of the table, not the lagging
   * index): a change delivered late, after a later opposite change, reports the present instead.
   */
  async #asTheClaimsAre(frame: PresenceFrame): Promise<{ frame: PresenceFrame; claimReads: number }> {
    const { store, now = Date.now } = this.#options;
    const nowSeconds = Math.floor(now() / 1000);
    const keys = [...new Set(touchedNames(frame).map(nameKeyOf))];
    const claims = await store.getNames(keys);
    const held = new Map<string, string | undefined>();
    for (const key of keys) {
      const claim = claims.get(key);
      held.set(key, claim && claim.expiresAt > nowSeconds ? claim.name : undefined);
    }
    return { frame: reconcilePresence(frame, held), claimReads: keys.length };
  }
}

/** The order the changes were made in: chat-api's stamp, then the queue's arrival, then the batch's. */
const inOrder = (items: readonly PresenceBatchItem[]): PresenceBatchItem[] =>
  items
    .map((item, index) => ({ item, index }))
    .sort(
      (a, b) =>
        compare(a.item.message.at, b.item.message.at) ||
        (a.item.sentAt ?? 0) - (b.item.sentAt ?? 0) ||
        a.index - b.index,
    )
    .map(({ item }) => item);

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The presence frame that takes a client from list `before` to list `after`. */
const differenceOf = (before: readonly string[], after: readonly string[]): PresenceFrame => {
  const had = new Set(before);
  const has = new Set(after);
  return presenceFrame({
    joined: after.filter((name) => !had.has(name)),
    left: before.filter((name) => !has.has(name)),
  });
};
