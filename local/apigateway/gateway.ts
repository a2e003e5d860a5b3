// Longer than the ~400 lines a module here should be, on purpose: a connection's life ($connect
// handshake, frames and routes, idle and maximum-duration timers, close and $disconnect) is one
// state machine over the same connection table, pending handshakes and in-flight invocations.
// What stands alone is out: connections-api.ts (@connections), events.ts, route-selection.ts,
// limits.ts, frame-size-watcher.ts, ids.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { LocalService } from '../service';
import type { SegmentDocument } from '../xray';
import { ConnectionsApi } from './connections-api';
import {
  buildConnectEvent,
  buildDisconnectEvent,
  buildMessageEvent,
  type ConnectionContext,
  defaultDisconnectReason,
  gatewayErrorFrame,
  type WebSocketEvent,
} from './events';
import { FrameSizeWatcher } from './frame-size-watcher';
import { newGatewayId, newTraceId } from './ids';
import { AWS_LIMITS, CLOSE, type GatewayLimits } from './limits';
import { createRouteSelector } from './route-selection';
import { startRouteTrace } from './route-trace';
import type { ApiRuntime, Connection, PendingConnection } from './runtime';
import { type LocalCredentials, SigV4Verifier } from './sigv4-verifier';

/** The parts of the stack model's WebSocketApiModel the gateway needs. */
export interface GatewayApi {
  logicalId: string;
  apiId: string;
  stageName: string;
  routeSelectionExpression: string;
  routes: { routeKey: string; functionLogicalId?: string; routeResponse: boolean }[];
}

export type GatewayInvokeResult =
  | { ok: true; payload: unknown }
  | { ok: false; error: { errorType: string; errorMessage: string } };

/** How the gateway runs integrations: LambdaService.invoke (RequestResponse) fits. */
export interface GatewayInvoker {
  invoke(
    functionLogicalId: string,
    event: WebSocketEvent,
    options: { label: string; traceHeader?: string },
  ): Promise<GatewayInvokeResult>;
}

/** Things worth a console line that no Lambda invocation report covers. */
export type GatewayActivity =
  | { type: 'connect'; apiId: string; connectionId: string; sourceIp: string }
  | { type: 'reject'; apiId: string; connectionId: string; statusCode: number; message?: string }
  | { type: 'disconnect'; apiId: string; connectionId: string; statusCode: number; reason: string }
  /** A dropped socket whose $disconnect route was not run (`lostDisconnectShare`). */
  | { type: 'disconnect-lost'; apiId: string; connectionId: string }
  | { type: 'close'; apiId: string; connectionId: string; statusCode: number; reason: string }
  | { type: 'forbidden'; apiId: string; connectionId: string }
  | { type: 'integration-error'; apiId: string; connectionId: string; routeKey: string; message: string };

export interface WebSocketGatewayOptions {
  apis: GatewayApi[];
  region: string;
  invoker: GatewayInvoker;
  limits?: Partial<GatewayLimits>;
  /** Wait this long before answering each @connections request (a simulated round trip). */
  callbackLatencyMs?: number;
  /** An injected failure for one PostToConnection (local/faults), answered instead of a delivery. */
  postFault?: () => { status: number; type: string; message: string } | undefined;
  /** Who may call @connections: a call must be SigV4-signed with one of these (IAM auth). */
  credentials: LocalCredentials[];
  onActivity?: (activity: GatewayActivity) => void;
  /** The gateway's X-Ray segment of each route invocation (route-trace.ts). */
  onSegment?: (segment: SegmentDocument) => void;
  /**
   * The share (0 to 1) of closed connections whose $disconnect route is never run: API Gateway
   * delivers $disconnect on a best-effort basis. Default 0.
   */
  lostDisconnectShare?: number;
  /** The random source for lostDisconnectShare; tests pass their own. Default Math.random. */
  random?: () => number;
}

export interface GatewayStats {
  connectionsOpened: number;
  connectionsRejected: number;
  connectionsClosed: number;
  openConnections: number;
  messagesIn: number;
  messageBytesIn: number;
  forbiddenFrames: number;
  integrationErrors: number;
  routeResponses: number;
  /** Closed connections whose $disconnect was not run (lostDisconnectShare). */
  disconnectsLost: number;
  routeInvocations: Record<string, number>;
  postToConnection: { calls: number; bytes: number; ok: number; gone: number; tooLarge: number };
  getConnection: { calls: number; gone: number };
  deleteConnection: { calls: number; gone: number };
}

