import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ConnectionContext } from './events';
import type { GatewayApi } from './gateway';
import type { RouteSelector } from './route-selection';

// What the gateway keeps per API and per connection, shared with the @connections API.

export interface ApiRuntime {
  api: GatewayApi;
  routes: Map<string, GatewayApi['routes'][number]>;
  select: RouteSelector;
}

export interface Connection {
  ctx: ConnectionContext;
  api: ApiRuntime;
  ws: WebSocket;
  socket: Duplex;
  lastActiveAt: number;
  closing: boolean;
}

export interface PendingConnection {
  api: ApiRuntime;
  /** Frames posted while $connect ran, when postDuringConnectStatus is 200. */
  queued: Buffer[];
}
