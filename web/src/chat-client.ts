// The chat session without the DOM: one WebSocket at a time, reconnect with backoff after a drop,
// a keepalive inside API Gateway's 10-minute idle timeout, and the chosen name set again on every
// new connection. The page (main.ts) renders what this reports; unit tests drive it with a fake
// socket and fake timers.

import { reconnectDelayMs } from './backoff';
import { type MemberChange, MemberList, type MemberListUpdate } from './member-list';
import { entryFromFrame, type LogEntry, MessageLog } from './message-log';
import {
  type ClientFrame,
  encodeClientFrame,
  keepaliveFrame,
  parseServerFrame,
  type ServerFrame,
  sendPrivateFrame,
  sendPublicFrame,
  setNameFrame,
  validateMessage,
  validateName,
} from './protocol';

/** The part of the browser's WebSocket this client uses. */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** What a socket reports back; an `error` event is always followed by `close`, so it is not needed. */
export interface SocketEvents {
  open(): void;
  message(data: unknown): void;
  close(code: number): void;
}

/** Opens a socket to `url` that reports to `events` (main.ts wraps the browser's WebSocket). */
export type SocketFactory = (url: string, events: SocketEvents) => SocketLike;

export interface Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export type ConnectionStatus =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  /** Dropped (or never reached the server); the next attempt starts at `retryAt` (epoch ms). */
  | { kind: 'waiting'; attempt: number; retryAt: number; everConnected: boolean }
  | { kind: 'stopped' };

/** What the page is told; every method is called only when something changed. */
export interface ChatListener {
  status(status: ConnectionStatus): void;
  /**
   * The members list changed. With `changes`, only those positions did (a presence delta: the page
   * can update one row instead of redrawing thousands); without, the whole list was replaced.
   */
  members(members: readonly string[], changes?: readonly MemberChange[]): void;
  /** The name the server accepted for this connection, or undefined when there is none. */
  name(name: string | undefined): void;
  /** An error to show next to the name field, or undefined to clear it. */
  nameError(error: string | undefined): void;
  /** A new entry, now at `index` of the conversation (in id order); `removed` were trimmed off the top. */
  entry(entry: LogEntry, index: number, removed: readonly LogEntry[]): void;
}

/** Where the accepted name survives a page reload (sessionStorage in the browser). */
export interface NameStore {
  load(): string | undefined;
  save(name: string | undefined): void;
}

export interface ChatClientOptions {
  url: string;
  createSocket: SocketFactory;
  listener: ChatListener;
  clock?: Clock;
  random?: () => number;
  nameStore?: NameStore;
  /** Send a keepalive after this long without sending anything (API Gateway closes at 10 minutes). */
  keepaliveMs?: number;
  /** How often to retry restoring a name the server still thinks is taken (our own old connection). */
  restoreRetries?: number;
}

export const KEEPALIVE_MS = 5 * 60 * 1000;
const RESTORE_RETRY_BASE_MS = 1000;
const NAME_ERROR_CODES = new Set(['INVALID_NAME', 'NAME_TAKEN']);

const browserClock: Clock = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

type SendResult = { ok: true } | { ok: false; error: string };

export class ChatClient {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly keepaliveMs: number;
  private readonly restoreRetries: number;
  private readonly log = new MessageLog();

  private socket: SocketLike | undefined;
  private status: ConnectionStatus = { kind: 'stopped' };
  private failedAttempts = 0;
  private everConnected = false;
  private retryTimer: unknown;
  private keepaliveTimer: unknown;
  private restoreTimer: unknown;
  private pendingKeepalives = 0;

  private currentName: string | undefined;
  /** The last name the server accepted: set again on every new connection. */
  private restoreName: string | undefined;
  /** A name the user chose while the socket was not open: sent as soon as it opens. */
  private queuedName: string | undefined;
  private nameRequest: { name: string; source: 'user' | 'restore'; retries: number } | undefined;
  private readonly memberList = new MemberList();

  constructor(private readonly options: ChatClientOptions) {
    this.clock = options.clock ?? browserClock;
    this.random = options.random ?? Math.random;
    this.keepaliveMs = options.keepaliveMs ?? KEEPALIVE_MS;
    this.restoreRetries = options.restoreRetries ?? 4;
    this.restoreName = options.nameStore?.load();
  }