const TIMED_OUT = Symbol('timed out');

function emptyStats(openConnections: number): GatewayStats {
  return {
    connectionsOpened: 0,
    connectionsRejected: 0,
    connectionsClosed: 0,
    openConnections,
    messagesIn: 0,
    messageBytesIn: 0,
    forbiddenFrames: 0,
    integrationErrors: 0,
    routeResponses: 0,
    disconnectsLost: 0,
    routeInvocations: {},
    postToConnection: { calls: 0, bytes: 0, ok: 0, gone: 0, tooLarge: 0 },
    getConnection: { calls: 0, gone: 0 },
    deleteConnection: { calls: 0, gone: 0 },
  };
}

function normalizeIp(address: string | undefined): string {
  if (!address) return '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function statusOf(payload: unknown): number {
  // A $connect integration that returns nothing (or no statusCode) accepts the connection.
  if (payload === null || typeof payload !== 'object') return 200;
  const raw = (payload as { statusCode?: unknown }).statusCode;
  const status = typeof raw === 'string' ? Number.parseInt(raw, 10) : raw;
  return typeof status === 'number' && Number.isInteger(status) ? status : 200;
}

function bodyOf(payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object') return undefined;
  const body = (payload as { body?: unknown }).body;
  return typeof body === 'string' ? body : undefined;
}

const _delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * API Gateway's WebSocket side on a Node http server: `/{stage}` upgrades to a WebSocket
 * (after the $connect integration accepts), frames are routed by the API's selection expression
 * to Lambda integrations, and `/{stage}/@connections/{id}` is the management API.
 */
export class WebSocketGateway implements LocalService<GatewayStats> {
  private readonly limits: GatewayLimits;
  private readonly byStage = new Map<string, ApiRuntime>();
  private readonly connections = new Map<string, Connection>();
  private readonly pending = new Map<string, PendingConnection>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /**
   * Every socket handed over by an upgrade, accepted or still in its $connect. The http server
   * forgets a socket once it is upgraded (closeAllConnections() does not reach it, and close()
   * waits for it), so the gateway must end each one itself when it closes.
   */
  private readonly sockets = new Set<Duplex>();
  private readonly wss: WebSocketServer;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly connectionsApi: ConnectionsApi;
  private counters: GatewayStats;
  private stopping = false;

