import type { ClientError } from './errors';

// Server-to-client frames of docs/protocol.md. The legacy keys (members, systemMessage,
// publicMessage, privateMessage) keep clients of the original single-Lambda chat working.

export interface MembersFrame {
  type: 'members';
  members: string[];
  /**
   * Only on a list too large for one frame (docs/protocol.md, "Members list"): this frame is page
   * `page` of `pages` (1-based), and the list is the concatenation of every page, in order.
   */
  page?: number;
  pages?: number;
}

export interface RenamedMember {
  previousName: string;
  name: string;
}

/**
 * A change to the members list, for clients to apply to the list they hold. Sent instead of a full
 * `members` frame (and instead of the system line) when the audience is larger than the configured
 * threshold. Lists, so that changes coalesced over a window fit one frame (docs/architecture.md).
 */
export interface PresenceFrame {
  type: 'presence';
  joined: string[];
  left: string[];
  renamed: RenamedMember[];
}

export type SystemEvent = 'joined' | 'left' | 'renamed';

export interface SystemFrame {
  type: 'system';
  systemMessage: string;
  id: string;
  ts: number;
  text: string;
  event: SystemEvent;
  name: string;
  previousName?: string;
}

export interface PublicFrame {
  type: 'public';
  publicMessage: string;
  id: string;
  ts: number;
  from: string;
  text: string;
}

export interface PrivateFrame {
  type: 'private';
  privateMessage: string;
  id: string;
  ts: number;
  from: string;
  to: string;
  text: string;
}

export interface NameFrame {
  type: 'name';
  name: string;
}

/** The answer to a keepalive `ping`, so a client can tell a live socket from a half-open one. */
export interface PongFrame {
  type: 'pong';
}

export interface ErrorFrame {
  type: 'error';
  errorMessage: string;
  code: ClientError['code'];
  action?: string;
  /** RATE_LIMITED: wait this long (ms) before sending that action again. */
  retryAfterMs?: number;
}

export type ServerFrame =
  | MembersFrame
  | PresenceFrame
  | SystemFrame
  | PublicFrame
  | PrivateFrame
  | NameFrame
  | PongFrame
  | ErrorFrame;

/** Frames the broadcaster fans out (carried in EventBridge events). */
export type BroadcastFrame = SystemFrame | PublicFrame | PrivateFrame;

export interface MessageStamp {
  id: string;
  ts: number;
}

export const systemText = {
  joined: (name: string) => `${name} has joined the chat`,
  left: (name: string) => `${name} has left the chat`,
  renamed: (previousName: string, name: string) => `${previousName} is now known as ${name}`,
};

export const joinedFrame = (name: string, stamp: MessageStamp): SystemFrame => {
  const text = systemText.joined(name);
  return { type: 'system', systemMessage: text, ...stamp, text, event: 'joined', name };
};

export const leftFrame = (name: string, stamp: MessageStamp): SystemFrame => {
  const text = systemText.left(name);
  return { type: 'system', systemMessage: text, ...stamp, text, event: 'left', name };
};

export const renamedFrame = (previousName: string, name: string, stamp: MessageStamp): SystemFrame => {
  const text = systemText.renamed(previousName, name);
  return { type: 'system', systemMessage: text, ...stamp, text, event: 'renamed', name, previousName };
};

// Legacy clients print `publicMessage` as one line, often straight to a terminal (wscat): a line
// break in the text would let it forge a second "name: text" line, and a control character could
// drive the terminal. The legacy line shows a break as " ↵ " and any control character as U+FFFD;
// the structured `text` keeps the message as sent.
const LEGACY_LINE_BREAK = /\r\n?|[\n\u0085\u2028\u2029]/gu;
const LEGACY_CONTROL = /[^\P{Cc}\t]/gu;

/** The one-line `name: text` of the legacy keys. */
export const legacyLine = (from: string, text: string): string =>
  `${from}: ${text}`.replace(LEGACY_LINE_BREAK, ' ↵ ').replace(LEGACY_CONTROL, '\uFFFD');

export const publicFrame = (from: string, text: string, stamp: MessageStamp): PublicFrame => ({
  type: 'public',
  publicMessage: legacyLine(from, text),
  ...stamp,
  from,
  text,
});

export const privateFrame = (from: string, to: string, text: string, stamp: MessageStamp): PrivateFrame => ({
  type: 'private',
  privateMessage: legacyLine(from, text),
  ...stamp,
  from,
  to,
  text,
});

export const membersFrame = (members: string[]): MembersFrame => ({ type: 'members', members });

/**
 * A members frame's budget in UTF-8 bytes. API Gateway refuses a frame over 32 KB (and a
 * PostToConnection payload over 128 KB); half the frame limit leaves room for any envelope.
 */
