import {
  ApiGatewayManagementApiClient,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { LOCAL_CREDENTIALS, type LocalStack, startLocalStack } from '../../../local/stack';
import { FIXTURE_TEMPLATE, TestClient } from './helpers';

// The credentials the stack hands to functions: @connections calls must be signed with them.
const credentials = LOCAL_CREDENTIALS;

jest.setTimeout(60_000);

describe('fault injection', () => {
  let stack: LocalStack;
  let db: DynamoDBClient;
  let events: EventBridgeClient;
  let management: ApiGatewayManagementApiClient;
  let client: TestClient;
  // What the injector's random source returns next: below a share injects, above it does not.
  let roll = 1;

  beforeAll(async () => {
    stack = await startLocalStack({
      templatePath: FIXTURE_TEMPLATE,
      port: 0,
      ttlSweepIntervalMs: 0,
      // Posts take a while, so an invocation that posts is still running when a Lambda fault strikes.
      callbackLatencyMs: 200,
      faults: {
        dynamoDbThrottle: 0.5,
        postToConnection429: 0.25,
        postToConnection500: 0.25,
        putEventsEntryFailure: 0.5,
        lambdaCrash: 0.25,
        lambdaTimeout: 0.25,
        lambdaFaultFunctions: ['ListenerFunction'],
        random: () => roll,
      },
    });
    // One attempt: the SDK's own retries of throttling errors would hide what the stack answered.
    const config = { region: stack.model.region, credentials, maxAttempts: 1 };
    db = new DynamoDBClient({ ...config, endpoint: stack.awsEndpoint });
    events = new EventBridgeClient({ ...config, endpoint: stack.awsEndpoint });
    management = new ApiGatewayManagementApiClient({ ...config, endpoint: stack.connectionsUrl() });
    roll = 1;
    client = await TestClient.open(stack.webSocketUrl());
  });

  afterAll(async () => {
    client?.ws.terminate();
    for (const sdk of [db, events, management]) sdk?.destroy();
    await stack?.stop();
  });

  beforeEach(() => {
    roll = 1;
    stack.resetStats();
  });

  it('throttles a share of DynamoDB item calls with ProvisionedThroughputExceededException', async () => {
    const table = stack.model.tables[0]?.tableName as string;
    const put = () => db.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'faulty' } } }));

    roll = 0.4;
    await expect(put()).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    // Table management uses no capacity: AWS does not throttle it this way.
    await expect(db.send(new DescribeTableCommand({ TableName: table }))).resolves.toBeDefined();
    roll = 0.6;
    await expect(put()).resolves.toBeDefined();

    expect(stack.stats().faults.dynamoDbThrottled).toBe(1);
    expect(stack.stats().aws.dynamodb).toMatchObject({ PutItem: 2 });
  });

  it('answers a share of PostToConnection calls with 429 or 500 and delivers nothing for them', async () => {
    const { connectionId } = (await client.echo()).requestContext;
    const post = (text: string) =>
      management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: text }));

    roll = 0.1;
    await expect(post('dropped-429')).rejects.toMatchObject({
      name: 'LimitExceededException',
      $metadata: { httpStatusCode: 429 },
    });
    roll = 0.3;
    await expect(post('dropped-500')).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    roll = 0.9;
    await post('delivered');
    // Frames arrive in order: the first one after the echo is the one that was delivered.
    expect(await client.next()).toBe('delivered');
    // Other @connections operations are untouched.
    roll = 0.1;
    await expect(
      management.send(new GetConnectionCommand({ ConnectionId: connectionId })),
    ).resolves.toBeDefined();

    expect(stack.stats().faults).toMatchObject({ postToConnection429: 1, postToConnection500: 1 });
    expect(stack.stats().gateway.postToConnection.ok).toBe(1);
  });

  it('fails a share of PutEvents entries with InternalFailure while the call succeeds', async () => {
    const entries = [1, 2].map((n) => ({
      EventBusName: stack.model.eventBuses[1]?.name,
      Source: 'fixture.faults',
      DetailType: 'Nothing',
      Detail: JSON.stringify({ n }),
    }));

    roll = 0.4;
    const failed = await events.send(new PutEventsCommand({ Entries: entries }));
    expect(failed.FailedEntryCount).toBe(2);
    expect(failed.Entries?.map((e) => e.ErrorCode)).toEqual(['InternalFailure', 'InternalFailure']);
    roll = 0.6;
    const accepted = await events.send(new PutEventsCommand({ Entries: entries }));
    expect(accepted.FailedEntryCount).toBe(0);

    expect(stack.stats().faults.putEventsEntriesFailed).toBe(2);
    expect(stack.stats().eventBridge).toMatchObject({ entries: 4, failedEntries: 2 });
  });
  it('kills or times out a share of the invocations of the functions it names', async () => {
    const { connectionId } = (await client.echo()).requestContext;
    const event = { 'detail-type': 'Echo', detail: { connectionId, text: 'survived' } };

    roll = 0.1;
    const killed = await stack.lambda.invoke('ListenerFunction', event);
    expect(killed).toMatchObject({
      ok: false,
      error: { errorType: 'Runtime.ExitError', errorMessage: expect.stringContaining('signal: killed') },
      report: { outcome: 'crash' },
    });
    roll = 0.3;
    const timedOut = await stack.lambda.invoke('ListenerFunction', event);
    // The killed environment is gone: this one is a cold start.
    expect(timedOut).toMatchObject({
      ok: false,
      error: { errorType: 'Sandbox.Timedout' },
      report: { outcome: 'timeout', cold: true },
    });
    roll = 0.9;
    const survived = await stack.lambda.invoke('ListenerFunction', event);
    expect(survived).toMatchObject({ ok: true, report: { cold: true } });
    expect(JSON.parse(await client.next())).toMatchObject({ fromListener: 'survived' });
    // A function it does not name is never struck.
    roll = 0.1;
    await expect(client.echo()).resolves.toMatchObject({ requestContext: { connectionId } });

    expect(stack.stats().faults).toMatchObject({ lambdaCrashes: 1, lambdaTimeouts: 1 });
    expect(stack.stats().lambda).toMatchObject({ errors: 1, timeouts: 1 });
  });
});

describe('fault options', () => {
  it('refuses a share outside 0..1 before starting anything, naming the fault', async () => {
    await expect(
      startLocalStack({ templatePath: FIXTURE_TEMPLATE, port: 0, faults: { dynamoDbThrottle: 1.5 } }),
    ).rejects.toThrow('fault dynamoDbThrottle must be a share between 0 and 1, got 1.5');
  });
});
