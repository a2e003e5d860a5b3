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
      throttleRetries: 4,
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

  it('backs off exponentially (capped) on 429 and succeeds when the throttle lifts', async () => {
    const throttle = new LimitExceededException({ message: 'Rate exceeded', ...meta(429) });
    api
      .on(PostToConnectionCommand)
      .rejectsOnce(throttle)
      .rejectsOnce(throttle)
      .rejectsOnce(throttle)
      .rejectsOnce(throttle)
      .resolves({});

    await expect(sender().send('A=', 'x')).resolves.toBe('sent');
    expect(delays).toEqual([100, 200, 400, 800]);
  });

  it('gives up on 429 after its retries with a DeliveryError naming the connection', async () => {
    api
      .on(PostToConnectionCommand)
      .rejects(new LimitExceededException({ message: 'Rate exceeded', ...meta(429) }));

    const sending = sender().send('A=', 'x');
    await expect(sending).rejects.toBeInstanceOf(DeliveryError);
    await expect(sending).rejects.toMatchObject({ connectionId: 'A=' });
    expect(api.calls()).toHaveLength(5); // the first attempt and 4 retries
    expect(delays.slice(0, 4)).toEqual([100, 200, 400, 800]);
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
