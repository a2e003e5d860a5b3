import type { PresenceChange } from './chat-events';
import { type PresenceFrame, presenceFrame, type RenamedMember } from './frames';
import { nameKeyOf } from './rules';

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
 * Applies a presence frame the way clients do (docs/protocol.md, "Applying a presence frame"):
 * every `left`, then every `renamed`, then every `joined`.
 */
export const applyPresenceFrame = (names: readonly string[], frame: PresenceFrame): string[] => {
  let list = [...names];
  const none = '';
  for (const name of frame.left)
    list = applyPresenceChange(list, { event: 'left', name, connectionId: none });
  for (const { previousName, name } of frame.renamed)
    list = applyPresenceChange(list, { event: 'renamed', name, previousName, connectionId: none });
  for (const name of frame.joined)
    list = applyPresenceChange(list, { event: 'joined', name, connectionId: none });
  return list;
};

export const isEmptyPresence = (frame: PresenceFrame): boolean =>
  frame.joined.length === 0 && frame.left.length === 0 && frame.renamed.length === 0;

/**
 * The net effect of a run of changes, in the order they happened, as ONE presence frame: what a
 * client holding the list from before the first change must apply to hold the list after the last.
 *
 * Each connection's changes form a chain (join, renames, leave), so only its first and last change
 * matter: the name it had before (none if the first is a join) and the name it has after (none if
 * the last is a leave). Joined then left nets to nothing, A→B→C to A→C, joined A then renamed A→B
 * to joined B, renamed A→B then left B to left A, A→B→A to nothing. A change delivered twice (SQS
 * is at least once) repeats a link of the chain and changes nothing.
 *
 * Renames of different connections can depend on each other (one frees the name another takes, or
 * two swap names over the window), and clients apply a frame's renames in order: such renames are
 * sent as a leave plus a join instead, which clients apply left-first, join-last, in any order.
 */
export const coalescePresence = (changes: readonly PresenceChange[]): PresenceFrame => {
  const chains = new Map<string, { first: PresenceChange; last: PresenceChange }>();
  for (const change of changes) {
    const chain = chains.get(change.connectionId);
    if (chain) chain.last = change;
    else chains.set(change.connectionId, { first: change, last: change });
  }
  const joined: string[] = [];
  const left: string[] = [];
  const renamed: RenamedMember[] = [];
  for (const { first, last } of chains.values()) {
    const before =
      first.event === 'joined' ? undefined : first.event === 'renamed' ? first.previousName : first.name;
    const after = last.event === 'left' ? undefined : last.name;
    if (before === after) continue;
    if (before === undefined) joined.push(after as string);
    else if (after === undefined) left.push(before);
    else renamed.push({ previousName: before, name: after });
  }
  const independent: RenamedMember[] = [];
  const freed = countKeys(renamed.map((rename) => rename.previousName));
  const taken = countKeys(renamed.map((rename) => rename.name));
  for (const rename of renamed) {
    const previousKey = nameKeyOf(rename.previousName);
    const key = nameKeyOf(rename.name);
    // Another rename frees this one's new name, or takes its old one (its own case change aside).
    const dependent =
      (freed.get(key) ?? 0) - (previousKey === key ? 1 : 0) > 0 ||
      (taken.get(previousKey) ?? 0) - (previousKey === key ? 1 : 0) > 0;
    if (dependent) {
      left.push(rename.previousName);
      joined.push(rename.name);
    } else independent.push(rename);
  }
  return presenceFrame({ joined: unique(joined), left: unique(left), renamed: independent });
};

const countKeys = (names: readonly string[]): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const name of names) {
    const key = nameKeyOf(name);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
};

const unique = (names: readonly string[]): string[] => [...new Set(names)];

/**
 * A coalesced frame restated as the claims are now (`held`: each touched name key to the name that
 * holds it now, or undefined), so that a frame reports state, not history: a change that comes back
 * late (its batch failed, or another batch overtook it) cannot bring back a member who has left or
 * remove one who is there. Every name the frame touches ends present if it is held now, absent if
 * not; a rename is kept as such only when its old name is free now and its new name held.
 */
export const reconcilePresence = (
  frame: PresenceFrame,
  held: ReadonlyMap<string, string | undefined>,
): PresenceFrame => {
  const isHeld = (name: string) => held.get(nameKeyOf(name)) === name;
  const renamed = frame.renamed.filter(({ previousName, name }) => !isHeld(previousName) && isHeld(name));
  const inRenames = new Set(renamed.flatMap(({ previousName, name }) => [previousName, name]));
  const joined: string[] = [];
  const left: string[] = [];
  for (const name of touchedNames(frame)) {
    if (inRenames.has(name)) continue;
    (isHeld(name) ? joined : left).push(name);
  }
  return presenceFrame({ joined: unique(joined), left: unique(left), renamed });
};

/** Every name a frame adds or removes. */
export const touchedNames = (frame: PresenceFrame): string[] =>
  unique([
    ...frame.left,
    ...frame.renamed.flatMap(({ previousName, name }) => [previousName, name]),
    ...frame.joined,
  ]);
