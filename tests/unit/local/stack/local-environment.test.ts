import { localEnvironment } from '../../../../local/stack';

describe('localEnvironment', () => {
  const model = {
    region: 'eu-west-1',
    webSocketApis: [
      {
        logicalId: 'ChatApi',
        apiId: 'abc123defg',
        name: 'chat',
        routeSelectionExpression: '$request.body.action',
        stageName: 'production',
        routes: [],
        endpointUrl: 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/production',
      },
    ],
  };
  const endpoints = { aws: 'http://127.0.0.1:45000', siteHostPort: '127.0.0.1:3000' };

  it('points the SDK at the local AWS endpoint with dummy credentials and the model region', () => {
    const env = localEnvironment(model, { environment: {} }, endpoints);
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:45000',
      AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:45000',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:45000',
      AWS_ACCESS_KEY_ID: expect.any(String),
      AWS_SECRET_ACCESS_KEY: expect.any(String),
      AWS_REGION: 'eu-west-1',
    });
  });

  it("routes the region's SQS host, where the SDK sends a queue URL's calls, to the local AWS endpoint", () => {
    const env = localEnvironment(model, { environment: {} }, endpoints);
    expect(JSON.parse(env._LOCAL_STACK_INTERCEPT as string).serviceHosts).toEqual({
      'sqs.eu-west-1.amazonaws.com': '127.0.0.1:45000',
    });
  });

  it("rewrites a local API's execute-api URL to the local site, keeping the path", () => {
    const env = localEnvironment(
      model,
      {
        environment: {
          CALLBACK_URL: 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/production',
          WS_URL: 'wss://abc123defg.execute-api.eu-west-1.amazonaws.com/production',
          TABLE_NAME: 'chat-table',
        },
      },
      endpoints,
    );
    expect(env.CALLBACK_URL).toBe('http://127.0.0.1:3000/production');
    expect(env.WS_URL).toBe('ws://127.0.0.1:3000/production');
    expect(env).not.toHaveProperty('TABLE_NAME');
  });

  it('leaves URLs of other APIs and regions alone', () => {
    const env = localEnvironment(
      model,
      {
        environment: {
          OTHER: 'https://zzz999zzzz.execute-api.eu-west-1.amazonaws.com/production',
          REGION: 'https://abc123defg.execute-api.us-east-1.amazonaws.com/production',
        },
      },
      endpoints,
    );
    expect(env).not.toHaveProperty('OTHER');
    expect(env).not.toHaveProperty('REGION');
  });
});
