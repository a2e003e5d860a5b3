import type { ClientError } from './errors';
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
export type ServerFrame = MembersFrame | SystemFrame | PublicFrame | PrivateFrame | NameFrame | PongFrame | ErrorFrame;
/** Frames the broadcaster fans out (carried in EventBridge events). */
export type BroadcastFrame = SystemFrame | PublicFrame | PrivateFrame;
export interface MessageStamp {
    id: string;
    ts: number;
}
export declare const systemText: {
    joined: (name: string) => string;
    left: (name: string) => string;
    renamed: (previousName: string, name: string) => string;
};
export declare const joinedFrame: (name: string, stamp: MessageStamp) => SystemFrame;
export declare const leftFrame: (name: string, stamp: MessageStamp) => SystemFrame;
export declare const renamedFrame: (previousName: string, name: string, stamp: MessageStamp) => SystemFrame;
export declare const publicFrame: (from: string, text: string, stamp: MessageStamp) => PublicFrame;
export declare const privateFrame: (from: string, to: string, text: string, stamp: MessageStamp) => PrivateFrame;
export declare const membersFrame: (members: string[]) => MembersFrame;
export declare const nameFrame: (name: string) => NameFrame;
/** The one place a rejected request becomes what the client sees: code and message, never a stack. */
export declare const errorFrame: (error: ClientError, action?: string) => ErrorFrame;
export type ServerFrameType = ServerFrame['type'];
/**
 * Every `type` a server frame can have, at run time. The browser client parses exactly these
 * (tests/unit/web/protocol.test.ts fails when the two drift apart).
 */
export declare const SERVER_FRAME_TYPES: readonly ["members", "system", "public", "private", "name", "pong", "error"];
