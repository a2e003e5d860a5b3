// The wire protocol of docs/protocol.md, seen from the browser. Frame types, limits and name rules
// come from the server's own modules (src/chat is plain ECMAScript, bundled here by esbuild), so
// they cannot drift; what stays here is the browser's view: parse what the server sends (never
// trusting its shape: an older or newer server may send something else), build what the client
// sends, and pre-check input with the server's rules so most mistakes are explained at once.

import { ClientError, InvalidNameError, MessageTooLongError } from '../../src/chat/errors';
import type * as Server from '../../src/chat/frames';
import {
  type ChatAction,
  MAX_FRAME_BYTES,
  MAX_MESSAGE_LENGTH,
  MAX_NAME_LENGTH,
  nameKeyOf,
  type PING_ACTION,
  validateMessage as serverValidateMessage,
  validateName as serverValidateName,
} from '../../src/chat/rules';

export { MAX_FRAME_BYTES, MAX_MESSAGE_LENGTH, MAX_NAME_LENGTH };

// What the client keeps of each server frame: the legacy keys (publicMessage, ...) are dropped.
export type MembersFrame = Server.MembersFrame;
export type PresenceFrame = Server.PresenceFrame;
export type NameFrame = Server.NameFrame;
export type PongFrame = Server.PongFrame;
/** `code` stays a string: a newer server may send a code this client does not know yet. */
export interface ErrorFrame {
  type: Server.ErrorFrame['type'];
  code: string;
  message: Server.ErrorFrame['errorMessage'];
  action?: Server.ErrorFrame['action'];
}
/** `event` is optional: servers from before the structured system frames sent only the text. */
export type SystemFrame = Pick<Server.SystemFrame, 'type' | 'id' | 'ts' | 'text'> & {
  event?: string;
};
export type PublicFrame = Pick<Server.PublicFrame, 'type' | 'id' | 'ts' | 'from' | 'text'>;
export type PrivateFrame = Pick<Server.PrivateFrame, 'type' | 'id' | 'ts' | 'from' | 'to' | 'text'>;
/** API Gateway's own answer when the Lambda fails: `{"message":"Internal server error",...}`. */
export interface GatewayErrorFrame {
  type: 'gateway-error';
  message: string;
}

export type ChatMessageFrame = SystemFrame | PublicFrame | PrivateFrame;
export type ServerFrame =
  | MembersFrame
  | PresenceFrame
  | NameFrame
  | ErrorFrame
  | GatewayErrorFrame
  | PongFrame
  | ChatMessageFrame;

type Json = Record<string, unknown>;

const isString = (value: unknown): value is string => typeof value === 'string';
const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
const isPageNumber = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 1;
const isTimestamp = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

function parseChatMessage(frame: Json): ChatMessageFrame | undefined {
  const { id, ts, text } = frame;
  if (!isString(id) || id === '' || !isTimestamp(ts) || !isString(text)) return undefined;
  if (frame.type === 'system') {
    return { type: 'system', id, ts, text, ...(isString(frame.event) ? { event: frame.event } : {}) };
  }
  if (!isString(frame.from)) return undefined;
  if (frame.type === 'public') return { type: 'public', id, ts, from: frame.from, text };
  if (!isString(frame.to)) return undefined;
  return { type: 'private', id, ts, from: frame.from, to: frame.to, text };
}

// One reader per server frame type: keyed by the server's own union, so a frame type added in
// src/chat/frames.ts does not compile here until the browser knows how to read it.
const readers: { [Type in Server.ServerFrameType]: (frame: Json) => ServerFrame | undefined } = {
  members: (frame) => {
    if (!Array.isArray(frame.members) || !frame.members.every(isString)) return undefined;
    const members = [...frame.members];
    // A page of a list too large for one frame (both numbers, 1 <= page <= pages), or the whole list.
    const { page, pages } = frame;
    if (page === undefined && pages === undefined) return { type: 'members', members };
    return isPageNumber(page) && isPageNumber(pages) && page <= pages
      ? { type: 'members', members, page, pages }
      : undefined;
  },
  presence: (frame) => {
    const joined = frame.joined ?? [];
    const left = frame.left ?? [];
    const renamed = frame.renamed ?? [];
    if (!isStringList(joined) || !isStringList(left) || !Array.isArray(renamed)) return undefined;
    const pairs = renamed.filter(
      (pair): pair is Server.RenamedMember =>
        typeof pair === 'object' && pair !== null && isString(pair.previousName) && isString(pair.name),
    );
    if (pairs.length !== renamed.length) return undefined;
    return {
      type: 'presence',
      joined,
      left,
      renamed: pairs.map(({ previousName, name }) => ({ previousName, name })),
    };
  },
  name: (frame) => (isString(frame.name) ? { type: 'name', name: frame.name } : undefined),
  error: (frame) => {
    if (!isString(frame.errorMessage)) return undefined;
    const code = isString(frame.code) ? frame.code : 'ERROR';
    return {
      type: 'error',
      code,
      message: frame.errorMessage,
      ...(isString(frame.action) ? { action: frame.action } : {}),
    };
  },
  pong: () => ({ type: 'pong' }),
  system: parseChatMessage,
  public: parseChatMessage,
  private: parseChatMessage,
};

