/**
 * One bench client's members list, built only from the frames docs/protocol.md ("Members list")
 * describes: `members` frames (whole, or pages 1..pages) and `presence` deltas. The join stage
 * checks it against the names the server acknowledged, so it must follow the documented rules and
 * nothing the server happens to do. Kept apart from web/src/member-list.ts on purpose: the bench
 * checks the protocol, not the web client.
 */
import { foldName } from '../../src/chat/names';

export interface MembersFrameIn {
  type: 'members';
  members: string[];
  page?: number;
  pages?: number;
}
export interface PresenceFrameIn {
  type: 'presence';
  joined: string[];
  left: string[];
  renamed: { previousName: string; name: string }[];
}

/** How many deltas are kept to re-apply on the next full list (the web client keeps as many). */
export const KEPT_DELTAS = 256;

export class MembersModel {
  /** fold -> name as last received: names are unique ignoring case (docs/protocol.md). */
  #names = new Map<string, string>();
  #pending: { names: string[]; next: number; pages: number } | undefined;
  /** Deltas since the last full list: a list from the lagging index may miss one (see the doc). */
  #recent: PresenceFrameIn[] = [];
  /** Whether a full list has arrived at all (before that the model knows nothing). */
  hasList = false;
  /** Pages that came out of sequence and made the model drop a partial list. */
  droppedLists = 0;

  constructor(private readonly keptDeltas = KEPT_DELTAS) {}

  /** The names held, sorted (for printing differences; order is not part of the check). */
  names(): string[] {
    return [...this.#names.values()].sort();
  }

  get size(): number {
    return this.#names.size;
  }

  /** Applies any server frame; frames other than `members` and `presence` change nothing. */
  apply(frame: { readonly type?: unknown; readonly [key: string]: unknown }): void {
    if (frame.type === 'members') this.#members(frame as unknown as MembersFrameIn);
    else if (frame.type === 'presence') this.#presence(frame as unknown as PresenceFrameIn);
  }

  #members(frame: MembersFrameIn): void {
    if (!Array.isArray(frame.members)) return;
    if (frame.page === undefined || frame.pages === undefined) {
      this.#pending = undefined;
      this.#replace(frame.members);
      return;
    }
    if (frame.page === 1) this.#pending = { names: [], next: 1, pages: frame.pages };
    const pending = this.#pending;
    if (pending === undefined || frame.page !== pending.next || frame.pages !== pending.pages) {
      // Out of sequence: pages were lost. Keep the old list and wait for the next page 1.
      if (pending !== undefined) this.droppedLists++;
      this.#pending = undefined;
      return;
    }
    for (const name of frame.members) pending.names.push(name);
    pending.next++;
    if (frame.page < frame.pages) return;
    this.#pending = undefined;
    this.#replace(pending.names);
  }

  #presence(frame: PresenceFrameIn): void {
    this.#recent.push(frame);
    if (this.#recent.length > this.keptDeltas) this.#recent.shift();
    applyDelta(this.#names, frame);
  }

  #replace(list: string[]): void {
    const names = new Map<string, string>();
    for (const name of list) names.set(foldName(name), name);
    for (const delta of this.#recent) applyDelta(names, delta);
    this.#recent = [];
    this.#names = names;
    this.hasList = true;
  }

  /**
   * How the list differs from `expected` (fold -> name): names missing, names extra, and names held
   * under another spelling. Empty when the list is exact.
   */
  differences(expected: ReadonlyMap<string, string>): { missing: string[]; extra: string[] } {
    const missing: string[] = [];
    const extra: string[] = [];
    for (const [key, name] of expected) if (this.#names.get(key) !== name) missing.push(name);
    for (const [key, name] of this.#names) if (expected.get(key) !== name) extra.push(name);
    return { missing, extra };
  }

  /** Exact: the same names, same spelling, nothing more. */
  equals(expected: ReadonlyMap<string, string>): boolean {
    if (!this.hasList || this.#names.size !== expected.size) return false;
    for (const [key, name] of expected) if (this.#names.get(key) !== name) return false;
    return true;
  }
}

/** The expected list in the model's form, from the names the server acknowledged. */
export function expectedMembers(names: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of names) out.set(foldName(name), name);
  return out;
}

/** Left, then renamed (remove the old, add the new), then joined, as docs/protocol.md orders them. */
function applyDelta(names: Map<string, string>, frame: PresenceFrameIn): void {
  for (const name of frame.left ?? []) {
    const key = foldName(name);
    // Only the name as held: a leave of a name we hold under another spelling is a different member.
    if (names.get(key) === name) names.delete(key);
  }
  for (const { previousName, name } of frame.renamed ?? []) {
    const key = foldName(previousName);
    if (names.get(key) === previousName) names.delete(key);
    names.set(foldName(name), name);
  }
  for (const name of frame.joined ?? []) names.set(foldName(name), name);
}
