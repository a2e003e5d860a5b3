import { forEachConcurrent } from '../shared/concurrency';
import type { ChatEventDetail, PresenceChange, PresenceDetail } from './chat-events';
import { membersFrame, membersPages, presenceFrame } from './frames';
import type { ConnectionSender, ConnectionStore } from './ports';
import { nameKeyOf, sortMembers } from './rules';

/** Audiences up to this many members get full `members` frames; larger ones get deltas. */
export const DEFAULT_PRESENCE_FULL_LIST_MAX = 100;

export interface FanOutOptions {
  store: ConnectionStore;
  sender: ConnectionSender;
  /** Called once for every connection that turned out to be gone (the chat's leave logic). */
  onGone: (connectionId: string, detail: ChatEventDetail) => Promise<void>;
  concurrency: number;
  /** The presence threshold (PRESENCE_FULL_LIST_MAX): see docs/protocol.md, "Members list". */
  presenceFullListMax?: number;
  now?: () => number;
}

export interface FanOutResult {
  recipients: number;
  framesSent: number;
  gone: number;
}

/** The payloads one recipient gets, in order. */
type Payloads = (connectionId: string) => readonly string[];

/**
 * Applies the change an event reports to a list read from the Members index, which may not show it
 * yet (or may still show a name that left): the list sent always agrees with the change announced.
 * Names are unique ignoring case, so a joined name replaces any stale entry with its key.
 */
export const applyPresenceChange = (names: readonly string[], change: PresenceChange): string[] => {
  const key = nameKeyOf(change.name);
  switch (change.event) {
    case 'joined':
      return [...names.filter((name) => nameKeyOf(name) !== key), change.name];
    case 'left':
      return names.filter((name) => name !== change.name);
    case 'renamed':
      return [
        ...names.filter((name) => name !== change.previousName && nameKeyOf(name) !== key),
        change.name,
      ];
  }
};

/**
 * Delivers one chat event to its audience: the connections of one shard (read page by page from
 * the shard index) or the named connections, with a bounded number of posts in flight.
 */
export class FanOut {
  readonly #options: FanOutOptions;

  constructor(options: FanOutOptions) {
    this.#options = options;
  }

  async deliver(detail: ChatEventDetail): Promise<FanOutResult> {
    const { sender, onGone, concurrency } = this.#options;
    const payloadsFor = await this.#payloads(detail);

    const result: FanOutResult = { recipients: 0, framesSent: 0, gone: 0 };
    await forEachConcurrent(this.#recipients(detail), concurrency, async (connectionId) => {
      result.recipients += 1;
      // One connection's frames go in order (the members list after the join it reports).
      for (const payload of payloadsFor(connectionId)) {
        if ((await sender.send(connectionId, payload)) === 'gone') {
          result.gone += 1;
          await onGone(connectionId, detail);
          return;
        }
        result.framesSent += 1;
      }
    });
    return result;
  }

  async #payloads(detail: ChatEventDetail): Promise<Payloads> {
    const frames: object[] = [...detail.frames];
    if (detail.presence) return this.#presencePayloads(detail.presence, frames);
    // An event from a chat-api older than `presence`: the list as the index has it.
    if (detail.includeMembers) frames.push(membersFrame(sortMembers(await this.#listMembers())));
    const payloads = frames.map((frame) => JSON.stringify(frame));
    return () => payloads;
  }

  /**
   * DynamoDB cost per event: one Query of at most threshold + 1 names for a `room` event (per
   * shard event), one full Members Query for the joiner's `full` event (docs/architecture.md).
   */
  async #presencePayloads(presence: PresenceDetail, frames: object[]): Promise<Payloads> {
    const { change } = presence;
    if (presence.send === 'full') {
      const names = sortMembers(applyPresenceChange(await this.#listMembers(), change));
      const payloads = [...frames, ...membersPages(names)].map((frame) => JSON.stringify(frame));
      return () => payloads;
    }
    const max = this.#options.presenceFullListMax ?? DEFAULT_PRESENCE_FULL_LIST_MAX;
    const { names, more } = await this.#options.store.listMembersUpTo(this.#nowSeconds(), max);
    if (more) {
      // A large room: the change only, and no system line (one per join is noise at this size).
      const delta = [JSON.stringify(deltaOf(change))];
      return () => delta;
    }
    const line = frames.map((frame) => JSON.stringify(frame));
    const withList = [...line, JSON.stringify(membersFrame(sortMembers(applyPresenceChange(names, change))))];
    // The joiner gets the full list from its own event (joinerListEvent); here only the line.
    return (connectionId) =>
      change.event === 'joined' && connectionId === change.connectionId ? line : withList;
  }

  #listMembers(): Promise<string[]> {
    return this.#options.store.listMembers(this.#nowSeconds());
  }

  #nowSeconds(): number {
    return Math.floor((this.#options.now ?? Date.now)() / 1000);
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