/** The server frame types this client reads (compared with the server's list by a unit test). */
export const READ_FRAME_TYPES = Object.keys(readers) as Server.ServerFrameType[];

const isReadType = (type: unknown): type is Server.ServerFrameType =>
  isString(type) && Object.hasOwn(readers, type);

/** Parses one text frame; anything malformed or unknown gives `undefined` and is ignored by the caller. */
export function parseServerFrame(data: unknown): ServerFrame | undefined {
  if (!isString(data)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const frame = value as Json;
  if (isReadType(frame.type)) return readers[frame.type](frame);
  // API Gateway's frames have no `type`, only `message` (and connection/request ids).
  if (frame.type === undefined && isString(frame.message)) {
    return { type: 'gateway-error', message: frame.message };
  }
  return undefined;
}

export type ClientFrame =
  | { action: Extract<ChatAction, 'setName'>; name: string }
  | { action: Extract<ChatAction, 'sendPublic'>; message: string }
  | { action: Extract<ChatAction, 'sendPrivate'>; to: string; message: string }
  | { action: typeof PING_ACTION };

export const setNameFrame = (name: string): ClientFrame => ({ action: 'setName', name });
export const sendPublicFrame = (message: string): ClientFrame => ({ action: 'sendPublic', message });
export const sendPrivateFrame = (to: string, message: string): ClientFrame => ({
  action: 'sendPrivate',
  to,
  message,
});
/**
 * The keepalive: `$default` answers it with `pong`. A server from before `ping` existed answers
 * UNKNOWN_ACTION, which the client also drops. Any traffic resets API Gateway's 10-minute idle
 * timer, so this works either way.
 */
export const keepaliveFrame = (): ClientFrame => ({ action: 'ping' });

const codePointLength = (text: string): number => [...text].length;

/**
 * The server's name rule (the same function), so the browser accepts exactly the names the
 * server does. The common mistakes get the page's own wording; any other rule the server's.
 */
export function validateName(raw: string): { ok: true; name: string } | { ok: false; error: string } {
  try {
    return { ok: true, name: serverValidateName(raw) };
  } catch (error) {
    if (!(error instanceof InvalidNameError)) throw error;
    const name = raw.trim();
    if (name === '') return { ok: false, error: 'Enter a name.' };
    if (codePointLength(name) > MAX_NAME_LENGTH) {
      return { ok: false, error: `A name has at most ${MAX_NAME_LENGTH} characters.` };
    }
    return { ok: false, error: `${error.message}.` };
  }
}

/** The server's message rule, with the page's wording (and the length, which helps to cut). */
export function validateMessage(raw: string): { ok: true; message: string } | { ok: false; error: string } {
  try {
    return { ok: true, message: serverValidateMessage(raw) };
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    if (error instanceof MessageTooLongError) {
      const length = codePointLength(raw.trim());
      return {
        ok: false,
        error: `A message has at most ${MAX_MESSAGE_LENGTH} characters (this one has ${length}).`,
      };
    }
    if (raw.trim() === '') return { ok: false, error: 'Type a message first.' };
    return { ok: false, error: `${error.message}.` };
  }
}

const utf8 = new TextEncoder();

/** Serialises a frame, or says why it cannot be sent (the server rejects frames over 8 KiB). */
export function encodeClientFrame(
  frame: ClientFrame,
): { ok: true; data: string } | { ok: false; error: string } {
  const data = JSON.stringify(frame);
  if (utf8.encode(data).byteLength > MAX_FRAME_BYTES) {
    return { ok: false, error: 'That message is too large to send.' };
  }
  return { ok: true, data };
}

/** Names are unique by the server's name key (case and Unicode form ignored): compare them so. */
export const sameName = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && nameKeyOf(a) === nameKeyOf(b);
