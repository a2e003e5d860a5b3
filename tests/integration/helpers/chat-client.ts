import WebSocket from 'ws';
import type { LocalStack } from '../../../local/stack';

/** A server frame as the client parsed it; gateway frames (`{"message":"Forbidden",...}`) have no type. */
export type Frame = Record<string, unknown> & { type?: string };

export type FramePredicate = (frame: Frame) => boolean;

/**
 * Generous: the box is shared and cold starts of the functions take seconds under load (20 s was
 * exceeded at load average 30). An upper bound on a wait for an event, never a timed assertion.
 */
export const FRAME_TIMEOUT_MS = 45_000;

/**
 * A chat client on a real `ws` socket that keeps every frame it receives, so a test can wait for a
 * frame matching a predicate and later inspect the whole sequence (what it did NOT receive).
 */
export class ChatClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly wakers = new Set<() => void>();
  private isClosed = false;

  private constructor(
    readonly ws: WebSocket,
    readonly label: string,
  ) {
    ws.on('message', (data, isBinary) => {
      const text = (data as Buffer).toString('utf8');
      let frame: Frame;
      try {
        frame = isBinary ? { type: '<binary>', raw: text } : (JSON.parse(text) as Frame);
      } catch {
        frame = { type: '<not json>', raw: text };
      }
      this.frames.push(frame);
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString('utf8') });
        this.wake();
      });
    });
    ws.on('error', () => {
      // `closed` reports what happened to the socket.
    });
  }

  static connect(url: string, label = 'client'): Promise<ChatClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const client = new ChatClient(ws, label);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        reject(new Error(`${label}: handshake rejected with ${res.statusCode}`));
      });
      ws.once('error', reject);
    });
  }

  private wake(): void {
    for (const wake of [...this.wakers]) wake();
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** How many frames arrived so far: pass it as `from` to wait only for frames after this point. */
  mark(): number {
    return this.frames.length;
  }

  /** The first frame at or after index `from` matching the predicate, waiting for it if needed. */
  waitFor(
    predicate: FramePredicate,
    { from = 0, timeoutMs = FRAME_TIMEOUT_MS, what = 'a matching frame' } = {},
  ): Promise<Frame> {
    return new Promise((resolve, reject) => {
      let scanned = from;
      const check = (): boolean => {
        for (; scanned < this.frames.length; scanned++) {
          const frame = this.frames[scanned] as Frame;
          if (predicate(frame)) {
            finish();
            resolve(frame);
            return true;
          }
        }
        if (this.isClosed) {
          finish();
          reject(
            new Error(`${this.label}: socket closed while waiting for ${what}; got ${this.describe(from)}`),
          );
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.label}: no ${what} within ${timeoutMs} ms; got ${this.describe(from)}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.wakers.delete(waker);
      };
      const waker = (): void => {
        check();
      };
      this.wakers.add(waker);
      check();
    });
  }

  /** Waits until `count` frames after `from` match (e.g. one per shard), and returns them. */
  async waitForCount(
    predicate: FramePredicate,
    count: number,
    options: { from?: number; timeoutMs?: number; what?: string } = {},
  ): Promise<Frame[]> {
    let from = options.from ?? 0;
    const found: Frame[] = [];
    while (found.length < count) {
      const frame = await this.waitFor(predicate, { ...options, from });
      found.push(frame);
      from = this.frames.indexOf(frame, from) + 1;
    }
    return found;
  }

  /** Frames after `from` that match. */
  matching(predicate: FramePredicate, from = 0): Frame[] {
    return this.frames.slice(from).filter(predicate);
  }

  /** Sends setName and waits for its answer: the `name` ack or an `error` frame. */
  async setName(name: unknown): Promise<Frame> {
    const from = this.mark();
    this.send({ action: 'setName', name });
    return this.waitFor((f) => f.type === 'name' || f.type === 'error', { from, what: 'setName answer' });
  }

  /** Sends a frame and waits for the error frame it causes. */
  async expectError(frame: object | string): Promise<Frame> {
    const from = this.mark();
    if (typeof frame === 'string') this.sendRaw(frame);
    else this.send(frame);
    return this.waitFor((f) => f.type === 'error', { from, what: 'an error frame' });
  }

  /**
   * Resolves once the gateway has read everything this client sent and this client has read
   * everything the gateway wrote before: a ping's pong travels behind both, in order.
   */
  flush(timeoutMs = FRAME_TIMEOUT_MS): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.label}: no pong within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.ws.once('pong', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.ping();
    });
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }

  private describe(from: number): string {
    const frames = this.frames.slice(from);
    const text = frames.map((frame) => JSON.stringify(frame)).join('\n  ');
    return frames.length === 0 ? 'no frames' : `${frames.length} frame(s):\n  ${text.slice(0, 4000)}`;
  }
}

/** Opens `count` clients, `batchSize` handshakes at a time (each runs the $connect Lambda). */
export async function connectMany(url: string, count: number, batchSize = 20): Promise<ChatClient[]> {
  const clients: ChatClient[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) =>
      ChatClient.connect(url, `client-${start + i}`),
    );
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

// Predicates for the frames of docs/protocol.md.
export const isMembers: FramePredicate = (f) => f.type === 'members';
export const isSystem =
  (event: string, name: string): FramePredicate =>
  (f) =>
    f.type === 'system' && f.event === event && f.name === name;
export const isPublic =
  (text: string): FramePredicate =>
  (f) =>
    f.type === 'public' && f.text === text;
export const isPrivate =
  (text: string): FramePredicate =>
  (f) =>
    f.type === 'private' && f.text === text;
export const isError =
  (code: string): FramePredicate =>
  (f) =>
    f.type === 'error' && f.code === code;
export const withId =
  (id: unknown): FramePredicate =>
  (f) =>
    f.id === id;

/**
 * Waits until the stack is quiet and every client has read what was posted to it: the gateway has
 * read each client's frames (a pong), every route, event and broadcast has finished (drain), and
 * each client has received the frames posted before (another pong). "Exactly once" and "nothing"
 * assertions come after this.
 */
export async function settle(
  stack: Pick<LocalStack, 'drain'>,
  clients: readonly ChatClient[],
): Promise<void> {
  await Promise.all(clients.map((client) => client.flush()));
  await stack.drain();
  await Promise.all(clients.map((client) => client.flush()));
}

export const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
