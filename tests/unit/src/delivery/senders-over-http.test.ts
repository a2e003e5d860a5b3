import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionSender } from '../../../../src/chat/ports';
import { ApiGatewayConnectionSender, DeliveryError } from '../../../../src/delivery/connection-sender';
import { SignedHttpConnectionSender } from '../../../../src/delivery/signed-http-connection-sender';

// A real HTTP server answering as API Gateway's @connections API does, by connection id: the
// answers the local gateway cannot produce (429, 403, 500) for both senders.
const answers: Record<string, [number, string]> = {
  throttled: [429, 'LimitExceededException'],
  forbidden: [403, 'ForbiddenException'],
  broken: [500, 'InternalServerErrorException'],
};
const calls: string[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const id = decodeURIComponent(req.url?.split('/@connections/')[1] ?? '');
    calls.push(id);
    req.resume();
    const [status, type] = answers[id] ?? [200, ''];
    const body = status === 200 ? '' : JSON.stringify({ message: type });
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...(type ? { 'x-amzn-ErrorType': type } : {}),
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/production`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  calls.length = 0;
});

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const retry = { failureRetries: 1, sleep: async () => {} };
const senders: Record<string, () => ConnectionSender> = {
  sdk: () =>
    new ApiGatewayConnectionSender(
      new ApiGatewayManagementApiClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 }),
      retry,
    ),
  signedHttp: () =>
    new SignedHttpConnectionSender({
      callbackUrl: url,
      region: 'us-east-1',
      credentials: async () => credentials,
      maxSockets: 2,
      requestTimeoutMs: 2_000,
      ...retry,
    }),
};

describe.each(Object.keys(senders))('the %s sender, over HTTP', (name) => {
  const sender = () => (senders[name] as () => ConnectionSender)();

  it('answers throttled for a 429, without retrying in the lane', async () => {
    await expect(sender().send('throttled', 'x')).resolves.toBe('throttled');
    expect(calls).toEqual(['throttled']);
  });

  it('fails at once on a 403', async () => {
    await expect(sender().send('forbidden', 'x')).rejects.toThrow(
      'PostToConnection failed: ForbiddenException',
    );
    expect(calls).toHaveLength(1);
  });

  it('retries a 500, then fails with a DeliveryError', async () => {
    await expect(sender().send('broken', 'x')).rejects.toBeInstanceOf(DeliveryError);
    expect(calls).toEqual(['broken', 'broken']);
  });

  it('posts to the connection and answers sent', async () => {
    await expect(sender().send('A+b/c=', '{}')).resolves.toBe('sent');
    expect(calls).toEqual(['A+b/c=']);
  });
});