  get name(): string | undefined {
    return this.currentName;
  }

  get members(): readonly string[] {
    return this.memberList.members;
  }

  get connectionStatus(): ConnectionStatus {
    return this.status;
  }

  start(): void {
    if (this.status.kind !== 'stopped') return;
    this.connect();
  }

  /** Closes the socket for good (page unload); nothing reconnects after this. */
  stop(): void {
    this.setStatus({ kind: 'stopped' });
    this.clearTimers();
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, 'Client closed');
  }

  /** Skips the rest of the backoff wait (the user asked, or the browser came back online). */
  retryNow(): void {
    if (this.status.kind !== 'waiting') return;
    this.clock.clearTimeout(this.retryTimer);
    this.connect();
  }

  chooseName(raw: string): void {
    const checked = validateName(raw);
    if (!checked.ok) {
      this.options.listener.nameError(checked.error);
      return;
    }
    this.options.listener.nameError(undefined);
    if (this.status.kind !== 'open') {
      this.queuedName = checked.name;
      return;
    }
    this.requestName(checked.name, 'user');
  }

  /** Sends a public message, or a private one when `to` names a member. */
  sendMessage(raw: string, to?: string): SendResult {
    const checked = validateMessage(raw);
    if (!checked.ok) return checked;
    if (this.status.kind !== 'open')
      return { ok: false, error: 'Not connected: wait for the connection to return.' };
    if (this.currentName === undefined) return { ok: false, error: 'Choose a name before sending messages.' };
    const frame = to === undefined ? sendPublicFrame(checked.message) : sendPrivateFrame(to, checked.message);
    return this.send(frame);
  }

  private connect(): void {
    this.setStatus({ kind: 'connecting', attempt: this.failedAttempts });
    // Events of a socket this client has already given up on are ignored.
    const events: SocketEvents = {
      open: () => socket === this.socket && this.handleOpen(),
      message: (data) => socket === this.socket && this.handleFrame(parseServerFrame(data)),
      close: (code) => socket === this.socket && this.handleClose(code),
    };
    let socket: SocketLike;
    try {
      socket = this.options.createSocket(this.options.url, events);
    } catch (error) {
      // The constructor throws only for a malformed URL: retrying would not help.
      this.addLocal('error', `Cannot open ${this.options.url}: ${String(error)}`);
      this.setStatus({ kind: 'stopped' });
      return;
    }
    this.socket = socket;
  }

  private handleOpen(): void {
    const reconnected = this.everConnected;
    this.everConnected = true;
    this.failedAttempts = 0;
    this.setStatus({ kind: 'open' });
    if (reconnected) this.addLocal('notice', 'Reconnected.');
    this.scheduleKeepalive();
    const name = this.queuedName ?? this.restoreName;
    const source = this.queuedName !== undefined ? 'user' : 'restore';
    this.queuedName = undefined;
    if (name !== undefined) this.requestName(name, source);
  }

  private handleClose(code: number): void {
    const wasOpen = this.status.kind === 'open';
    this.socket = undefined;
    this.clearTimers();
    this.pendingKeepalives = 0;
    if (this.nameRequest !== undefined && this.nameRequest.source === 'user')
      this.queuedName = this.nameRequest.name;
    this.nameRequest = undefined;
    this.setName(undefined);
    this.showMembers(this.memberList.clear());
    if (this.status.kind === 'stopped') return;
    if (wasOpen) this.addLocal('notice', `Connection lost (code ${code}). Reconnecting…`);
    this.failedAttempts += 1;
    const delay = reconnectDelayMs(this.failedAttempts, this.random);
    this.setStatus({
      kind: 'waiting',
      attempt: this.failedAttempts,
      retryAt: this.clock.now() + delay,
      everConnected: this.everConnected,
    });
    this.retryTimer = this.clock.setTimeout(() => this.connect(), delay);
  }

  private handleFrame(frame: ServerFrame | undefined): void {
    if (frame === undefined) return;
    switch (frame.type) {
      case 'members':
        this.showMembers(this.memberList.receiveMembers(frame));
        return;
      case 'presence':
        this.showMembers(this.memberList.receivePresence(frame));
        return;
      case 'name':
        this.nameRequest = undefined;
        this.restoreName = frame.name;
        this.options.nameStore?.save(frame.name);
        this.options.listener.nameError(undefined);
        this.setName(frame.name);
        return;
      case 'error':
        this.handleError(frame.code, frame.message, frame.action);
        return;
      case 'gateway-error':
        this.addLocal('error', `The server could not handle a request: ${frame.message}.`);
        return;
      case 'pong':
        this.pendingKeepalives = Math.max(0, this.pendingKeepalives - 1);
        return;
      default: {
        const entry = entryFromFrame(frame, this.currentName);
        const { added, index, removed } = this.log.add(entry);
        if (added) this.options.listener.entry(entry, index, removed);
      }
    }
  }

  private handleError(code: string, message: string, action: string | undefined): void {
    if (code === 'UNKNOWN_ACTION' && this.pendingKeepalives > 0) {
      // A server from before `ping` existed answers a keepalive this way; drop it too.
      this.pendingKeepalives -= 1;
      return;
    }
    if (NAME_ERROR_CODES.has(code) || action === 'setName') {
      this.handleNameError(code, message);
      return;
    }
    this.addLocal('error', message);
  }

  private handleNameError(code: string, message: string): void {
    const request = this.nameRequest;
    this.nameRequest = undefined;
    if (request?.source === 'restore') {
      if (code === 'NAME_TAKEN' && request.retries < this.restoreRetries) {
        // Most likely our own previous connection, which the server has not yet removed.
        const delay = RESTORE_RETRY_BASE_MS * 2 ** request.retries;
        this.restoreTimer = this.clock.setTimeout(() => {
          if (this.status.kind === 'open' && this.currentName === undefined) {
            this.requestName(request.name, 'restore', request.retries + 1);
          }
        }, delay);
        return;
      }
      this.restoreName = undefined;
      this.options.nameStore?.save(undefined);
      this.options.listener.nameError(`Could not rejoin as "${request.name}": ${message} Choose a name.`);
      return;
    }
    this.options.listener.nameError(message);
  }

  private requestName(name: string, source: 'user' | 'restore', retries = 0): void {
    this.nameRequest = { name, source, retries };
    const result = this.send(setNameFrame(name));
    if (!result.ok) {
      this.nameRequest = undefined;
      this.options.listener.nameError(result.error);
    }
  }

  private send(frame: ClientFrame): SendResult {
    const encoded = encodeClientFrame(frame);
    if (!encoded.ok) return encoded;
    if (this.socket === undefined) return { ok: false, error: 'Not connected.' };
    try {
      this.socket.send(encoded.data);
    } catch (error) {
      return { ok: false, error: `Could not send: ${String(error)}` };
    }
    this.scheduleKeepalive();
    return { ok: true };
  }

  /** Any frame we send resets the idle timer, so a keepalive goes out only after `keepaliveMs` of silence. */
  private scheduleKeepalive(): void {
    this.clock.clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = this.clock.setTimeout(() => {
      if (this.status.kind !== 'open') return;
      const result = this.send(keepaliveFrame());
      if (result.ok) this.pendingKeepalives += 1;
    }, this.keepaliveMs);
  }

  private clearTimers(): void {
    this.clock.clearTimeout(this.retryTimer);
    this.clock.clearTimeout(this.keepaliveTimer);
    this.clock.clearTimeout(this.restoreTimer);
  }

  private addLocal(kind: 'error' | 'notice', text: string): void {
    const entry: LogEntry = { key: this.log.nextLocalKey(), kind, ts: this.clock.now(), text, own: false };
    const { added, index, removed } = this.log.add(entry);
    if (added) this.options.listener.entry(entry, index, removed);
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    this.options.listener.status(status);
  }

  private setName(name: string | undefined): void {
    if (name === this.currentName) return;
    this.currentName = name;
    this.options.listener.name(name);
  }

  private showMembers(update: MemberListUpdate | undefined): void {
    if (update === undefined) return;
    if (update.kind === 'replaced') this.options.listener.members(update.members);
    else this.options.listener.members(update.members, update.changes);
  }
}
