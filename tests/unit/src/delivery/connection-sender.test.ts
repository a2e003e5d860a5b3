import {
  ApiGatewayManagementApiClient,
  ForbiddenException,
  GoneException,
  LimitExceededException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { ApiGatewayConnectionSender, DeliveryError } from '../../../../src/delivery/connection-sender';

const api = mockClient(ApiGatewayManagementApiClient);
const delays: number[] = [];
const sender = () =>
  new ApiGatewayConnectionSender(
    new ApiGatewayManagementApiClient({ endpoint: 'https://x.example/production' }),
    {
      failureRetries: 2,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      random: () => 1, // the upper bound of the jitter, so the test can see the schedule
      sleep: async (ms) => {
        delays.push(ms);
      },
    },
  );
const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

beforeEach(() => {
  api.reset();
  delays.length = 0;
});

describe('the connection sender', () => {
  it('posts the frame to the connection', async () => {
    api.on(PostToConnectionCommand).resolves({});

    await expect(sender().send('A=', '{"type":"members","members":[]}')).resolves.toBe('sent');
    expect(api.commandCalls(PostToConnectionCommand)[0]?.args[0].input).toEqual({
      ConnectionId: 'A=',
      Data: '{"type":"members","members":[]}',
    });
  });

  it('answers gone for a GoneException (410), without retrying', async () => {
    api.on(PostToConnectionCommand).rejects(new GoneException({ message: 'Gone', ...meta(410) }));

    await expect(sender().send('A=', 'x')).resolves.toBe('gone');
    expect(api.calls()).toHaveLength(1);
  });

  it('answers throttled for a 429 at once, without waiting in the lane', async () => {
    api
      .on(PostToConnectionCommand)
      .rejects(new LimitExceededException({ message: 'Rate exceeded', ...meta(429) }));

    await expect(sender().send('A=', 'x')).resolves.toBe('throttled');
    expect(api.calls()).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it.each([
    ['PayloadTooLargeException', new PayloadTooLargeException({ message: 'too big', ...meta(413) })],
    ['ForbiddenException', new ForbiddenException({ message: 'no', ...meta(403) })],
  ])('fails at once on %s, which a retry cannot fix', async (name, error) => {
    api.on(PostToConnectionCommand).rejects(error);

    await expect(sender().send('A=', 'x')).rejects.toThrow(`PostToConnection failed: ${name}`);
    expect(api.calls()).toHaveLength(1);
  });

  it('retries other failures a few times, then throws with the cause attached', async () => {
    const cause = new Error('socket hang up');
    api.on(PostToConnectionCommand).rejects(cause);

    const error = await sender()
      .send('A=', 'x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).cause).toBe(cause);
    expect(api.calls()).toHaveLength(3);
  });
});
