import WebSocket from 'ws';

/** A WebSocket client that keeps every frame it receives, for tests to read in order. */
export class TestClient {
  readonly frames: string[] = [];
  private read = 0;
  private waiters: (() => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? `<binary ${(data as Buffer).length}>` : (data as Buffer).toString('utf8'));
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString('utf8') });
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
    ws.on('error', () => {
      // The close promise reports what happened.
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const client = new TestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        reject(new HandshakeRejected(res.statusCode ?? 0));
        res.resume();
      });
      ws.once('error', reject);
    });
  }

  send(frame: string | object): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame not read yet; fails after timeoutMs so a missing frame shows as a failure. */
  async next(timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.read >= this.frames.length) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('socket closed while waiting for a frame');
      if (Date.now() > deadline) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames[this.read++] as string;
  }

  async nextJson<T = Record<string, unknown>>(timeoutMs?: number): Promise<T> {
    return JSON.parse(await this.next(timeoutMs)) as T;
  }

  /** Sends a frame to the echo route and returns the event the function received. */
  async echo(extra: object = {}): Promise<EchoedEvent> {
    this.send({ action: 'echo', ...extra });
    return (await this.nextJson<{ echo: EchoedEvent }>()).echo;
  }

  close(code?: number, reason?: string): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    return this.closed;
  }
}

export class HandshakeRejected extends Error {
  constructor(readonly statusCode: number) {
    super(`handshake rejected with ${statusCode}`);
  }
}

export interface EchoedEvent {
  body?: string;
  headers?: Record<string, string>;
  isBase64Encoded: boolean;
  requestContext: Record<string, unknown> & { connectionId: string; routeKey: string };
}

/** Polls until the condition holds; for states no event announces (a server noticing a dead socket). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const FIXTURE_TEMPLATE = 'tests/fixtures/local-stack/template.yaml';
