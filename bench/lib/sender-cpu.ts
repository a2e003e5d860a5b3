/**
 * CPU per post of each ConnectionSender, alone: the SDK client sender and the signed-HTTP sender post
 * to a plain HTTP server in a child process (so its CPU is not counted) that answers 200 after
 * --latency ms, with --concurrency posts in flight, after a warm-up batch.
 * Run: npx tsx bench/lib/sender-cpu.ts [--posts 5000] [--concurrency 32] [--latency 20]
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { ConnectionSender } from '../../src/chat/ports';
import { ApiGatewayConnectionSender } from '../../src/delivery/connection-sender';
import { SignedHttpConnectionSender } from '../../src/delivery/signed-http-connection-sender';
import { CLIENT_TIMEOUTS, createManagementApiClient } from '../../src/shared/aws-clients';
import { forEachConcurrent } from '../../src/shared/concurrency';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

function server(latency: number): void {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.writeHead(200, { 'content-length': '0' });
        res.end();
      }, latency),
    );
  });
  s.keepAliveTimeout = 60_000;
  s.listen(0, '127.0.0.1', () => process.send?.({ port: (s.address() as { port: number }).port }));
}

async function main(): Promise<void> {
  const posts = arg('posts', 5000);
  const concurrency = arg('concurrency', 32);
  const latency = arg('latency', 20);
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  const child = fork(__filename, ['--server', String(latency)]);
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const url = `http://127.0.0.1:${port}/production`;
  const client = createManagementApiClient(url, concurrency);
  const senders: Record<string, ConnectionSender> = {
    sdk: new ApiGatewayConnectionSender(client),
    signedHttp: new SignedHttpConnectionSender({
      callbackUrl: url,
      region: client.config.region,
      credentials: client.config.credentials,
      maxSockets: concurrency,
      requestTimeoutMs: CLIENT_TIMEOUTS.managementApi.requestTimeout,
    }),
  };
  const frame = JSON.stringify({ type: 'public', from: 'alice', text: 'x'.repeat(100), id: '01J', ts: 1 });
  const ids = Array.from({ length: posts }, (_, i) => `conn${i}=`);
  for (let round = 0; round < 3; round++) {
    for (const [name, sender] of Object.entries(senders)) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await forEachConcurrent(ids, concurrency, async (id) => {
        await sender.send(id, frame);
      });
      const cpu = process.cpuUsage(cpu0);
      const ms = performance.now() - t0;
      console.log(
        JSON.stringify({
          round,
          sender: name,
          posts,
          ms: Math.round(ms),
          cpuPerPostMs: +((cpu.user + cpu.system) / 1000 / posts).toFixed(3),
        }),
      );
    }
  }
  child.kill();
}

if (process.argv[2] === '--server') server(Number(process.argv[3]));
else
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
