import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DeliveryError } from '../../../../src/delivery/connection-sender';
import { RetryTally } from '../../../../src/delivery/retry-tally';
import {
  createConnectionSender,
  createDynamoDbClients,
  createEventBridgeClient,
  createManagementApiClient,
} from '../../../../src/shared/aws-clients';

// A real TCP server that accepts every connection and never answers: a stalled socket.
let server: Server;
const sockets = new Set<Socket>();
let url: string;

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.resume(); // read the request, never write a byte back
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = url;
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = url;
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

// Without timeouts each call below waits forever and the test fails on jest's timeout instead.
describe('the AWS SDK clients, against a server that accepts and never answers', () => {
  it('fail a DynamoDB call with a TimeoutError instead of hanging', async () => {
    const { document } = createDynamoDbClients();

    await expect(document.send(new GetCommand({ TableName: 't', Key: { pk: 'x' } }))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  }, 30_000);

  it('fail a PutEvents call with a TimeoutError instead of hanging', async () => {
    const client = createEventBridgeClient();

    await expect(
      client.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] })),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
  }, 30_000);

  it('fail a PostToConnection with a TimeoutError instead of holding the fan-out lane', async () => {
    const client = createManagementApiClient(`${url}/production`, 4);

    await expect(
      client.send(new PostToConnectionCommand({ ConnectionId: 'A=', Data: 'x' })),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
  }, 30_000);

  it("fail the handlers' lean PostToConnection with a TimeoutError, retried, then a DeliveryError", async () => {
    const { client } = createDynamoDbClients();
    const retried = new RetryTally();
    const sender = createConnectionSender(`${url}/production`, 4, client.config, retried.record);

    const error = await sender.send('A=', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toBe('PostToConnection failed 3 times: TimeoutError');
    // The server read each request: a retry after such a timeout may deliver twice, and says so.
    expect(((error as DeliveryError).cause as Error).message).toMatch(/did not answer in 5000 ms \(sent\)$/);
    expect(retried.take()).toEqual({ retriedPosts: 2, retryCauses: { 'TimeoutError:sent': 2 } });
  }, 60_000);
});
