import { forEachConcurrent } from '../shared/concurrency';
import type { ChatEventDetail } from './chat-events';
import { membersFrame } from './frames';
import type { ConnectionSender, ConnectionStore } from './ports';
import { sortMembers } from './rules';

export interface FanOutOptions {
  store: ConnectionStore;
  sender: ConnectionSender;
  /** Called once for every connection that turned out to be gone (the chat's leave logic). */
  onGone: (connectionId: string, detail: ChatEventDetail) => Promise<void>;
  concurrency: number;
  now?: () => number;
}

export interface FanOutResult {
  recipients: number;
  framesSent: number;
  gone: number;
}

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
    const { store, sender, onGone, concurrency } = this.#options;
    const now = this.#options.now ?? Date.now;
    const frames: object[] = [...detail.frames];
    if (detail.includeMembers) {
      frames.push(membersFrame(sortMembers(await store.listMembers(Math.floor(now() / 1000)))));
    }
    const payloads = frames.map((frame) => JSON.stringify(frame));

    const result: FanOutResult = { recipients: 0, framesSent: 0, gone: 0 };
    await forEachConcurrent(this.#recipients(detail), concurrency, async (connectionId) => {
      result.recipients += 1;
      // One connection's frames go in order (the members list after the join it reports).
      for (const payload of payloads) {
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

  async *#recipients(detail: ChatEventDetail): AsyncGenerator<string> {
    const { audience } = detail;
    if (audience.kind === 'connections') {
      yield* new Set(audience.connectionIds);
      return;
    }
    for await (const page of this.#options.store.connectionPages(audience.shard)) yield* page;
  }
}
