import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { startAwsEndpoint } from '../../../../local/endpoint';
import { DEFAULT_ACCEPTORS, listenWide, type WideListener } from '../../../../local/endpoint/listen';
import { PortInUseError, startSiteServer } from '../../../../local/site-server';

// `reusePort` came in Node 22.12 and 23.1, and only Linux balances it; elsewhere one socket listens.
const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
const REUSE_PORT =
  process.platform === 'linux' &&
  (major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12));
const ACCEPTORS = REUSE_PORT ? DEFAULT_ACCEPTORS : 1;

const started: { server: Server; listener: WideListener }[] = [];
afterEach(async () => {
  for (const { server, listener } of started.splice(0)) {
    const acceptorsClosed = listener.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await acceptorsClosed;
  }
});

async function start(
  acceptors?: number,
  port = 0,
): Promise<{ server: Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((req, res) => {
    req.resume();
    res.end('ok');
  });
  server.on('connection', () => accepted++);
  const listener = await listenWide(server, { port, host: '127.0.0.1', acceptors });
  started.push({ server, listener });
  return { server, port: (server.address() as AddressInfo).port, accepted: () => accepted };
}

/**
 * Opens `count` connections from another thread while this one is blocked, so that they all wait
 * in the kernel's accept queues; then returns the most connections accepted in one event-loop turn.
 */
async function mostAcceptedInOneTurn(port: number, count: number, accepted: () => number): Promise<number> {
  const ready = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const net = require('node:net');
     const { workerData } = require('node:worker_threads');
     let connected = 0;
     for (let i = 0; i < workerData.count; i++) {
       net.connect(workerData.port, '127.0.0.1', () => {
         if (++connected === workerData.count) { Atomics.store(workerData.ready, 0, 1); Atomics.notify(workerData.ready, 0); }
       });
     }`,
    { eval: true, workerData: { port, count, ready } },
  );
  try {
    // The kernel completes the handshakes without this thread: connect() returns before accept().
    expect(Atomics.wait(ready, 0, 0, 10_000)).not.toBe('timed-out');
    let most = 0;
    for (let turn = 0; turn < 10 * count && accepted() < count; turn++) {
      const before = accepted();
      await new Promise((resolve) => setImmediate(resolve));
      most = Math.max(most, accepted() - before);
    }
    expect(accepted()).toBe(count);
    return most;
  } finally {
    await worker.terminate();
  }
}

describe('listenWide', () => {
  it('takes a burst of queued connections several per event-loop turn, not one', async () => {
    const wide = await start();
    expect(await mostAcceptedInOneTurn(wide.port, 64, wide.accepted)).toBeGreaterThan(REUSE_PORT ? 1 : 0);
    if (!REUSE_PORT) return;
    // The same burst on one listening socket: libuv takes one connection per turn.
    const single = await start(1);
    expect(await mostAcceptedInOneTurn(single.port, 64, single.accepted)).toBe(1);
  });

  it('serves requests on connections any of its sockets accepted', async () => {
    const { port } = await start();
    const bodies = await Promise.all(
      Array.from(
        { length: 32 },
        () =>
          new Promise<string>((resolve, reject) => {
            get({ port, host: '127.0.0.1', agent: false }, (res) => {
              let body = '';
              res.on('data', (chunk: Buffer) => {
                body += chunk;
              });
              res.on('end', () => resolve(body));
            }).on('error', reject);
          }),
      ),
    );
    expect(bodies).toEqual(Array(32).fill('ok'));
  });

  it('listens on one socket, without SO_REUSEPORT, off Linux (where Node fails such a listen)', async () => {
    const server = createServer();
    const listen = jest.spyOn(server, 'listen');
    const listener = await listenWide(server, { port: 0, host: '127.0.0.1', platform: 'darwin' });
    started.push({ server, listener });
    expect(listener.acceptors).toBe(1);
    expect(listen).toHaveBeenCalledTimes(1);
    expect(listen.mock.calls[0]?.[0]).toMatchObject({ reusePort: false });
  });

  it('refuses a port another listener holds, although its own sockets share ports', async () => {
    const first = await start();
    await expect(start(undefined, first.port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const plain = createServer();
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      await expect(start(undefined, (plain.address() as AddressInfo).port)).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });
});

describe('servers of the local stack listen wide', () => {
  it('the site (WebSocket gateway, @connections) and a second site on its port is refused', async () => {
    const site = await startSiteServer({ port: 0, host: '127.0.0.1' });
    try {
      expect(site.acceptors).toBe(ACCEPTORS);
      const port = Number(site.hostPort.split(':')[1]);
      const second = await startSiteServer({ port, host: '127.0.0.1' }).then(
        (shared) => shared.close().then(() => 'shared the port'),
        (error: unknown) => error,
      );
      expect(second).toBeInstanceOf(PortInUseError);
    } finally {
      await site.close();
    }
  });

  it('the AWS endpoint (DynamoDB, EventBridge, SQS)', async () => {
    const endpoint = await startAwsEndpoint({});
    try {
      expect(endpoint.acceptors).toBe(ACCEPTORS);
    } finally {
      await endpoint.close();
    }
  });
});
