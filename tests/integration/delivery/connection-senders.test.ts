import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { LOCAL_CREDENTIALS, type LocalStack, startLocalStack } from '../../../local/stack';
import type { ConnectionSender } from '../../../src/chat/ports';
import {
  ApiGatewayConnectionSender,
  DeliveryError,
  type RetryPolicyOptions,
} from '../../../src/delivery/connection-sender';
import { SignedHttpConnectionSender } from '../../../src/delivery/signed-http-connection-sender';
import { FIXTURE_TEMPLATE, TestClient } from '../local-stack/helpers';

jest.setTimeout(120_000);

// Both senders of the fan-out, side by side against the local stack's @connections API, which
// checks their SigV4 signatures as API Gateway does: the same answers for the same situations.
// The fixture template posts nothing on its own, so every @connections call here is a sender's,
// and the fault injector's rolls (429 below 0.25, 500 below 0.5) are scripted per test.
let stack: LocalStack;
let client: TestClient;
let connectionId: string;
let rolls: number[] = [];
/** Retries each sender waited for (its sleep between attempts, made instant here). */
const retries: Record<string, number> = { sdk: 0, signedHttp: 0 };
const clients: ApiGatewayManagementApiClient[] = [];

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

function makeSender(
  name: string,
  options: { url?: string; credentials?: Credentials } = {},
): ConnectionSender {
  const policy: RetryPolicyOptions = {
    failureRetries: 2,
    sleep: async () => {
      retries[name] = (retries[name] ?? 0) + 1;
    },
  };
  const url = options.url ?? stack.connectionsUrl();
  const credentials = options.credentials ?? LOCAL_CREDENTIALS;
  if (name === 'sdk') {
    // As the broadcaster builds it: one attempt per call, the sender's policy retries.
    const sdk = new ApiGatewayManagementApiClient({
      endpoint: url,
      region: stack.model.region,
      credentials,
      maxAttempts: 1,
    });
    clients.push(sdk);
    return new ApiGatewayConnectionSender(sdk, policy);
  }
  return new SignedHttpConnectionSender({
    callbackUrl: url,
    region: stack.model.region,
    credentials: async () => credentials,
    maxSockets: 4,
    requestTimeoutMs: 5_000,
    ...policy,
  });
}

beforeAll(async () => {
  stack = await startLocalStack({
    templatePath: FIXTURE_TEMPLATE,
    port: 0,
    faults: { postToConnection429: 0.25, postToConnection500: 0.25, random: () => rolls.shift() ?? 1 },
  });
  client = await TestClient.open(stack.webSocketUrl());
  connectionId = (await client.echo()).requestContext.connectionId;
});

afterAll(async () => {
  for (const sdk of clients) sdk.destroy();
  client?.ws.terminate();
  await stack?.stop();
});

describe.each(['sdk', 'signedHttp'])('the %s connection sender, against the local stack', (name) => {
  let sender: ConnectionSender;
  beforeAll(() => {
    sender = makeSender(name);
  });
  beforeEach(() => {
    rolls = [];
    retries[name] = 0;
  });

  it('delivers a frame to a live connection (200)', async () => {
    const text = JSON.stringify({ type: 'system', text: `hello from ${name}` });

    await expect(sender.send(connectionId, text)).resolves.toBe('sent');
    expect(await client.next()).toBe(text);
    expect(retries[name]).toBe(0);
  });

  it('answers gone for a connection that does not exist (410)', async () => {
    await expect(sender.send('Nope0000000000=', '{}')).resolves.toBe('gone');
    expect(retries[name]).toBe(0);
  });

  it('answers throttled at once on 429, leaving the backing off to the fan-out', async () => {
    rolls = [0.1];

    await expect(sender.send(connectionId, '{"n":429}')).resolves.toBe('throttled');
    expect(retries[name]).toBe(0);
    expect(stack.stats().faults.postToConnection429).toBeGreaterThan(0);
  });

  it('retries a 500 and delivers on the next attempt', async () => {
    rolls = [0.3, 1];

    await expect(sender.send(connectionId, `{"after500":"${name}"}`)).resolves.toBe('sent');
    expect(await client.next()).toBe(`{"after500":"${name}"}`);
    expect(retries[name]).toBe(1);
  });

  it('fails after its retries when every attempt answers 500', async () => {
    rolls = [0.3, 0.3, 0.3];

    const error = await sender.send(connectionId, '{}').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toBe(
      'PostToConnection failed 3 times: InternalServerErrorException',
    );
    expect(retries[name]).toBe(2);
  });

  it('fails at once on a frame over the 128 KB payload limit (413)', async () => {
    const error = await sender.send(connectionId, 'x'.repeat(129 * 1024)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toBe('PostToConnection failed: PayloadTooLargeException');
    expect(retries[name]).toBe(0);
  });

  it('fails at once when its signature is refused (403 InvalidSignatureException)', async () => {
    const forged = makeSender(name, { credentials: { ...LOCAL_CREDENTIALS, secretAccessKey: 'wrong' } });

    const error = await forged.send(connectionId, '{"forged":true}').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toBe('PostToConnection failed: InvalidSignatureException');
    expect(retries[name]).toBe(0);
  });

  it('fails at once on a stage that does not exist (403 ForbiddenException)', async () => {
    const lost = makeSender(name, { url: `${stack.siteUrl}/nostage` });

    const error = await lost.send(connectionId, '{}').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toBe('PostToConnection failed: ForbiddenException');
    expect(retries[name]).toBe(0);
  });

  it('delivered nothing it was refused: the next frame the client reads is a new one', async () => {
    await expect(sender.send(connectionId, `{"last":"${name}"}`)).resolves.toBe('sent');
    expect(await client.next()).toBe(`{"last":"${name}"}`);
  });
});
