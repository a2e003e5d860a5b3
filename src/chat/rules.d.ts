import { UnknownActionError } from './errors';
export declare const CHAT_ACTIONS: readonly ["setName", "sendPublic", "sendPrivate"];
export type ChatAction = (typeof CHAT_ACTIONS)[number];
export declare const MAX_FRAME_BYTES: number;
export declare const MAX_NAME_LENGTH = 32;
export declare const MAX_MESSAGE_LENGTH = 2000;
/** Parses one incoming frame: size first (cheap and protects the parser), then JSON object. */
export declare const parseFrame: (body: string | undefined) => Record<string, unknown>;
export declare const isChatAction: (value: unknown) => value is ChatAction;
/** What the $default route answers: the frame was JSON but named no action we know. */
/**
 * Keepalive: API Gateway closes a socket after 10 idle minutes, so clients send this now and then.
 * It has no route of its own (it would cost a route for every deployment); `$default` answers it.
 */
export declare const PING_ACTION = "ping";
export declare const unknownAction: () => UnknownActionError;
/** The key that makes names unique ignoring case ("Alice" and "alice" are one name). */
export declare const nameKeyOf: (name: string) => string;
export declare const validateName: (value: unknown) => string;
export declare const validateMessage: (value: unknown) => string;
/** The recipient's name as typed (trimmed); the caller compares it by name key. */
export declare const validateRecipient: (value: unknown, senderName: string) => string;
/** Members are listed sorted case-insensitively (ties broken by the exact name for stability). */
export declare const sortMembers: (names: Iterable<string>) => string[];
