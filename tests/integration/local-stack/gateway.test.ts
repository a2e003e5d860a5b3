import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GATEWAY_ID_PATTERN } from '../../../local/apigateway';
import { LOCAL_CREDENTIALS, type LocalStack, startLocalStack } from '../../../local/stack';
import { type EchoedEvent, FIXTURE_TEMPLATE, HandshakeRejected, TestClient, waitFor } from './helpers';

// The credentials the stack hands to functions: @connections calls must be signed with them.
const credentials = LOCAL_CREDENTIALS;

// Jest applies testTimeout globally, not per project; starting a stack builds every function.
jest.setTimeout(60_000);

describe('the local WebSocket gateway', () => {
  let stack: LocalStack;
  let management: ApiGatewayManagementApiClient;
  let db: DynamoDBClient;
  const clients: TestClient[] = [];

  async function connect(query = '', headers: Record<string, string> = {}): Promise<TestClient> {
    const client = await TestClient.open(`${stack.webSocketUrl()}${query}`, headers);
    clients.push(client);
    return client;
  }

  async function recordedEvent(
    eventType: string,
    connectionId: string,
  ): Promise<EchoedEvent & Record<string, unknown>> {
    const table = stack.model.tables[0]?.tableName;
    const result = await db.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: `${eventType}#${connectionId}` } } }),
    );
    const text = result.Item?.event?.S;
    if (!text) throw new Error(`no ${eventType} event recorded for ${connectionId}`);
    return JSON.parse(text) as EchoedEvent & Record<string, unknown>;
  }

  beforeAll(async () => {
    stack = await startLocalStack({ templatePath: FIXTURE_TEMPLATE, port: 0 });
    management = new ApiGatewayManagementApiClient({
      endpoint: stack.connectionsUrl(),
      region: stack.model.region,
      credentials,
    });
    db = new DynamoDBClient({ endpoint: stack.awsEndpoint, region: stack.model.region, credentials });
  });

  afterAll(async () => {
    for (const client of clients) client.ws.terminate();
    management?.destroy();
    db?.destroy();
    await stack?.stop();
  });

  describe('$connect', () => {
    it('accepts a connection when the integration answers 200 and passes it an AWS-shaped CONNECT event', async () => {
      const client = await connect('?room=1&room=2&token=abc', {
        'User-Agent': 'fixture-test/1.0',
        'X-Custom': 'yes',
      });
      const { connectionId } = (await client.echo()).requestContext;
      expect(connectionId).toMatch(GATEWAY_ID_PATTERN);

      const event = await recordedEvent('CONNECT', connectionId);
      const headers = event.headers as Record<string, string>;
      expect(headers['User-Agent']).toBe('fixture-test/1.0');
      expect(headers['X-Custom']).toBe('yes');
      expect(headers['Sec-WebSocket-Version']).toBe('13');
      expect(headers['Sec-WebSocket-Key']).toEqual(expect.any(String));
      expect(headers['X-Amzn-Trace-Id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
      expect(headers['X-Forwarded-For']).toBe('127.0.0.1');
      expect(headers['X-Forwarded-Proto']).toBe('http');
      expect(headers.Host).toBe(new URL(stack.siteUrl).host);
      expect(event.queryStringParameters).toEqual({ room: '2', token: 'abc' });
      expect(event.multiValueQueryStringParameters).toEqual({ room: ['1', '2'], token: ['abc'] });
      expect(event.isBase64Encoded).toBe(false);
      const api = stack.model.webSocketApis[0];
      expect(event.requestContext).toEqual({
        routeKey: '$connect',
        eventType: 'CONNECT',
        extendedRequestId: expect.stringMatching(GATEWAY_ID_PATTERN),
        requestTime: expect.stringMatching(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/),
        messageDirection: 'IN',
        stage: api?.stageName,
        connectedAt: expect.any(Number),
        requestTimeEpoch: expect.any(Number),
        identity: { userAgent: 'fixture-test/1.0', sourceIp: '127.0.0.1' },
        requestId: expect.stringMatching(GATEWAY_ID_PATTERN),
        domainName: `${api?.apiId}.execute-api.us-east-1.amazonaws.com`,
        connectionId,
        apiId: api?.apiId,
      });
    });

    it('leaves out the query string fields when the URL has no query', async () => {
      const client = await connect();
      const { connectionId } = (await client.echo()).requestContext;
      const event = await recordedEvent('CONNECT', connectionId);
      expect(event).not.toHaveProperty('queryStringParameters');
      expect(event).not.toHaveProperty('multiValueQueryStringParameters');
    });

    it('rejects the handshake with the status code the integration returns', async () => {
      await expect(connect('?status=403')).rejects.toEqual(new HandshakeRejected(403));
      await expect(connect('?status=401')).rejects.toEqual(new HandshakeRejected(401));
    });

    it('rejects the handshake with 500 when the integration throws', async () => {
      await expect(connect('?throw=1')).rejects.toEqual(new HandshakeRejected(500));
    });

    it('answers GoneException to a PostToConnection made inside $connect (unconfirmed in AWS)', async () => {
      const client = await connect('?selfPost=1');
      const { connectionId } = (await client.echo()).requestContext;
      expect(await recordedEvent('SELFPOST', connectionId)).toEqual({ outcome: 'GoneException' });
      expect(client.frames).toHaveLength(1);
    });

    it('answers 404 for a path that is not a stage', async () => {
      await expect(TestClient.open(`${stack.siteUrl.replace('http', 'ws')}/nope`)).rejects.toEqual(
        new HandshakeRejected(404),
      );
    });
  });

  describe('messages', () => {
    it('routes by the action and passes an AWS-shaped MESSAGE event with the raw frame as body', async () => {
      const client = await connect();
      const frame = '{"action":"echo","text":"hi there"}';
      client.send(frame);
      const { echo } = await client.nextJson<{ echo: EchoedEvent }>();
      expect(echo.body).toBe(frame);
      expect(echo).not.toHaveProperty('headers');
      expect(echo.isBase64Encoded).toBe(false);
      expect(echo.requestContext).toEqual({
        routeKey: 'echo',
        messageId: expect.stringMatching(GATEWAY_ID_PATTERN),
        eventType: 'MESSAGE',
        extendedRequestId: expect.stringMatching(GATEWAY_ID_PATTERN),
        requestTime: expect.any(String),
        messageDirection: 'IN',
        stage: stack.model.webSocketApis[0]?.stageName,
        connectedAt: expect.any(Number),
        requestTimeEpoch: expect.any(Number),
        identity: { sourceIp: '127.0.0.1' },
        requestId: expect.stringMatching(GATEWAY_ID_PATTERN),
        domainName: expect.stringContaining('.execute-api.us-east-1.amazonaws.com'),
        connectionId: expect.stringMatching(GATEWAY_ID_PATTERN),
        apiId: stack.model.webSocketApis[0]?.apiId,
      });
    });

    it('answers the exact Forbidden frame when no route matches and there is no $default, and keeps the socket open', async () => {
      const client = await connect();
      const { connectionId } = (await client.echo()).requestContext;
      client.send('{"action":"nope"}');
      const frame = await client.next();
      expect(frame).toMatch(
        new RegExp(
          `^\\{"message": "Forbidden", "connectionId":"${escapeRegExp(connectionId)}", "requestId":"[A-Za-z0-9_-]{15}="\\}$`,
        ),
      );
      client.send('not json at all');
      expect(JSON.parse(await client.next())).toMatchObject({ message: 'Forbidden', connectionId });
      expect((await client.echo()).requestContext.connectionId).toBe(connectionId);
    });

    it('answers Internal server error when the integration throws', async () => {
      const client = await connect();
      const { connectionId } = (await client.echo()).requestContext;
      client.send({ action: 'boom' });
      expect(JSON.parse(await client.next())).toEqual({
        message: 'Internal server error',
        connectionId,
        requestId: expect.stringMatching(GATEWAY_ID_PATTERN),
      });
    });

    it('drops the returned body of a route without a route response', async () => {
      const client = await connect();
      const before = stack.stats().gateway.routeInvocations.silent ?? 0;
      client.send({ action: 'silent' });
      await waitFor(() => stack.stats().gateway.routeInvocations.silent === before + 1);
      await stack.drain();
      client.send({ action: 'echo', after: 'silent' });
      const next = await client.nextJson<{ echo: EchoedEvent }>();
      expect(next.echo.requestContext.routeKey).toBe('echo');
      expect(client.frames).toHaveLength(1);
    });

    it('closes the socket with 1009 when a frame is over 32 KB', async () => {
      const client = await connect();
      client.send({ action: 'echo', pad: 'x'.repeat(33 * 1024) });
      expect((await client.closed).code).toBe(1009);
    });

    it('accepts a 120 KB message sent as frames under 32 KB', async () => {
      const client = await connect();
      const body = JSON.stringify({ action: 'echo', pad: 'y'.repeat(120 * 1024) });
      const step = 30 * 1024;
      for (let i = 0; i < body.length; i += step) {
        client.ws.send(body.slice(i, i + step), { fin: i + step >= body.length });
      }
      expect((await client.nextJson<{ echo: EchoedEvent }>()).echo.body).toBe(body);
    });

    it('closes the socket with 1009 when a message is over 128 KB, even in small frames', async () => {
      const client = await connect();
      const chunk = 'z'.repeat(30 * 1024);
      for (let i = 0; i < 5; i++) client.ws.send(chunk, { fin: i === 4 });
      expect((await client.closed).code).toBe(1009);
    });

    it('closes the socket with 1003 on a binary frame', async () => {
      const client = await connect();
      client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      expect((await client.closed).code).toBe(1003);
    });
  });

  describe('the @connections API, through the real ApiGatewayManagementApiClient', () => {
    it('delivers PostToConnection data as a text frame', async () => {
      const client = await connect();
      const { connectionId } = (await client.echo()).requestContext;
      await management.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: '{"hello":"world"}' }),
      );
      expect(await client.next()).toBe('{"hello":"world"}');
    });

    it('lets a function post to another connection through the rewritten callback URL', async () => {
      const receiver = await connect();
      const sender = await connect();
      const { connectionId } = (await receiver.echo()).requestContext;
      sender.send({ action: 'post', to: connectionId, text: 'from a function' });
      expect(await receiver.next()).toBe('from a function');
      expect(await sender.nextJson()).toEqual({ posted: true });
    });

    it('describes a connection with GetConnection', async () => {
      const client = await connect('', { 'User-Agent': 'describe-me/2.0' });
      const { connectionId } = (await client.echo()).requestContext;
      const description = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      expect(description.ConnectedAt).toBeInstanceOf(Date);
      expect(description.LastActiveAt).toBeInstanceOf(Date);
      expect(description.LastActiveAt?.getTime()).toBeGreaterThanOrEqual(
        description.ConnectedAt?.getTime() ?? 0,
      );
      expect(description.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: 'describe-me/2.0' });
    });

    it('closes the socket on DeleteConnection, after which the id is gone', async () => {
      const client = await connect();
      const { connectionId } = (await client.echo()).requestContext;
      await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      await client.closed;
      await expect(
        management.send(new GetConnectionCommand({ ConnectionId: connectionId })),
      ).rejects.toBeInstanceOf(GoneException);
    });

    it('raises GoneException for a client that vanished without a close frame', async () => {
      const client = await connect();
      const { connectionId } = (await client.echo()).requestContext;
      const open = stack.gateway.openConnections;
      client.ws.terminate();
      await waitFor(() => stack.gateway.openConnections < open);

      const error = await management
        .send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'anyone?' }))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(GoneException);
      expect((error as GoneException).name).toBe('GoneException');
      expect((error as GoneException).$metadata.httpStatusCode).toBe(410);

      // And a function sees the same class.
      const other = await connect();
      other.send({ action: 'post', to: connectionId, text: 'anyone?' });
      expect(await other.nextJson()).toEqual({ posted: false, gone: true, name: 'GoneException' });
    });

    it('raises GoneException for an id that never existed', async () => {
      await expect(
        management.send(new PostToConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=', Data: 'x' })),
      ).rejects.toBeInstanceOf(GoneException);
    });

    it('raises PayloadTooLargeException for data over 128 KB', async () => {
      const client = await connect();
      const { connectionId } = (await client.echo()).requestContext;
      await expect(
        management.send(
          new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'p'.repeat(128 * 1024 + 1) }),
        ),
      ).rejects.toBeInstanceOf(PayloadTooLargeException);
      await management.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'p'.repeat(128 * 1024) }),
      );
      expect(await client.next()).toHaveLength(128 * 1024);
    });
  });

  describe('SigV4 on the @connections API (IAM auth, as on AWS)', () => {
    /** The next frame a client gets after a refused call is the marker: the refused one never arrived. */
    async function expectOnlyMarker(client: TestClient, connectionId: string): Promise<void> {
      await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'marker' }));
      expect(await client.next()).toBe('marker');
    }

    it('refuses an unsigned call with 403 Missing Authentication Token, and delivers nothing', async () => {
      const client = await connect();
      const { connectionId } = (await client.echo()).requestContext;

      const response = await fetch(
        `${stack.connectionsUrl()}/@connections/${encodeURIComponent(connectionId)}`,
        {
          method: 'POST',
          body: 'unsigned',
        },
      );

      expect(response.status).toBe(403);
      expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
      expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
      await expectOnlyMarker(client, connectionId);
    });

    it('refuses a call signed with the wrong secret (the SDK sees InvalidSignatureException, 403)', async () => {
      const client = await connect();
      const { connectionId } = (await client.echo()).requestContext;
      const wrong = new ApiGatewayManagementApiClient({
        endpoint: stack.connectionsUrl(),
        region: stack.model.region,
        credentials: { ...LOCAL_CREDENTIALS, secretAccessKey: 'not-the-secret' },
        maxAttempts: 1,
      });
      try {
        const error = await wrong
          .send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'forged' }))
          .catch(
            (e: unknown) => e as { name: string; message: string; $metadata: { httpStatusCode?: number } },
          );

        expect(error).toMatchObject({
          name: 'InvalidSignatureException',
          $metadata: { httpStatusCode: 403 },
        });
        expect((error as Error).message).toMatch(/^The request signature we calculated does not match/);
      } finally {
        wrong.destroy();
      }
      await expectOnlyMarker(client, connectionId);
    });

    it('refuses an access key it does not know (UnrecognizedClientException)', async () => {
      const stranger = new ApiGatewayManagementApiClient({
        endpoint: stack.connectionsUrl(),
        region: stack.model.region,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
        maxAttempts: 1,
      });
      try {
        await expect(
          stranger.send(new GetConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=' })),
        ).rejects.toMatchObject({
          name: 'UnrecognizedClientException',
          message: 'The security token included in the request is invalid.',
          $metadata: { httpStatusCode: 403 },
        });
      } finally {
        stranger.destroy();
      }
    });
  });

  describe('$disconnect', () => {
    it('is invoked with the close code and reason the client sent', async () => {
      const client = await connect();
      const { connectionId } = (await client.echo()).requestContext;
      await client.close(4001, 'leaving now');
      await waitFor(
        async () => (await recordedEvent('DISCONNECT', connectionId).catch(() => undefined)) !== undefined,
      );
      const event = await recordedEvent('DISCONNECT', connectionId);
      expect(event.headers).toEqual({
        Host: new URL(stack.siteUrl).host,
        'x-api-key': '',
        'X-Forwarded-For': '',
        'x-restapi': '',
      });
      expect(event.requestContext).toMatchObject({
        routeKey: '$disconnect',
        eventType: 'DISCONNECT',
        disconnectStatusCode: 4001,
        disconnectReason: 'leaving now',
        connectionId,
        messageDirection: 'IN',
      });
      expect(event).not.toHaveProperty('body');
    });

    it("reports 1005 and AWS's reason when the close frame has no status", async () => {
      const client = await connect();
      const { connectionId } = (await client.echo()).requestContext;
      await client.close();
      await waitFor(
        async () => (await recordedEvent('DISCONNECT', connectionId).catch(() => undefined)) !== undefined,
      );
      const event = await recordedEvent('DISCONNECT', connectionId);
      expect(event.requestContext).toMatchObject({
        disconnectStatusCode: 1005,
        disconnectReason: 'Client-side close frame status not set',
      });
    });
  });

  describe('stats', () => {
    it('counts connections, messages and @connections calls', async () => {
      await stack.drain();
      stack.resetStats();
      const client = await connect();
      const { connectionId } = (await client.echo()).requestContext;
      await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: '12345' }));
      await client.next();
      client.send({ action: 'nope' });
      await client.next();
      const stats = stack.stats();
      expect(stats.gateway.connectionsOpened).toBe(1);
      expect(stats.gateway.messagesIn).toBe(2);
      expect(stats.gateway.forbiddenFrames).toBe(1);
      expect(stats.gateway.routeInvocations).toEqual({ echo: 1 });
      expect(stats.gateway.postToConnection).toMatchObject({ calls: 1, ok: 1, bytes: 5 });
      expect(stats.functions.ConnectFunction?.invocations).toBe(1);
      expect(stats.functions.MessageFunction?.invocations).toBe(1);
      expect(stats.lambda).toMatchObject({ invocations: 2, errors: 0 });
      expect(stats.aws.dynamodb?.PutItem).toBe(1);
    });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
