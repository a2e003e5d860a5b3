// The conversation as the client keeps it: what each line is, and dedupe by message id, since
// delivery is at least once and a frame may arrive twice.

import { type ChatMessageFrame, sameName } from './protocol';

const LOCAL_MARK = '~';
const isLocalKey = (key: string): boolean => key.includes(LOCAL_MARK);

export type EntryKind = 'public' | 'private' | 'system' | 'error' | 'notice';

export interface LogEntry {
  /** The server's message id (a ULID), or a local key (see nextLocalKey) for errors and notices. */
  key: string;
  kind: EntryKind;
  ts: number;
  text: string;
  from?: string;
  to?: string;
  /** Sent by this user (public, or the sender's copy of a private message). */
  own: boolean;
}

/** Turns a server message frame into a log entry, marking it as ours when we sent it. */
export function entryFromFrame(frame: ChatMessageFrame, myName: string | undefined): LogEntry {
  switch (frame.type) {
    case 'system':
      return { key: frame.id, kind: 'system', ts: frame.ts, text: frame.text, own: false };
    case 'public':
      return {
        key: frame.id,
        kind: 'public',
        ts: frame.ts,
        text: frame.text,
        from: frame.from,
        own: sameName(frame.from, myName),
      };
    case 'private':
      return {
        key: frame.id,
        kind: 'private',
        ts: frame.ts,
        text: frame.text,
        from: frame.from,
        to: frame.to,
        own: sameName(frame.from, myName),
      };
  }
}

/**
 * Keeps the last `limit` entries in id order and rejects an id it has already seen. Message ids
 * are ULIDs, which sort by the time the server created them, so a join announcement that arrives
 * after a message sent later still shows above it (the protocol does not order deliveries).
 * Local entries sort right after the newest server entry known when they were made, so they stay
 * where they happened whatever the browser's clock says. Ids are remembered a little longer than
 * entries are kept, so a late duplicate of a trimmed message is still dropped.
 */
export class MessageLog {
  private readonly items: LogEntry[] = [];
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  private localCounter = 0;
  private newestServerKey = '';

  constructor(private readonly limit = 500) {}

  /**
   * Adds the entry unless its key was seen. `index` is where it now is in `entries()` (-1 when
   * not added, or when it was older than everything kept); `removed` are the entries trimmed.
   */
  add(entry: LogEntry): { added: boolean; index: number; removed: LogEntry[] } {
    if (this.seen.has(entry.key)) return { added: false, index: -1, removed: [] };
    this.remember(entry.key);
    if (!isLocalKey(entry.key) && entry.key > this.newestServerKey) this.newestServerKey = entry.key;
    let index = this.items.length;
    while (index > 0 && (this.items[index - 1] as LogEntry).key > entry.key) index -= 1;
    this.items.splice(index, 0, entry);
    const excess = Math.max(0, this.items.length - this.limit);
    const removed = this.items.splice(0, excess);
    const kept = index - excess;
    return {
      added: kept >= 0,
      index: kept,
      removed: kept >= 0 ? removed : removed.filter((e) => e !== entry),
    };
  }

  /** A key for an entry that did not come from the server (errors, connection notices). */
  nextLocalKey(): string {
    this.localCounter += 1;
    // '~' sorts after every character of a ULID, so this lands after the newest server entry
    // and before any later one; the padded counter orders local entries among themselves.
    return `${this.newestServerKey}${LOCAL_MARK}${String(this.localCounter).padStart(8, '0')}`;
  }

  entries(): readonly LogEntry[] {
    return this.items;
  }

  private remember(key: string): void {
    this.seen.add(key);
    this.seenOrder.push(key);
    if (this.seenOrder.length > this.limit * 2) {
      for (const old of this.seenOrder.splice(0, this.seenOrder.length - this.limit * 2))
        this.seen.delete(old);
    }
  }
}
