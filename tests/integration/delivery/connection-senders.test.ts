import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type LocalStack, startLocalStack } from '../../../local/stack';
import type { ConnectionSender } from '../../../src/chat/ports';
import { ApiGatewayConnectionSender, DeliveryError } from '../../../src/delivery/connection-sender';
import { SignedHttpConnectionSender } from '../../../src/delivery/signed-http-connection-sender';
import { output, type StackClients, stackClients } from '../helpers/aws';
import { ChatClient } from '../helpers/chat-client';

jest.setTimeout(120_000);

// Both senders of the fan-out, side by side against the local gateway's @connections API, with
// the real SDK's credentials and signing: the same answers for the same situations.
let stack: LocalStack;
let aws: StackClients;
let client: ChatClient;
let connectionId: string;
const senders: Record<string, ConnectionSender> = {};

beforeAll(async () => {
  stack = await startLocalStack({ templatePath: 'template.yaml', port: 0, ttlSweepIntervalMs: 0 });
  aws = stackClients(stack);
  client = await ChatClient.connect(stack.webSocketUrl(), 'reader');
  const items = await aws.document.send(new ScanCommand({ TableName: output(stack, 'ChatTableName') }));
  const record = items.Items?.find((item) => String(item.pk).startsWith('CONN#'));
  connectionId = String(record?.pk).slice('CONN#'.length);
  const sdk = new ApiGatewayManagementApiClient({
    endpoint: stack.connectionsUrl(),
    region: stack.model.region,
    credentials: await aws.management.config.credentials(),
    maxAttempts: 1,
  });
  senders.sdk = new ApiGatewayConnectionSender(sdk, { failureRetries: 0 });
  senders.signedHttp = new SignedHttpConnectionSender({
    callbackUrl: stack.connectionsUrl(),
    region: stack.model.region,
    credentials: sdk.config.credentials,
    maxSockets: 4,
    requestTimeoutMs: 2_000,
    failureRetries: 0,
  });
});

afterAll(async () => {
  aws?.destroy();
  client?.ws.terminate();
  await stack?.stop();
});

describe.each(['sdk', 'signedHttp'])('the %s connection sender, against the local gateway', (name) => {
  const sender = () => senders[name] as ConnectionSender;

  it('delivers a frame to a live connection', async () => {
    const text = JSON.stringify({ type: 'system', text: `hello from ${name}` });

    await expect(sender().send(connectionId, text)).resolves.toBe('sent');
    expect(await client.waitFor((frame) => frame.text === `hello from ${name}`)).toEqual(JSON.parse(text));
  });

  it('answers gone for a connection that does not exist (410)', async () => {
    await expect(sender().send('Nope0000000000=', '{}')).resolves.toBe('gone');
  });

  it('fails at once on a frame over the 128 KB payload limit (413)', async () => {
    const error = await sender()
      .send(connectionId, 'x'.repeat(129 * 1024))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toBe('PostToConnection failed: PayloadTooLargeException');
  });
});