export const MEMBERS_PAGE_BYTES = 16 * 1024;

// The frame around a page's names, with room for page numbers up to 7 digits each.
const PAGE_OVERHEAD_BYTES = utf8Length(
  JSON.stringify({ type: 'members', members: [], page: 1e6, pages: 1e6 }),
);

/**
 * The members list as frames of at most `maxBytes` each: one plain `members` frame (as every client
 * knows it) when the list fits, otherwise pages numbered 1..pages. Names are never split.
 */
export const membersPages = (members: string[], maxBytes = MEMBERS_PAGE_BYTES): MembersFrame[] => {
  const pages: string[][] = [[]];
  let bytes = PAGE_OVERHEAD_BYTES;
  for (const name of members) {
    // The name as JSON, plus the comma that separates it from the previous one.
    const size = utf8Length(JSON.stringify(name)) + 1;
    const current = pages[pages.length - 1] as string[];
    if (bytes + size > maxBytes && current.length > 0) {
      pages.push([name]);
      bytes = PAGE_OVERHEAD_BYTES + size;
    } else {
      current.push(name);
      bytes += size;
    }
  }
  if (pages.length === 1) return [membersFrame(members)];
  return pages.map((names, index) => ({
    type: 'members',
    members: names,
    page: index + 1,
    pages: pages.length,
  }));
};

export const presenceFrame = (change: {
  joined?: string[];
  left?: string[];
  renamed?: RenamedMember[];
}): PresenceFrame => ({
  type: 'presence',
  joined: change.joined ?? [],
  left: change.left ?? [],
  renamed: change.renamed ?? [],
});

// The frame around a presence page's changes (three empty lists).
const PRESENCE_OVERHEAD_BYTES = utf8Length(JSON.stringify(presenceFrame({})));

/**
 * A presence frame as frames of at most `maxBytes` each (a coalesced batch can hold thousands of
 * changes). The changes keep their order across frames (every `left`, then every `renamed`, then
 * every `joined`), so applying the frames one after the other, each left-renamed-joined, gives the
 * same list as applying the whole frame. A frame that fits is returned as it is.
 */
export const presencePages = (frame: PresenceFrame, maxBytes = MEMBERS_PAGE_BYTES): PresenceFrame[] => {
  type Item = { left: string } | { renamed: RenamedMember } | { joined: string };
  const items: Item[] = [
    ...frame.left.map((left) => ({ left })),
    ...frame.renamed.map((renamed) => ({ renamed })),
    ...frame.joined.map((joined) => ({ joined })),
  ];
  const pages: PresenceFrame[] = [presenceFrame({})];
  let bytes = PRESENCE_OVERHEAD_BYTES;
  for (const item of items) {
    // The item as JSON, plus the comma that separates it from the previous one.
    const size = utf8Length(JSON.stringify(Object.values(item)[0])) + 1;
    let page = pages[pages.length - 1] as PresenceFrame;
    const empty = page.left.length + page.renamed.length + page.joined.length === 0;
    if (bytes + size > maxBytes && !empty) {
      page = presenceFrame({});
      pages.push(page);
      bytes = PRESENCE_OVERHEAD_BYTES;
    }
    bytes += size;
    if ('left' in item) page.left.push(item.left);
    else if ('renamed' in item) page.renamed.push(item.renamed);
    else page.joined.push(item.joined);
  }
  return pages.length === 1 ? [frame] : pages;
};

/** UTF-8 byte length without TextEncoder (src/chat stays plain ECMAScript). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        // A surrogate pair is one code point of 4 bytes.
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

export const nameFrame = (name: string): NameFrame => ({ type: 'name', name });

/** The one place a rejected request becomes what the client sees: code and message, never a stack. */
export const errorFrame = (error: ClientError, action?: string): ErrorFrame => ({
  type: 'error',
  errorMessage: error.message,
  code: error.code,
  ...(action === undefined ? {} : { action }),
  ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
});

export type ServerFrameType = ServerFrame['type'];

/**
 * Every `type` a server frame can have, at run time. The browser client parses exactly these
 * (tests/unit/web/protocol.test.ts fails when the two drift apart).
 */
export const SERVER_FRAME_TYPES = [
  'members',
  'presence',
  'system',
  'public',
  'private',
  'name',
  'pong',
  'error',
] as const satisfies readonly ServerFrameType[];

// Fails to compile when a frame type is added to ServerFrame but not to the list above.
const everyFrameTypeListed: Exclude<ServerFrameType, (typeof SERVER_FRAME_TYPES)[number]> extends never
  ? true
  : false = true;
void everyFrameTypeListed;
