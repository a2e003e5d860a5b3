// The conversation as the client keeps it: what each line is, and dedupe by message id, since
// delivery is at least once and a frame may arrive twice.

import { type ChatMessageFrame, sameName } from './protocol';

export type EntryKind = 'public' | 'private' | 'system' | 'error' | 'notice';

export interface LogEntry {
  /** The server's message id, or a local one (`local-…`) for errors and connection notices. */
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
 * Keeps the last `limit` entries in arrival order and rejects an id it has already seen. Arrival
 * order is what a reader expects in a chat; ids remembered outlive trimmed entries a little so a
 * late duplicate of a trimmed message is still dropped.
 */
export class MessageLog {
  private readonly items: LogEntry[] = [];
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  private localCounter = 0;

  constructor(private readonly limit = 500) {}

  /** Adds the entry unless its key was seen; returns whether it was added and what was trimmed. */
  add(entry: LogEntry): { added: boolean; removed: LogEntry[] } {
    if (this.seen.has(entry.key)) return { added: false, removed: [] };
    this.remember(entry.key);
    this.items.push(entry);
    const removed =
      this.items.length > this.limit ? this.items.splice(0, this.items.length - this.limit) : [];
    return { added: true, removed };
  }

  /** A key for an entry that did not come from the server (errors, connection notices). */
  nextLocalKey(): string {
    this.localCounter += 1;
    return `local-${this.localCounter}`;
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
