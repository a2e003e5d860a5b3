import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createStaticSite } from './endpoint';
import { listenWide, type WideListener } from './endpoint/listen';

/** The port is taken: the CLI turns this into "Port 3000 is in use; pass --port". */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(readonly port: number) {
    super(`Port ${port} is in use; pass --port`);
  }
}

/** What the site hands to the WebSocket gateway (its stages and @connections). */
export interface SiteRoutes {
  stagePaths: string[];
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

export interface SiteServer {
  /** `host:port` as a client reaches it (a wildcard host becomes 127.0.0.1). */
  hostPort: string;
  url: string;
  /** Listening sockets sharing the port (see listenWide): 1 on a Node without `reusePort`. */
  acceptors: number;
  /** The gateway starts after the site (the functions' environment needs the site's port). */
  setRoutes(routes: SiteRoutes): void;
  close(): Promise<void>;
}

/**
 * The one port a user opens: WebSocket stages and @connections (the gateway), then the web
 * client's files when a root is given, else a 404 that lists the stages.
 */
export async function startSiteServer(options: {
  port: number;
  host: string;
  webRoot?: string;
}): Promise<SiteServer> {
  let routes: SiteRoutes | undefined;
  const staticSite = options.webRoot ? createStaticSite(options.webRoot) : undefined;
  const site = createServer((req, res) => {
    if (routes?.handleRequest(req, res)) return;
    if (staticSite) {
      staticSite(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`No web client is served here. WebSocket stages: ${routes?.stagePaths.join(', ') ?? 'none'}\n`);
  });
  site.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (routes?.handleUpgrade(req, socket, head)) return;
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  // Clients and the SDK keep sockets alive between @connections calls.
  site.keepAliveTimeout = 65_000;
  site.headersTimeout = 66_000;
  const sockets = trackSockets(site);
  const listener = await listen(site, options.port, options.host);
  const port = (site.address() as AddressInfo).port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const hostPort = `${host}:${port}`;
  return {
    hostPort,
    url: `http://${hostPort}`,
    acceptors: listener.acceptors,
    setRoutes: (r) => {
      routes = r;
    },
    close: () => closeServer(site, listener, sockets),
  };
}

async function listen(server: Server, port: number, host: string): Promise<WideListener> {
  try {
    // A deep accept queue on several sockets: a burst of fresh sockets (cold environments, a
    // benchmark's thousands of clients) is taken at once, not one per event-loop turn.
    return await listenWide(server, { port, host, backlog: 4096 });
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new PortInUseError(port) : error;
  }
}

/**
 * Keeps every socket the server accepts, so closing it can end them all: closeAllConnections()
 * only reaches sockets still speaking HTTP, not upgraded ones, and close() waits for those.
 */
function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

function closeServer(server: Server, listener: WideListener, sockets: Set<Socket>): Promise<void> {
  const acceptorsClosed = listener.close();
  const serverClosed = new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
    for (const socket of sockets) socket.destroy();
  });
  return Promise.all([acceptorsClosed, serverClosed]).then(() => undefined);
}
