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
  /** RATE_LIMITED: wait this long (ms) before sending that action again. */
  retryAfterMs?: number;
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

export const publicFrame = (from: string, text: string, stamp: MessageStamp): PublicFrame => ({
  type: 'public',
  publicMessage: `${from}: ${text}`,
  ...stamp,
  from,
  text,
});

export const privateFrame = (from: string, to: string, text: string, stamp: MessageStamp): PrivateFrame => ({
  type: 'private',
  privateMessage: `${from}: ${text}`,
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
  ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
});
