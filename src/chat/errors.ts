/** The error codes of docs/protocol.md, each answered to the caller with an `error` frame. */
export type ErrorCode =
  | 'INVALID_JSON'
  | 'UNKNOWN_ACTION'
  | 'FRAME_TOO_LARGE'
  | 'INVALID_NAME'
  | 'NAME_TAKEN'
  | 'NAME_REQUIRED'
  | 'INVALID_MESSAGE'
  | 'MESSAGE_TOO_LONG'
  | 'INVALID_RECIPIENT'
  | 'RECIPIENT_NOT_FOUND'
  | 'RATE_LIMITED'
  // Not a rejection: the request was carried out, but some of its events could not be published
  // and wait in a queue for a re-drive (docs/protocol.md, "Delivery"). Sent by chat-api itself.
  | 'DELIVERY_DELAYED';

/**
 * A request the client got wrong. Only these become error frames; anything else is an
 * infrastructure failure that is rethrown so API Gateway answers "Internal server error".
 */
export abstract class ClientError extends Error {
  abstract readonly code: ErrorCode;
  /** When the same request can succeed again (ms), for errors that depend on time. */
  readonly retryAfterMs?: number;
}

export class InvalidJsonError extends ClientError {
  override readonly name = 'InvalidJsonError';
  readonly code = 'INVALID_JSON';
  constructor() {
    super('The message must be a JSON object');
  }
}

export class UnknownActionError extends ClientError {
  override readonly name = 'UnknownActionError';
  readonly code = 'UNKNOWN_ACTION';
  constructor(validActions: readonly string[]) {
    super(`Unknown action; valid actions are ${validActions.join(', ')}`);
  }
}

export class FrameTooLargeError extends ClientError {
  override readonly name = 'FrameTooLargeError';
  readonly code = 'FRAME_TOO_LARGE';
  constructor(maxBytes: number) {
    super(`The message is larger than ${maxBytes} bytes`);
  }
}

export class InvalidNameError extends ClientError {
  override readonly name = 'InvalidNameError';
  readonly code = 'INVALID_NAME';
}

export class NameTakenError extends ClientError {
  override readonly name = 'NameTakenError';
  readonly code = 'NAME_TAKEN';
  constructor(name: string) {
    super(`The name "${name}" is already taken`);
  }
}

export class NameRequiredError extends ClientError {
  override readonly name = 'NameRequiredError';
  readonly code = 'NAME_REQUIRED';
  constructor() {
    super('Choose a name with setName before sending messages');
  }
}

export class InvalidMessageError extends ClientError {
  override readonly name = 'InvalidMessageError';
  readonly code = 'INVALID_MESSAGE';
}

export class MessageTooLongError extends ClientError {
  override readonly name = 'MessageTooLongError';
  readonly code = 'MESSAGE_TOO_LONG';
  constructor(maxLength: number) {
    super(`The message is longer than ${maxLength} characters`);
  }
}

export class InvalidRecipientError extends ClientError {
  override readonly name = 'InvalidRecipientError';
  readonly code = 'INVALID_RECIPIENT';
}

export class RecipientNotFoundError extends ClientError {
  override readonly name = 'RecipientNotFoundError';
  readonly code = 'RECIPIENT_NOT_FOUND';
  constructor(name: string) {
    super(`Nobody named "${name}" is connected`);
  }
}

export class RateLimitedError extends ClientError {
  override readonly name = 'RateLimitedError';
  readonly code = 'RATE_LIMITED';
  override readonly retryAfterMs: number;
  constructor(what: string, retryAfterMs: number) {
    super(`Too many ${what}; retry in ${retryAfterMs} ms`);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Not a rejection: the request was carried out, but an event it published waits in the
 * unpublished-events queue for a re-drive (docs/protocol.md). Told to the caller so that a
 * message that did not reach everyone is never a silent success.
 */
export class DeliveryDelayedError extends ClientError {
  override readonly name = 'DeliveryDelayedError';
  readonly code = 'DELIVERY_DELAYED';
  constructor() {
    super('Not delivered to everyone yet: it is queued and will be delivered late. Do not send it again.');
  }
}
