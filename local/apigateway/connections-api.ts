import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayStats } from './gateway';
import { CLOSE, type GatewayLimits } from './limits';
import type { ApiRuntime, Connection } from './runtime';
import { SigV4Verifier } from './sigv4-verifier';

// The @connections management API (restJson): PostToConnection, GetConnection, DeleteConnection
// at `/{stage}/@connections/{id}`, as the SDK's ApiGatewayManagementApiClient calls it, SigV4-signed
// (IAM auth, as on AWS: an unsigned or badly signed call is refused with 403).

/** A request body as read: its chunks up to the PostToConnection limit, and its whole size. */
interface Body {
  chunks: Buffer[];
  size: number;
}

const CONNECTIONS_PATH = /^\/([^/]+)\/@connections\/([^/]+)\/?$/;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What the API needs of the gateway that owns the connections. */
export interface ConnectionsHost {
  stage(name: string): ApiRuntime | undefined;
  /** An open connection of this API (not one that is closing). */
  find(runtime: ApiRuntime, connectionId: string): Connection | undefined;
  /** Queues a frame for a connection still in its $connect; false when the gateway answers Gone. */
  queueDuringConnect(runtime: ApiRuntime, connectionId: string, data: Buffer): boolean;
  close(conn: Connection, code: number, reason: string): void;
  counters(): Pick<GatewayStats, 'postToConnection' | 'getConnection' | 'deleteConnection'>;
  limits: GatewayLimits;
  callbackLatencyMs?: number;
  /** Checks each call's SigV4 signature against the credentials the stack hands to functions. */
  verifier: SigV4Verifier;
  /** An injected failure for one PostToConnection (local/faults), answered instead of a delivery. */
  postFault?: () => { status: number; type: string; message: string } | undefined;
}

export class ConnectionsApi {
  constructor(private readonly host: ConnectionsHost) {}

  /** Handles `/{stage}/@connections/{id}`; false when the request is for something else. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    if (!url.includes('/@connections')) return false;
    // The whole request is read first: its signature covers the body's hash, and API Gateway
    // authenticates a call before it looks at what the call asks for.
    const limit = this.host.limits.postBytes;
    const hash = SigV4Verifier.bodyHash();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      this.host.verifier
        .verify({ method: req.method ?? 'GET', url, headers: req.headers, payloadHash: hash.digest() })
        .then(
          (refusal) => {
            if (refusal) sendError(res, refusal.status, refusal.type, refusal.message);
            else this.route(req.method, url, res, { chunks, size });
          },
          (error: unknown) => sendError(res, 500, 'InternalServerErrorException', String(error)),
        );
    });
    return true;
  }

  private route(method: string | undefined, url: string, res: ServerResponse, body: Body): void {
    const q = url.indexOf('?');
    const match = CONNECTIONS_PATH.exec(q < 0 ? url : url.slice(0, q));
    const runtime = match ? this.host.stage(match[1] as string) : undefined;
    let connectionId: string | undefined;
    try {
      connectionId = match ? decodeURIComponent(match[2] as string) : undefined;
    } catch {
      connectionId = undefined;
    }
    if (!runtime || connectionId === undefined) {
      sendError(res, 403, 'ForbiddenException', 'Forbidden');
      return;
    }
    switch (method) {
      case 'POST':
        this.postToConnection(res, runtime, connectionId, body);
        break;
      case 'GET':
        void this.getConnection(res, runtime, connectionId);
        break;
      case 'DELETE':
        void this.deleteConnection(res, runtime, connectionId);
        break;
      default:
        sendError(res, 403, 'ForbiddenException', 'Forbidden');
    }
  }

  // The hot path of every fan-out: at most one timer per request.
  // @connections calls are not tracked for drain(): a function's call belongs to its invocation.
  private postToConnection(res: ServerResponse, runtime: ApiRuntime, connectionId: string, body: Body): void {
    const stats = this.host.counters().postToConnection;
    stats.calls++;
    const limit = this.host.limits.postBytes;
    const { chunks, size } = body;
    const answer = (): void => {
      if (size > limit) {
        stats.tooLarge++;
        sendError(res, 413, 'PayloadTooLargeException', 'Message too long');
        return;
      }
      const fault = this.host.postFault?.();
      if (fault) {
        sendError(res, fault.status, fault.type, fault.message);
        return;
      }
      const data = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      const conn = this.host.find(runtime, connectionId);
      if (!conn) {
        if (this.host.queueDuringConnect(runtime, connectionId, data)) {
          stats.ok++;
          stats.bytes += size;
          sendEmpty(res, 200);
          return;
        }
        stats.gone++;
        sendGone(res);
        return;
      }
      stats.ok++;
      stats.bytes += size;
      // PostToConnection delivers text frames; ws would send a Buffer as binary by default.
      conn.ws.send(data, { binary: false });
      sendEmpty(res, 200);
    };
    if (this.host.callbackLatencyMs) setTimeout(answer, this.host.callbackLatencyMs);
    else answer();
  }

  private async getConnection(res: ServerResponse, runtime: ApiRuntime, connectionId: string): Promise<void> {
    const conn = await this.lookup(res, runtime, connectionId, 'getConnection');
    if (!conn) return;
    const identity: Record<string, string> = { sourceIp: conn.ctx.sourceIp };
    if (conn.ctx.userAgent !== undefined) identity.userAgent = conn.ctx.userAgent;
    sendJson(res, 200, {
      connectedAt: new Date(conn.ctx.connectedAt).toISOString(),
      identity,
      lastActiveAt: new Date(conn.lastActiveAt).toISOString(),
    });
  }

  private async deleteConnection(
    res: ServerResponse,
    runtime: ApiRuntime,
    connectionId: string,
  ): Promise<void> {
    const conn = await this.lookup(res, runtime, connectionId, 'deleteConnection');
    if (!conn) return;
    this.host.close(conn, CLOSE.deleted.code, CLOSE.deleted.reason);
    sendEmpty(res, 204);
  }

  /** Counts the call and finds its connection after the simulated latency; answers Gone when there is none. */
  private async lookup(
    res: ServerResponse,
    runtime: ApiRuntime,
    connectionId: string,
    operation: 'getConnection' | 'deleteConnection',
  ): Promise<Connection | undefined> {
    this.host.counters()[operation].calls++;
    if (this.host.callbackLatencyMs) await delay(this.host.callbackLatencyMs);
    const conn = this.host.find(runtime, connectionId);
    if (!conn) {
      this.host.counters()[operation].gone++;
      sendGone(res);
    }
    return conn;
  }
}

function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': '0' });
  res.end();
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

// The SDK reads the error type from this header, so `err instanceof GoneException` works.
function sendError(res: ServerResponse, status: number, type: string, message: string | null): void {
  const text = JSON.stringify({ message });
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    'x-amzn-ErrorType': type,
  });
  res.end(text);
}

function sendGone(res: ServerResponse): void {
  sendError(res, 410, 'GoneException', null);
}
