import type { ChatClient, Frame } from './chat-client';

/**
 * The members list a client holds after its frames, applied as docs/protocol.md says: a full list
 * (or its pages, once the last one is in) replaces the list; a presence frame changes it.
 */
export function listOf(frames: readonly Frame[]): string[] {
  let list = new Set<string>();
  let pages: string[] = [];
  for (const frame of frames) {
    if (frame.type === 'members') {
      const members = frame.members as string[];
      if (frame.page === undefined) list = new Set(members);
      else {
        if (frame.page === 1) pages = [];
        pages.push(...members);
        if (frame.page === frame.pages) list = new Set(pages);
      }
    } else if (frame.type === 'presence') {
      for (const name of frame.left as string[]) list.delete(name);
      for (const { previousName, name } of frame.renamed as { previousName: string; name: string }[]) {
        list.delete(previousName);
        list.add(name);
      }
      for (const name of frame.joined as string[]) list.add(name);
    }
  }
  return [...list].sort();
}

/**
 * Waits until the list the client holds (listOf its frames) is exactly `names`: above the
 * full-list threshold, changes reach clients through PresenceQueue's batching window, which a
 * stack drain does not necessarily cover.
 */
export function waitForList(client: ChatClient, names: Iterable<string>): Promise<Frame> {
  const expected = [...names].sort();
  const holds = () => JSON.stringify(listOf(client.frames));
  return client.waitFor(() => holds() === JSON.stringify(expected), {
    what: `the members list ${JSON.stringify(expected)}`,
  });
}

/** A line on screen: the text of a public, private or system frame. */
export interface Line {
  type: string;
  id: string;
  text: string;
}

/** The lines a client shows, as the web client renders them: frames with an id seen before are dropped. */
export function linesOf(frames: readonly Frame[]): Line[] {
  const seen = new Set<string>();
  const lines: Line[] = [];
  for (const frame of frames) {
    if (frame.type !== 'public' && frame.type !== 'private' && frame.type !== 'system') continue;
    const id = String(frame.id);
    if (seen.has(id)) continue;
    seen.add(id);
    lines.push({ type: frame.type, id, text: String(frame.text) });
  }
  return lines;
}

/** How many lines with this text a client shows (1 is exactly once). */
export const timesShown = (frames: readonly Frame[], text: string): number =>
  linesOf(frames).filter((line) => line.text === text).length;
