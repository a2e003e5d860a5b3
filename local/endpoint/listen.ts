import type { Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';

/** How many listening sockets share a port by default: up to that many accepts per event-loop turn. */
export const DEFAULT_ACCEPTORS = 8;

export interface ListenOptions {
  port: number;
  host: string;
  /** The kernel's accept queue per listening socket (Linux caps it at net.core.somaxconn). */
  backlog?: number;
  /** Listening sockets on the port, the server's own included; 1 listens the usual way. */
  acceptors?: number;
  /** Default `process.platform`: only Linux spreads connections over sockets that share a port. */
  platform?: NodeJS.Platform;
}

export interface WideListener {
  /** Listening sockets that share the port: 1 off Linux, or where Node has no `reusePort` (< 22.12). */
  readonly acceptors: number;
  /**
   * Stops the extra sockets accepting at once (call it before `server.close()`); resolves when the
   * connections they accepted have closed. Those belong to `server` (its timeouts,
   * `closeAllConnections()`), which ends them as it ends its own.
   */
  close(): Promise<void>;
}

/**
 * Listens an http server on several sockets that share one port (SO_REUSEPORT).
 *
 * Why: Node's libuv accepts ONE connection per listening socket per event-loop turn (seen with
 * strace on Node 20 and 24: one accept4, then back to epoll, never EAGAIN). A loaded local gateway
 * turns its loop every 50-150 ms while it writes thousands of frames, so a burst of fresh sockets
 * (cold Lambda environments opening their @connections or DynamoDB sockets) waited in the kernel's
 * queue for 5-22 s, past the SDK's request timeout: the post was retried and delivered twice.
 * API Gateway and DynamoDB take a connection at once. With N sockets the kernel spreads incoming
 * connections over N queues and each turn accepts up to N.
 *
 * Each extra socket hands what it accepts to `server` (an http server handles an injected
 * 'connection' as its own), with the options http.createServer gives its sockets: no Nagle delay,
 * half-open allowed.
 *
 * A port taken by another process must still fail with EADDRINUSE: a fixed port is first bound
 * without SO_REUSEPORT and let go, so a second stack on the same port cannot share it (two started
 * in the same millisecond could both pass the probe; nothing here guards that). Off Linux
 * one socket serves: macOS and Windows do not balance SO_REUSEPORT sockets, and Node fails the
 * listen there (nodejs/node#61018).
 */
export async function listenWide(server: Server, options: ListenOptions): Promise<WideListener> {
  const balanced = (options.platform ?? process.platform) === 'linux';
  const wanted = balanced ? Math.max(1, Math.floor(options.acceptors ?? DEFAULT_ACCEPTORS)) : 1;
  const backlog = options.backlog ?? 511;
  if (wanted > 1 && options.port !== 0) await probeFree(options.port, options.host);
  const plain = { port: options.port, host: options.host, backlog, reusePort: false };
  try {
    await listenOn(server, { ...plain, reusePort: wanted > 1 });
  } catch (error) {
    if (wanted === 1 || (error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw error;
    // A kernel or sandbox that refuses SO_REUSEPORT: listen the usual way.
    await listenOn(server, plain);
    return { acceptors: 1, close: () => Promise.resolve() };
  }
  const port = (server.address() as { port: number }).port;

  const extras: NetServer[] = [];
  for (let i = 1; i < wanted; i++) {
    const acceptor = createNetServer({ allowHalfOpen: true, noDelay: true }, (socket: Socket) => {
      server.emit('connection', socket);
    });
    // An accept error (EMFILE...) is the server's, as it would be on its own socket.
    acceptor.on('error', (error) => server.emit('error', error));
    try {
      await listenOn(acceptor, { port, host: options.host, backlog, reusePort: true });
    } catch {
      // No SO_REUSEPORT in this runtime (it ignores the option, so the port reads as taken):
      // the server's own socket serves alone.
      break;
    }
    extras.push(acceptor);
  }
  return {
    acceptors: 1 + extras.length,
    // net.Server.close() stops listening synchronously; its callback waits for the sockets.
    close: () =>
      Promise.all(
        extras.map(
          (acceptor) =>
            new Promise<void>((resolve) =>
              acceptor.listening ? acceptor.close(() => resolve()) : resolve(),
            ),
        ),
      ).then(() => undefined),
  };
}

function listenOn(
  server: NetServer,
  options: { port: number; host: string; backlog: number; reusePort: boolean },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Fails with EADDRINUSE when anything listens on the port, SO_REUSEPORT or not. */
async function probeFree(port: number, host: string): Promise<void> {
  const probe = createNetServer();
  await listenOn(probe, { port, host, backlog: 1, reusePort: false });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
