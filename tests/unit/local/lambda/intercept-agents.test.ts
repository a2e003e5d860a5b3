import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

// intercept.mjs patches node:http in the thread that loads it, as in a Lambda environment's worker:
// so it is loaded in a worker of its own here, never in jest's thread.
const INTERCEPT = pathToFileURL(path.resolve(__dirname, '../../../../local/lambda/intercept.mjs')).href;
const API_HOST = 'abc123.execute-api.us-east-1.amazonaws.com';

let server: Server;
let hostPort: string;
/** The client port of each request the server read: one per socket the function's agent opened. */
const ports: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    ports.push(req.socket.remotePort as number);
    req.resume();
    // A little later, so the function's two calls are in flight together.
    setTimeout(() => res.writeHead(200, { 'content-length': '0' }).end(), 50);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  ports.length = 0;
});

/** Three calls to the API's https host through one agent: two at once, then one more. */
const callThroughAgent = (agentOptions: object): Promise<void> => {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const https = require('node:https');
    (async () => {
      const { interceptRequests } = await import(workerData.intercept);
      interceptRequests({ apiHosts: { [workerData.host]: workerData.hostPort } }, () => {});
      const agent = new https.Agent(workerData.agentOptions);
      const call = () => new Promise((resolve, reject) => {
        const req = https.request({ hostname: workerData.host, path: '/production/@connections/A', method: 'POST', agent },
          (res) => { res.resume(); res.on('end', resolve); });
        req.on('error', reject);
        req.end('x');
      });
      await Promise.all([call(), call()]);
      await call();
      parentPort.postMessage('done');
    })().catch((error) => parentPort.postMessage(String(error)));`;
  const worker = new Worker(code, {
    eval: true,
    workerData: { intercept: INTERCEPT, host: API_HOST, hostPort, agentOptions },
  });
  return new Promise<void>((resolve, reject) => {
    worker.once('message', (message) => {
      void worker.terminate();
      if (message === 'done') resolve();
      else reject(new Error(String(message)));
    });
    worker.once('error', reject);
  });
};

describe("a function's call to its API, redirected to the local stack", () => {
  it("goes through an agent with the function's own socket cap and keep-alive", async () => {
    await callThroughAgent({ keepAlive: true, maxSockets: 1 });

    // One socket for all three, as on AWS: not one per call in flight, and not reopened.
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(1);
  });

  it('opens a socket per call when the function asks for no keep-alive', async () => {
    await callThroughAgent({ keepAlive: false, maxSockets: 2 });

    expect(new Set(ports).size).toBe(3);
  });
});