  constructor(private readonly options: WebSocketGatewayOptions) {
    this.limits = { ...AWS_LIMITS, ...options.limits };
    for (const api of options.apis) {
      if (this.byStage.has(api.stageName)) {
        throw new Error(
          `WebSocket APIs ${this.byStage.get(api.stageName)?.api.logicalId} and ${api.logicalId} share the stage name "${api.stageName}"; the local stack serves each API at /{stage}`,
        );
      }
      this.byStage.set(api.stageName, {
        api,
        routes: new Map(api.routes.map((route) => [route.routeKey, route])),
        select: createRouteSelector(
          api.routeSelectionExpression,
          api.routes.map((route) => route.routeKey),
        ),
      });
    }
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: this.limits.messageBytes,
    });
    this.counters = emptyStats(0);
    const shortest = Math.min(this.limits.idleTimeoutMs, this.limits.maxConnectionMs);
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(20, Math.min(1000, shortest / 4)));
    this.sweepTimer.unref();
    this.connectionsApi = new ConnectionsApi({
      stage: (name) => this.byStage.get(name),
      find: (runtime, connectionId) => this.find(runtime, connectionId),
      queueDuringConnect: (runtime, connectionId, data) => {
        const pending = this.pending.get(connectionId);
        if (pending?.api !== runtime || this.limits.postDuringConnectStatus !== 200) return false;
        pending.queued.push(data);
        return true;
      },
      close: (conn, code, reason) => this.closeConnection(conn, code, reason),
      counters: () => this.counters,
      limits: this.limits,
      callbackLatencyMs: options.callbackLatencyMs,
      postFault: options.postFault,
      verifier: new SigV4Verifier({ region: options.region, credentials: options.credentials }),
    });
  }

  /** The stage paths this gateway serves, e.g. ['/production']. */
  get stagePaths(): string[] {
    return [...this.byStage.keys()].map((stage) => `/${stage}`);
  }

  get openConnections(): number {
    return this.connections.size;
  }

  private domainName(api: GatewayApi): string {
    return `${api.apiId}.execute-api.${this.options.region}.amazonaws.com`;
  }

  // ---------------------------------------------------------------- WebSocket upgrade + $connect

  /** Handles an http 'upgrade' for a stage path; false when the path is not a stage. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const runtime = path.startsWith('/') ? this.byStage.get(path.slice(1)) : undefined;
    if (!runtime) return false;
    socket.on('error', () => {
      // A client that resets during $connect: nothing to tell anyone.
    });
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (this.stopping) {
      rejectHandshake(socket, 503, '', true);
      return true;
    }
    if (
      req.headers.upgrade?.toLowerCase() !== 'websocket' ||
      !req.headers['sec-websocket-key'] ||
      req.headers['sec-websocket-version'] !== '13'
    ) {
      rejectHandshake(socket, 400, '');
      return true;
    }
    const query = q < 0 ? '' : url.slice(q + 1);
    this.track(this.connect(runtime, req, socket, head, query));
    return true;
  }

  private async connect(
    runtime: ApiRuntime,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    query: string,
  ): Promise<void> {
    const { api } = runtime;
    const now = Date.now();
    const userAgent = req.headers['user-agent'];
    const ctx: ConnectionContext = {
      apiId: api.apiId,
      stage: api.stageName,
      domainName: this.domainName(api),
      connectionId: newGatewayId(),
      connectedAt: now,
      sourceIp: normalizeIp(req.socket.remoteAddress),
      userAgent,
      host: req.headers.host ?? '',
    };
    const requestId = newGatewayId();
    const route = runtime.routes.get('$connect');
    let status = 200;
    let rejectBody = '';
    let failure: string | undefined;
    const pending: PendingConnection = { api: runtime, queued: [] };
    this.pending.set(ctx.connectionId, pending);
    try {
      if (route?.functionLogicalId) {
        const event = buildConnectEvent(ctx, {
          rawHeaders: req.rawHeaders,
          query,
          requestId,
          traceId: newTraceId(now),
          forwardedPort: req.socket.localPort ?? 0,
          forwardedProto: 'http',
          nowMs: now,
        });
        const result = await this.invokeRoute(route.functionLogicalId, event, '$connect');
        if (result === TIMED_OUT || !result.ok) {
          status = result === TIMED_OUT ? 504 : 500;
          rejectBody = gatewayErrorFrame(
            result === TIMED_OUT ? 'Endpoint request timed out' : 'Internal server error',
            ctx.connectionId,
            requestId,
          );
          failure =
            result === TIMED_OUT
              ? 'integration timed out'
              : `${result.error.errorType}: ${result.error.errorMessage}`;
          this.counters.integrationErrors++;
        } else {
          status = statusOf(result.payload);
          rejectBody = bodyOf(result.payload) ?? '';
        }
      }
    } finally {
      this.pending.delete(ctx.connectionId);
    }
    if (socket.destroyed) return;
    if (status < 200 || status > 299 || this.stopping) {
      this.counters.connectionsRejected++;
      this.options.onActivity?.({
        type: 'reject',
        apiId: api.apiId,
        connectionId: ctx.connectionId,
        statusCode: status,
        message: failure,
      });
      rejectHandshake(socket, this.stopping ? 503 : status, rejectBody, this.stopping);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(runtime, ctx, ws, socket, pending.queued));
  }

  private accept(
    runtime: ApiRuntime,
    ctx: ConnectionContext,
    ws: WebSocket,
    socket: Duplex,
    queued: Buffer[],
  ): void {
    // The idle clock starts when the socket opens, not when $connect began.
    const conn: Connection = { ctx, api: runtime, ws, socket, lastActiveAt: Date.now(), closing: false };
    this.connections.set(ctx.connectionId, conn);
    this.counters.connectionsOpened++;
    this.options.onActivity?.({
      type: 'connect',
      apiId: ctx.apiId,
      connectionId: ctx.connectionId,
      sourceIp: ctx.sourceIp,
    });
    const watcher = new FrameSizeWatcher(this.limits.frameBytes, () =>
      this.closeConnection(conn, CLOSE.tooBig.code, CLOSE.tooBig.reason),
    );
    // Before ws's own listener: a whole oversize frame in one chunk must close the connection
    // before ws parses it and routes it, as API Gateway never hands such a frame to a route.
    socket.prependListener('data', (chunk: Buffer) => watcher.push(chunk));
    ws.on('message', (data, isBinary) => this.onMessage(conn, data as Buffer, isBinary));
    ws.on('close', (code, reason) => this.onClose(conn, code, reason));
    ws.on('error', () => {
      // ws has already closed the socket with the right code (1009 for an oversize message,
      // 1007 for invalid UTF-8); the close event reports it.
    });
    for (const data of queued) ws.send(data, { binary: false });
  }

  // ---------------------------------------------------------------- messages

  private onMessage(conn: Connection, data: Buffer, isBinary: boolean): void {
    if (conn.closing) return;
    const { ctx, api } = conn;
    if (isBinary) {
      this.closeConnection(conn, this.limits.binaryFrameCloseCode, CLOSE.binary.reason);
      return;
    }
    const now = Date.now();
    conn.lastActiveAt = now;
    this.counters.messagesIn++;
    this.counters.messageBytesIn += data.length;
    const body = data.toString('utf8');
    const routeKey = api.select(body);
    const requestId = newGatewayId();
    if (routeKey === undefined) {
      this.counters.forbiddenFrames++;
      this.options.onActivity?.({ type: 'forbidden', apiId: ctx.apiId, connectionId: ctx.connectionId });
      conn.ws.send(gatewayErrorFrame('Forbidden', ctx.connectionId, requestId));
      return;
    }
    const route = api.routes.get(routeKey);
    if (!route?.functionLogicalId) return;
    const event = buildMessageEvent(ctx, routeKey, body, { messageId: newGatewayId(), requestId }, now);
    this.track(this.runRoute(conn, route.functionLogicalId, routeKey, route.routeResponse, event, requestId));
  }

  private async runRoute(
    conn: Connection,
    functionLogicalId: string,
    routeKey: string,
    routeResponse: boolean,
    event: WebSocketEvent,
    requestId: string,
  ): Promise<void> {
    this.counters.routeInvocations[routeKey] = (this.counters.routeInvocations[routeKey] ?? 0) + 1;
    const result = await this.invokeRoute(functionLogicalId, event, routeKey);
    const { ws, ctx } = conn;
    if (result === TIMED_OUT || !result.ok) {
      this.counters.integrationErrors++;
      this.options.onActivity?.({
        type: 'integration-error',
        apiId: ctx.apiId,
        connectionId: ctx.connectionId,
        routeKey,
        message:
          result === TIMED_OUT
            ? 'integration timed out'
            : `${result.error.errorType}: ${result.error.errorMessage}`,
      });
      if (ws.readyState === ws.OPEN) {
        ws.send(
          gatewayErrorFrame(
            result === TIMED_OUT ? 'Endpoint request timed out' : 'Internal server error',
            ctx.connectionId,
            requestId,
          ),
        );
      }
      return;
    }
    if (!routeResponse) return;
    const body = bodyOf(result.payload);
    if (body !== undefined && ws.readyState === ws.OPEN) {
      this.counters.routeResponses++;
      ws.send(body);
    }
  }

  private async invokeRoute(
    functionLogicalId: string,
    event: WebSocketEvent,
    label: string,
  ): Promise<GatewayInvokeResult | typeof TIMED_OUT> {
    const trace = startRouteTrace(event);
    const result = await this.invokeWithin(functionLogicalId, event, label, trace.header);
    const status = result === TIMED_OUT ? 504 : result.ok ? statusOf(result.payload) : 500;
    this.options.onSegment?.(trace.segment(status));
    return result;
  }

  private async invokeWithin(
    functionLogicalId: string,
    event: WebSocketEvent,
    label: string,
    traceHeader: string,
  ): Promise<GatewayInvokeResult | typeof TIMED_OUT> {
    const invocation = this.options.invoker.invoke(functionLogicalId, event, { label, traceHeader }).catch(
      (error: unknown): GatewayInvokeResult => ({
        ok: false,
        error: {
          errorType: 'InvokeError',
          errorMessage: error instanceof Error ? error.message : String(error),
        },
      }),
    );
    const limit = this.limits.integrationTimeoutMs;
    if (!(limit > 0)) return invocation;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      // A watchdog, not work: the invocation itself keeps the process alive while it runs.
      timer = setTimeout(() => resolve(TIMED_OUT), limit);
      timer.unref();
    });
    try {
      return await Promise.race([invocation, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---------------------------------------------------------------- close + $disconnect

  private closeConnection(conn: Connection, code: number, reason: string): void {
    if (conn.closing) return;
    conn.closing = true;
    this.options.onActivity?.({
      type: 'close',
      apiId: conn.ctx.apiId,
      connectionId: conn.ctx.connectionId,
      statusCode: code,
      reason,
    });
    conn.ws.close(code, reason);
  }

  private onClose(conn: Connection, code: number, reasonBuffer: Buffer): void {
    const { ctx } = conn;
    if (this.connections.get(ctx.connectionId) !== conn) return;
    this.connections.delete(ctx.connectionId);
    this.counters.connectionsClosed++;
    const reason = reasonBuffer.length > 0 ? reasonBuffer.toString('utf8') : defaultDisconnectReason(code);
    this.options.onActivity?.({
      type: 'disconnect',
      apiId: ctx.apiId,
      connectionId: ctx.connectionId,
      statusCode: code,
      reason,
    });
    if (this.stopping) return;
    const route = conn.api.routes.get('$disconnect');
    if (!route?.functionLogicalId) return;
    const lost = this.options.lostDisconnectShare ?? 0;
    if (lost > 0 && (this.options.random ?? Math.random)() < lost) {
      this.counters.disconnectsLost++;
      this.options.onActivity?.({
        type: 'disconnect-lost',
        apiId: ctx.apiId,
        connectionId: ctx.connectionId,
      });
      return;
    }
    const event = buildDisconnectEvent(ctx, { statusCode: code, reason }, newGatewayId(), Date.now());
    // Best effort, as in AWS: nobody waits for $disconnect and its failure reaches no client.
    this.track(this.invokeRoute(route.functionLogicalId, event, '$disconnect'));
  }

  private sweep(): void {
    const now = Date.now();
    const { idleTimeoutMs, maxConnectionMs } = this.limits;
    for (const conn of this.connections.values()) {
      if (conn.closing) continue;
      if (now - conn.ctx.connectedAt >= maxConnectionMs) {
        this.closeConnection(conn, CLOSE.maxDuration.code, CLOSE.maxDuration.reason);
      } else if (now - conn.lastActiveAt >= idleTimeoutMs) {
        this.closeConnection(conn, CLOSE.idle.code, CLOSE.idle.reason);
      }
    }
  }

  // ---------------------------------------------------------------- @connections

  // ---------------------------------------------------------------- @connections

  /** Handles `/{stage}/@connections/{id}`; false when the request is for something else. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    return this.connectionsApi.handleRequest(req, res);
  }

  private find(runtime: ApiRuntime, connectionId: string): Connection | undefined {
    const conn = this.connections.get(connectionId);
    return conn && conn.api === runtime && !conn.closing ? conn : undefined;
  }

  // ---------------------------------------------------------------- lifecycle

  private track<T>(promise: Promise<T>): void {
    const tracked = promise.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(tracked);
    void tracked.then(() => this.inFlight.delete(tracked));
  }

  stats(): GatewayStats {
    return structuredClone({ ...this.counters, openConnections: this.connections.size });
  }

  resetStats(): void {
    this.counters = emptyStats(this.connections.size);
  }

  /** Resolves when no $connect, route or $disconnect invocation is in flight. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /**
   * Closes every socket with 1001 (no $disconnect is invoked), refuses handshakes still in their
   * $connect with 503, and stops the timers. When it resolves, no socket of the gateway is open.
   */
  async close(): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweepTimer);
    const closing = [...this.connections.values()].map(
      (conn) =>
        new Promise<void>((resolve) => {
          if (conn.ws.readyState === conn.ws.CLOSED) return resolve();
          conn.ws.once('close', () => resolve());
          conn.ws.close(CLOSE.shutdown.code, CLOSE.shutdown.reason);
          // A client that never answers the close frame is cut off rather than waited for.
          setTimeout(() => conn.ws.terminate(), 1000).unref();
        }),
    );
    const accepted = new Set([...this.connections.values()].map((conn) => conn.socket));
    // Handshakes still waiting for $connect: their integration result no longer matters.
    for (const socket of this.sockets) {
      if (!accepted.has(socket)) rejectHandshake(socket, 503, '', true);
    }
    await Promise.all(closing);
    // Whatever is left (a socket between upgrade and accept, a client that never reads): cut off.
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.wss.close();
  }
}

/** `destroy`: close the socket once the response is written rather than wait for the client's FIN. */
function rejectHandshake(socket: Duplex, status: number, body: string, destroy = false): void {
  if (socket.destroyed || socket.writableEnded) {
    if (destroy) socket.destroy();
    return;
  }
  const length = Buffer.byteLength(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n${body}`,
    destroy ? () => socket.destroy() : undefined,
  );
  // A peer that stops reading would keep 'finish' from ever coming.
  if (destroy) setTimeout(() => socket.destroy(), 1000).unref();
}
