// The wire protocol of docs/protocol.md, seen from the browser: parse what the server sends (never
// trusting its shape), build what the client sends, and pre-check input the way the server will.

import { findNameProblem } from '../../src/chat/names';

export const MAX_NAME_LENGTH = 32;
export const MAX_MESSAGE_LENGTH = 2000;
export const MAX_FRAME_BYTES = 8 * 1024;

export interface MembersFrame {
  type: 'members';
  members: string[];
}
export interface NameFrame {
  type: 'name';
  name: string;
}
export interface ErrorFrame {
  type: 'error';
  code: string;
  message: string;
  action?: string;
}
export interface SystemFrame {
  type: 'system';
  id: string;
  ts: number;
  text: string;
  event?: string;
}
export interface PublicFrame {
  type: 'public';
  id: string;
  ts: number;
  from: string;
  text: string;
}
export interface PrivateFrame {
  type: 'private';
  id: string;
  ts: number;
  from: string;
  to: string;
  text: string;
}
/** API Gateway's own answer when the Lambda fails: `{"message":"Internal server error",...}`. */
export interface GatewayErrorFrame {
  type: 'gateway-error';
  message: string;
}
/** The server's answer to a keepalive `ping`. */
export interface PongFrame {
  type: 'pong';
}

export type ChatMessageFrame = SystemFrame | PublicFrame | PrivateFrame;
export type ServerFrame =
  | MembersFrame
  | NameFrame
  | ErrorFrame
  | GatewayErrorFrame
  | PongFrame
  | ChatMessageFrame;

type Json = Record<string, unknown>;

const isString = (value: unknown): value is string => typeof value === 'string';
const isTimestamp = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

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
  switch (frame.type) {
    case 'members':
      return Array.isArray(frame.members) && frame.members.every(isString)
        ? { type: 'members', members: [...frame.members] }
        : undefined;
    case 'name':
      return isString(frame.name) ? { type: 'name', name: frame.name } : undefined;
    case 'error': {
      const message = isString(frame.errorMessage) ? frame.errorMessage : undefined;
      const code = isString(frame.code) ? frame.code : 'ERROR';
      if (message === undefined) return undefined;
      return { type: 'error', code, message, ...(isString(frame.action) ? { action: frame.action } : {}) };
    }
    case 'pong':
      return { type: 'pong' };
    case 'system':
    case 'public':
    case 'private':
      return parseChatMessage(frame);
    case undefined:
      // API Gateway's frames have no `type`, only `message` (and connection/request ids).
      return isString(frame.message) ? { type: 'gateway-error', message: frame.message } : undefined;
    default:
      return undefined;
  }
}

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

export type ClientFrame =
  | { action: 'setName'; name: string }
  | { action: 'sendPublic'; message: string }
  | { action: 'sendPrivate'; to: string; message: string }
  | { action: 'ping' };

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
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** The server's name rule, checked before sending so most mistakes are explained at once. */
export function validateName(raw: string): { ok: true; name: string } | { ok: false; error: string } {
  const name = raw.trim();
  if (name === '') return { ok: false, error: 'Enter a name.' };
  if (codePointLength(name) > MAX_NAME_LENGTH) {
    return { ok: false, error: `A name has at most ${MAX_NAME_LENGTH} characters.` };
  }
  if (CONTROL_CHARACTERS.test(name)) return { ok: false, error: 'A name cannot contain control characters.' };
  const problem = findNameProblem(name.normalize('NFC'));
  if (problem !== undefined) return { ok: false, error: `${problem}.` };
  return { ok: true, name };
}

export function validateMessage(raw: string): { ok: true; message: string } | { ok: false; error: string } {
  const message = raw.trim();
  if (message === '') return { ok: false, error: 'Type a message first.' };
  const length = codePointLength(message);
  if (length > MAX_MESSAGE_LENGTH) {
    return {
      ok: false,
      error: `A message has at most ${MAX_MESSAGE_LENGTH} characters (this one has ${length}).`,
    };
  }
  return { ok: true, message };
}

/** Serialises a frame, or says why it cannot be sent (the server rejects frames over 8 KiB). */
export function encodeClientFrame(
  frame: ClientFrame,
): { ok: true; data: string } | { ok: false; error: string } {
  const data = JSON.stringify(frame);
  if (new TextEncoder().encode(data).length > MAX_FRAME_BYTES) {
    return { ok: false, error: 'That message is too large to send.' };
  }
  return { ok: true, data };
}

// Two names are one name when the server would say so: ignoring case, compatibility forms and
// look-alike characters. The server's own comparison, not a copy of it.
export { sameName } from '../../src/chat/names';
