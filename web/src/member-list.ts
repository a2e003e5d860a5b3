// The members list as the server describes it over time: full lists (one frame, or pages of a
// large one) and presence deltas (docs/protocol.md, "Members list"). It reports each change as
// the positions that changed, so the page updates a 10,000-name list by touching one row per delta.

import { foldName } from '../../src/chat/names';
import type { MembersFrame, PresenceFrame } from './protocol';

/** What changed, in order: apply each step to the list as it was after the previous one. */
export type MemberChange =
  | { kind: 'insert'; index: number; name: string }
  | { kind: 'remove'; index: number };

export type MemberListUpdate =
  /** The whole list was replaced (a full list arrived, or the connection dropped). */
  | { kind: 'replaced'; members: readonly string[] }
  /** Only these positions changed. */
  | { kind: 'changed'; changes: readonly MemberChange[]; members: readonly string[] };

// The server's order (src/chat/rules.ts sortMembers): by the readable fold, then by code unit.
const compare = (a: string, b: string): number => {
  const byKey = foldName(a).localeCompare(foldName(b));
  return byKey !== 0 ? byKey : a < b ? -1 : a > b ? 1 : 0;
};

/** How many deltas are kept to re-apply on the next full list (see `#recent`). */
export const RECENT_DELTAS = 256;

export class MemberList {
  #names: string[] = [];
  /** The pages of a large list received so far. */
  #pending: { names: string[]; next: number; pages: number } | undefined;
  /**
   * The deltas received since the last full list. The server reads a list from an eventually
   * consistent index, so a list can miss a join whose delta arrived before it (a joiner in a big
   * room gets no later list to fix that). Deltas are idempotent (a join of a name held, a leave of a
   * name not held, change nothing), so re-applying them on top of the next list converges; the
   * deltas still to come fix the rest. Bounded: a big room may never send another list.
   */
  #recent: PresenceFrame[] = [];

  get members(): readonly string[] {
    return this.#names;
  }

  /** A `members` frame: the whole list, or one page of it. Undefined when nothing shows yet. */
  receiveMembers(frame: MembersFrame): MemberListUpdate | undefined {
    if (frame.page === undefined || frame.pages === undefined) {
      this.#pending = undefined;
      return this.#replaceWithList([...frame.members]);
    }
    if (frame.page === 1) this.#pending = { names: [], next: 1, pages: frame.pages };
    const pending = this.#pending;
    // A page out of order (a page lost, or pages of two lists interleaved): wait for a new page 1.
    if (pending === undefined || frame.page !== pending.next || frame.pages !== pending.pages) {
      this.#pending = undefined;
      return undefined;
    }
    for (const name of frame.members) pending.names.push(name);
    pending.next += 1;
    if (frame.page < frame.pages) return undefined;
    this.#pending = undefined;
    return this.#replaceWithList(pending.names);
  }

  /** A `presence` frame: the changes, as positions of the list shown. */
  receivePresence(frame: PresenceFrame): MemberListUpdate | undefined {
    this.#recent.push(frame);
    if (this.#recent.length > RECENT_DELTAS) this.#recent.shift();
    // A new array per change (a copy is cheap next to the page's work): lists handed out stay as they were.
    this.#names = [...this.#names];
    const changes = applyTo(this.#names, frame);
    return changes.length === 0 ? undefined : { kind: 'changed', changes, members: this.#names };
  }

  clear(): MemberListUpdate | undefined {
    this.#pending = undefined;
    this.#recent = [];
    return this.#replace([]);
  }

  #replaceWithList(names: string[]): MemberListUpdate | undefined {
    for (const delta of this.#recent) applyTo(names, delta);
    this.#recent = [];
    return this.#replace(names);
  }

  #replace(names: readonly string[]): MemberListUpdate | undefined {
    if (names.length === 0 && this.#names.length === 0) return undefined;
    this.#names = [...names];
    return { kind: 'replaced', members: this.#names };
  }
}

/** Applies one delta to a sorted list in place: left, then renamed, then joined. */
function applyTo(names: string[], frame: PresenceFrame): MemberChange[] {
  const changes: MemberChange[] = [];
  const remove = (name: string) => {
    const index = indexOf(names, name);
    if (index === -1) return;
    names.splice(index, 1);
    changes.push({ kind: 'remove', index });
  };
  const insert = (name: string) => {
    // Names are unique ignoring case: a joined name replaces a stale entry of the same name in
    // another case. The list is sorted by the fold first, so those are next to where it goes.
    const key = foldName(name);
    let index = insertionPoint(names, name);
    while (index > 0 && foldName(names[index - 1] as string) === key) index -= 1;
    while (index < names.length && foldName(names[index] as string) === key) {
      names.splice(index, 1);
      changes.push({ kind: 'remove', index });
    }
    index = insertionPoint(names, name);
    names.splice(index, 0, name);
    changes.push({ kind: 'insert', index, name });
  };
  for (const name of frame.left) remove(name);
  for (const { previousName, name } of frame.renamed) {
    remove(previousName);
    insert(name);
  }
  for (const name of frame.joined) insert(name);
  return changes;
}

function insertionPoint(names: readonly string[], name: string): number {
  let low = 0;
  let high = names.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(names[middle] as string, name) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

function indexOf(names: readonly string[], name: string): number {
  const index = insertionPoint(names, name);
  if (names[index] === name) return index;
  // The server's locale may order a few names differently from the browser's: look everywhere.
  return names.indexOf(name);
}
