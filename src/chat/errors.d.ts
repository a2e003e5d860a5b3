/** The error codes of docs/protocol.md, each answered to the caller with an `error` frame. */
export type ErrorCode = 'INVALID_JSON' | 'UNKNOWN_ACTION' | 'FRAME_TOO_LARGE' | 'INVALID_NAME' | 'NAME_TAKEN' | 'NAME_REQUIRED' | 'INVALID_MESSAGE' | 'MESSAGE_TOO_LONG' | 'INVALID_RECIPIENT' | 'RECIPIENT_NOT_FOUND';
/**
 * A request the client got wrong. Only these become error frames; anything else is an
 * infrastructure failure that is rethrown so API Gateway answers "Internal server error".
 */
export declare abstract class ClientError extends Error {
    abstract readonly code: ErrorCode;
}
export declare class InvalidJsonError extends ClientError {
    readonly name = "InvalidJsonError";
    readonly code = "INVALID_JSON";
    constructor();
}
export declare class UnknownActionError extends ClientError {
    readonly name = "UnknownActionError";
    readonly code = "UNKNOWN_ACTION";
    constructor(validActions: readonly string[]);
}
export declare class FrameTooLargeError extends ClientError {
    readonly name = "FrameTooLargeError";
    readonly code = "FRAME_TOO_LARGE";
    constructor(maxBytes: number);
}
export declare class InvalidNameError extends ClientError {
    readonly name = "InvalidNameError";
    readonly code = "INVALID_NAME";
}
export declare class NameTakenError extends ClientError {
    readonly name = "NameTakenError";
    readonly code = "NAME_TAKEN";
    constructor(name: string);
}
export declare class NameRequiredError extends ClientError {
    readonly name = "NameRequiredError";
    readonly code = "NAME_REQUIRED";
    constructor();
}
export declare class InvalidMessageError extends ClientError {
    readonly name = "InvalidMessageError";
    readonly code = "INVALID_MESSAGE";
}
export declare class MessageTooLongError extends ClientError {
    readonly name = "MessageTooLongError";
    readonly code = "MESSAGE_TOO_LONG";
    constructor(maxLength: number);
}
export declare class InvalidRecipientError extends ClientError {
    readonly name = "InvalidRecipientError";
    readonly code = "INVALID_RECIPIENT";
}
export declare class RecipientNotFoundError extends ClientError {
    readonly name = "RecipientNotFoundError";
    readonly code = "RECIPIENT_NOT_FOUND";
    constructor(name: string);
}
