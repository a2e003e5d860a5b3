import type { ClientError } from './errors';

// Server-to-client frames of docs/protocol.md. The legacy keys (members, systemMessage,
// publicMessage, privateMessage) keep clients of the original single-Lambda chat working.

export interface MembersFrame {
  type: 'members';
  members: string[];
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
}

export type ServerFrame =
  | MembersFrame
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

export const nameFrame = (name: string): NameFrame => ({ type: 'name', name });

/** The one place a rejected request becomes what the client sees: code and message, never a stack. */
export const errorFrame = (error: ClientError, action?: string): ErrorFrame => ({
  type: 'error',
  errorMessage: error.message,
  code: error.code,
  ...(action === undefined ? {} : { action }),
});

export type ServerFrameType = ServerFrame['type'];

/**
 * Every `type` a server frame can have, at run time. The browser client parses exactly these
 * (tests/unit/web/protocol.test.ts fails when the two drift apart).
 */
export const SERVER_FRAME_TYPES = [
  'members',
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
