import path from 'node:path';
import { loadStack, type StackModel } from '../../../../local/template';
import { templateFiles } from '../../../support/template-files';

const fixtures = path.resolve(__dirname, '../../../fixtures/local-template');
const { dir, load, loadError } = templateFiles('local-template-');

const fn = (model: StackModel, id: string) => {
  const found = model.functions.find((f) => f.logicalId === id);
  if (!found) throw new Error(`no function ${id}`);
  return found;
};

describe('loadStack with the SAM fixture', () => {
  let model: StackModel;
  beforeAll(async () => {
    model = await loadStack(path.join(fixtures, 'sam.yaml'));
  });

  it('uses the local defaults for region, account and stack name', () => {
    expect(model).toMatchObject({ region: 'us-east-1', accountId: '123456789012', stackName: 'local' });
    expect(model.templateDir).toBe(fixtures);
  });

  it('applies Globals, letting the function override scalars and merging environment variables', () => {
    const chat = fn(model, 'ChatFunction');
    expect(chat).toMatchObject({
      runtime: 'nodejs24.x',
      architectures: ['arm64'],
      timeoutSeconds: 10,
      tracing: 'Active',
    });
    expect(chat.environment.POWERTOOLS_SERVICE_NAME).toBe('chat');
    expect(chat.environment.LOG_LEVEL).toBe('DEBUG');
    expect(fn(model, 'BroadcastFunction').environment.LOG_LEVEL).toBe('INFO');
    expect(fn(model, 'BroadcastFunction').timeoutSeconds).toBe(3);
  });

  it('resolves FindInMap, Select of a list parameter and drops AWS::NoValue variables', () => {
    const chat = fn(model, 'ChatFunction');
    expect(chat.memorySizeMb).toBe(512);
    expect(chat.environment.FIRST_SUBNET).toBe('subnet-a');
    expect(chat.environment).not.toHaveProperty('DEV_ONLY');
  });

  it('resolves Ref and GetAtt of tables, buses and the WebSocket API to AWS-shaped values', () => {
    const env = fn(model, 'ChatFunction').environment;
    expect(env.TABLE_NAME).toBe('local-connections');
    expect(env.TABLE_ARN).toBe('arn:aws:dynamodb:us-east-1:123456789012:table/local-connections');
    expect(env.BUS_NAME).toBe('local-chat');
    const api = model.webSocketApis[0];
    expect(api?.apiId).toMatch(/^[a-z0-9]{10}$/);
    expect(env.CALLBACK_URL).toBe(`https://${api?.apiId}.execute-api.us-east-1.amazonaws.com/production`);
    expect(env.WS_URL).toBe(`wss://${api?.apiId}.execute-api.us-east-1.amazonaws.com`);
  });

  it('names functions by FunctionName or a stable CloudFormation-style generated name', async () => {
    expect(fn(model, 'ChatFunction').functionName).toBe('local-chat-api');
    const broadcast = fn(model, 'BroadcastFunction');
    expect(broadcast.functionName).toMatch(/^local-BroadcastFunction-[A-Z0-9]{12}$/);
    expect(broadcast.arn).toBe(`arn:aws:lambda:us-east-1:123456789012:function:${broadcast.functionName}`);
    const again = await loadStack(path.join(fixtures, 'sam.yaml'));
    expect(fn(again, 'BroadcastFunction').functionName).toBe(broadcast.functionName);
  });

  it('carries the esbuild Metadata of each function', () => {
    expect(fn(model, 'ChatFunction')).toMatchObject({
      buildMethod: 'esbuild',
      buildProperties: { Format: 'esm', OutExtension: ['.js=.mjs'], EntryPoints: ['src/echo/handler.ts'] },
      codeUri: fixtures,
      handler: 'handler.handler',
    });
  });

  it('reads the async invocation config from EventInvokeConfig and DeadLetterQueue', () => {
    const broadcast = fn(model, 'BroadcastFunction');
    const failed = model.queues.find((q) => q.logicalId === 'FailedQueue');
    const onFailure = model.queues.find(
      (q) => q.logicalId === 'BroadcastFunctionEventInvokeConfigOnFailureQueue',
    );
    expect(broadcast.asyncConfig).toEqual({
      maximumRetryAttempts: 1,
      maximumEventAgeSeconds: 600,
      deadLetterArn: failed?.arn,
      onFailureArn: onFailure?.arn,
    });
    expect(broadcast.reservedConcurrency).toBe(5);
    expect(fn(model, 'ChatFunction').asyncConfig).toEqual({
      maximumRetryAttempts: 2,
      maximumEventAgeSeconds: 21600,
    });
  });

  it('maps every route of the SAM WebSocketApi to its function', () => {
    const api = model.webSocketApis[0];
    expect(api).toMatchObject({ logicalId: 'ChatApi', name: 'chat-api', stageName: 'production' });
    expect(api?.routeSelectionExpression).toBe('$request.body.action');
    expect(api?.endpointUrl).toBe(`https://${api?.apiId}.execute-api.us-east-1.amazonaws.com/production`);
    expect(api?.routes).toEqual([
      { routeKey: '$connect', functionLogicalId: 'ChatFunction', routeResponse: false },
      { routeKey: '$disconnect', functionLogicalId: 'ChatFunction', routeResponse: false },
      { routeKey: '$default', functionLogicalId: 'ChatFunction', routeResponse: true },
      { routeKey: 'sendMessage', functionLogicalId: 'ChatFunction', routeResponse: false },
    ]);
  });

  it('turns an EventBridgeRule event into a rule with its retry policy and a SAM-made dead-letter queue', () => {
    const rule = model.rules.find((r) => r.logicalId === 'BroadcastFunctionDelivery');
    const dlq = model.queues.find((q) => q.logicalId === 'BroadcastFunctionDeliveryQueue');
    expect(rule).toMatchObject({
      eventBusName: 'local-chat',
      state: 'ENABLED',
      eventPattern: { source: ['chat.messages'], 'detail-type': ['MessagePosted'] },
    });
    expect(rule?.targets).toEqual([
      {
        id: 'broadcast',
        arn: fn(model, 'BroadcastFunction').arn,
        functionLogicalId: 'BroadcastFunction',
        queueLogicalId: undefined,
        input: undefined,
        inputPath: undefined,
        retryPolicy: { maximumRetryAttempts: 4, maximumEventAgeSeconds: 3600 },
        deadLetterArn: dlq?.arn,
      },
    ]);
  });

  it('always has the default bus and adds the template buses', () => {
    expect(model.eventBuses.map((b) => b.name)).toEqual(['default', 'local-chat']);
    expect(model.eventBuses[1]?.arn).toBe('arn:aws:events:us-east-1:123456789012:event-bus/local-chat');
  });

  it('builds CreateTable input without throughput for on-demand tables, with it for provisioned ones', () => {
    const connections = model.tables.find((t) => t.logicalId === 'ConnectionsTable');
    expect(connections?.ttlAttribute).toBe('expiresAt');
    expect(connections?.createTableInput).toEqual({
      TableName: 'local-connections',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'room', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byRoom',
          KeySchema: [{ AttributeName: 'room', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    const provisioned = model.tables.find((t) => t.logicalId === 'ProvisionedTable');
    expect(provisioned?.createTableInput.BillingMode).toBe('PROVISIONED');
    expect(provisioned?.createTableInput.ProvisionedThroughput).toEqual({
      ReadCapacityUnits: 2,
      WriteCapacityUnits: 3,
    });
    expect(provisioned?.ttlAttribute).toBeUndefined();
  });

  it('turns a SimpleTable into a one-key on-demand table', () => {
    const simple = model.tables.find((t) => t.logicalId === 'Simple');
    expect(simple?.createTableInput).toMatchObject({
      AttributeDefinitions: [{ AttributeName: 'userId', AttributeType: 'N' }],
      KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('gives queues an SQS URL as Ref and their properties', () => {
    const failed = model.queues.find((q) => q.logicalId === 'FailedQueue');
    expect(failed?.url).toBe(`https://sqs.us-east-1.amazonaws.com/123456789012/${failed?.queueName}`);
    expect(failed?.messageRetentionSeconds).toBe(1209600);
    expect(model.outputs.QueueUrl).toBe(failed?.url);
  });

  it('skips resources and outputs whose condition is false', () => {
    expect(model.queues.some((q) => q.logicalId === 'DevOnlyQueue')).toBe(false);
    expect(model.outputs).not.toHaveProperty('DevQueue');
  });

  it('resolves outputs with every remaining intrinsic', () => {
    expect(model.outputs).toMatchObject({
      WebSocketUrl: `wss://${model.webSocketApis[0]?.apiId}.execute-api.us-east-1.amazonaws.com/production`,
      RoleArn: expect.stringMatching(/^arn:aws:iam::123456789012:role\/local-ChatFunctionRole-/),
      Either: 'yes',
      Zones: 'us-east-1a,us-east-1b,us-east-1c',
      Encoded: 'aGVsbG8=',
      Cidrs: '10.0.0.0/24|10.0.1.0/24',
      Split: 'b',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${} that Fn::Sub leaves
      Literal: 'cost ${Amount} in aws amazonaws.com 123456789012',
      SubVars: 'production-fixed',
      Imported: 'shared-vpc',
    });
  });

  it('warns about everything it does not emulate, naming the logical id', () => {
    expect(model.warnings).toEqual(
      expect.arrayContaining([
        'ChatFunction: IAM policies are not enforced locally',
        'ChatFunction: Layers not emulated locally',
        'BroadcastFunction: event Nightly of Type Schedule is not emulated locally',
        'ConnectionsTable: PointInTimeRecoverySpecification not emulated locally',
        'LogsRole (AWS::IAM::Role): policies are not enforced locally',
        'ApiAccount (AWS::ApiGateway::Account): not needed locally (no CloudWatch logging role)',
        expect.stringContaining('Fn::ImportValue shared-vpc'),
      ]),
    );
  });

  it('applies parameter overrides, region, account and stack name', async () => {
    const dev = await loadStack(path.join(fixtures, 'sam.yaml'), {
      parameterOverrides: { Stage: 'dev' },
      region: 'eu-west-1',
      accountId: '111122223333',
      stackName: 'chat',
    });
    const chat = fn(dev, 'ChatFunction');
    expect(chat.functionName).toBe('chat-chat-api');
    expect(chat.memorySizeMb).toBe(256);
    expect(chat.environment.DEV_ONLY).toBe('yes');
    expect(chat.arn).toBe('arn:aws:lambda:eu-west-1:111122223333:function:chat-chat-api');
    expect(dev.webSocketApis[0]?.stageName).toBe('dev');
    expect(dev.queues.some((q) => q.logicalId === 'DevOnlyQueue')).toBe(true);
    expect(dev.outputs.DevQueue).toMatch(
      /^https:\/\/sqs\.eu-west-1\.amazonaws\.com\/111122223333\/chat-DevOnlyQueue-/,
    );
    expect(dev.parameters.Stage).toBe('dev');
  });
});

describe('loadStack with the raw AWS::ApiGatewayV2 fixture', () => {
  let model: StackModel;
  beforeAll(async () => {
    model = await loadStack(path.join(fixtures, 'raw-websocket.yaml'));
  });

  it('maps routes to functions through Integration URIs built with Sub and Join', () => {
    const api = model.webSocketApis[0];
    expect(api).toMatchObject({ logicalId: 'Api', name: 'raw-api', stageName: 'live' });
    expect(api?.routeSelectionExpression).toBe('$request.body.type');
    expect(api?.routes).toEqual([
      { routeKey: '$connect', functionLogicalId: 'Handler', routeResponse: false },
      { routeKey: '$default', functionLogicalId: 'Other', routeResponse: true },
    ]);
    expect(model.outputs.Url).toBe(`wss://${api?.apiId}.execute-api.us-east-1.amazonaws.com/live`);
  });

  it('reads AWS::Lambda::Function code, tracing and inline code', () => {
    const handler = fn(model, 'Handler');
    expect(handler.inlineCode).toContain('exports.handler');
    expect(handler.tracing).toBe('Active');
    expect(handler.runtime).toBe('nodejs22.x');
    expect(fn(model, 'Other').codeUri).toBe(path.join(fixtures, 'plain'));
  });

  it('applies an AWS::Lambda::EventInvokeConfig to its function', () => {
    expect(fn(model, 'Other').asyncConfig).toEqual({
      maximumRetryAttempts: 0,
      maximumEventAgeSeconds: 21600,
      onFailureArn: 'arn:aws:sqs:us-east-1:123456789012:raw-dlq',
    });
  });

  it('turns an AWS::Events::Rule into a rule with function and queue targets', () => {
    const rule = model.rules[0];
    expect(rule).toMatchObject({
      logicalId: 'Rule',
      eventBusName: 'default',
      state: 'DISABLED',
      eventPattern: { source: ['raw'] },
    });
    expect(rule?.targets[0]).toMatchObject({
      id: 'other',
      functionLogicalId: 'Other',
      inputPath: '$.detail',
      retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeSeconds: 86400 },
      deadLetterArn: 'arn:aws:sqs:us-east-1:123456789012:raw-dlq',
    });
    expect(rule?.targets[1]).toMatchObject({ id: 'queue', queueLogicalId: 'Dlq', input: '{"fixed": true}' });
    expect(model.queues[0]).toMatchObject({ queueName: 'raw-dlq', visibilityTimeoutSeconds: 60 });
  });

  it('warns about stage logging, permissions and deployments', () => {
    expect(model.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Stage: stage logging is not emulated/),
        'Permission (AWS::Lambda::Permission): resource policies are not enforced locally',
        'HandlerRole (AWS::IAM::Role): policies are not enforced locally',
        expect.stringMatching(/^Deployment \(AWS::ApiGatewayV2::Deployment\)/),
      ]),
    );
  });
});

describe('loadStack with a JSON template', () => {
  it('parses JSON and the long forms of the intrinsics', async () => {
    const model = await loadStack(path.join(fixtures, 'minimal.json'));
    const queue = model.queues[0];
    expect(queue?.fifo).toBe(true);
    expect(queue?.queueName).toMatch(/\.fifo$/);
    expect(model.functions[0]?.environment).toEqual({ QUEUE: queue?.url, ARN: queue?.arn });
    expect(model.outputs.Name).toBe(queue?.queueName);
  });
});

describe('loadStack intrinsics', () => {
  const base = `
Parameters:
  Env: { Type: String, Default: dev }
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs24.x
      Handler: index.handler
      Environment:
        Variables:
`;
  const envOf = async (vars: string, extra = '') =>
    (await load(`${base}${vars}${extra}`)).functions[0]?.environment ?? {};

  it('resolves GetAtt in both the dotted and the list short form', async () => {
    const env = await envOf(`          A: !GetAtt Fn.Arn\n          B: !GetAtt [Fn, Arn]\n`);
    expect(env.A).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:local-Fn-/);
    expect(env.B).toBe(env.A);
  });

  it('resolves pseudo parameters', async () => {
    const env = await envOf(
      `          R: !Ref AWS::Region\n          S: !Ref AWS::StackName\n          I: !Ref AWS::StackId\n          P: !Ref AWS::Partition\n`,
    );
    expect(env).toMatchObject({ R: 'us-east-1', S: 'local', P: 'aws' });
    expect(env.I).toMatch(/^arn:aws:cloudformation:us-east-1:123456789012:stack\/local\/[0-9a-f-]{36}$/);
  });

  it('evaluates If, Equals, Not, And and Or inline', async () => {
    const env = await envOf(
      `          A: !If [IsDev, dev, prod]\n`,
      `Conditions:
  IsDev: !And [!Equals [!Ref Env, dev], !Not [!Equals [a, b]], !Or [!Equals [x, y], !Equals [1, 1]]]
`,
    );
    expect(env.A).toBe('dev');
  });

  it('gives unemulated resources a plausible name and ARN instead of failing', async () => {
    const env = await envOf(
      `          G: !Ref Group\n          A: !GetAtt Group.Arn\n          T: !Ref Topic\n`,
      `  Group:
    Type: AWS::Logs::LogGroup
    Properties: { LogGroupName: /chat/app }
  Topic:
    Type: AWS::SNS::Topic
`.replace(/^/, ''),
    );
    expect(env.G).toBe('/chat/app');
    expect(env.A).toBe('arn:aws:logs:us-east-1:123456789012:log-group:/chat/app:*');
    expect(env.T).toMatch(/^arn:aws:sns:us-east-1:123456789012:local-Topic-/);
  });
});

describe('loadStack errors', () => {
  it('reports a missing template', async () => {
    await expect(loadStack(path.join(dir, 'nope.yaml'))).rejects.toThrow(/nope\.yaml: template not found/);
  });

  it('reports invalid YAML with its line and column', async () => {
    const err = await loadError('Resources:\n  A:\n    Type: [unclosed\n');
    expect(err.message).toMatch(/\.yaml:\d+:\d+: invalid YAML/);
    expect(err.line).toBeGreaterThanOrEqual(3);
  });

  it('reports an unknown tag with its line', async () => {
    const err = await loadError(
      'Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Nope x\n',
    );
    expect(err.message).toMatch(/:5:18: unknown tag !Nope$/);
  });

  it('reports a Ref to an unknown resource with the line of the Ref', async () => {
    const err = await loadError(
      'Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref Missing\n',
    );
    expect(err.message).toMatch(/:5:18: Ref to unknown resource or parameter Missing$/);
  });

  it('reports a GetAtt of an unknown resource inside a Sub', async () => {
    const err = await loadError(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub syntax, not a JS template
      "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub '${Ghost.Arn}-x'\n",
    );
    expect(err.message).toMatch(/:5:18: Fn::GetAtt references unknown resource Ghost$/);
  });

  it('reports a parameter without a default or override', async () => {
    const err = await loadError('Parameters:\n  Need:\n    Type: String\nResources: {}\n');
    expect(err.message).toMatch(/:3:5: parameter Need has no Default/);
  });

  it('reports an override outside AllowedValues', async () => {
    await expect(
      load('Parameters:\n  S: { Type: String, Default: a, AllowedValues: [a, b] }\nResources: {}\n', {
        parameterOverrides: { S: 'c' },
      }),
    ).rejects.toThrow(/parameter S: "c" is not one of a, b/);
  });

  it('reports a RedrivePolicy string that is not JSON, naming the queue and its line', async () => {
    const err = await loadError(
      "Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy: '{deadLetterTargetArn: x'\n",
    );
    expect(err.message).toMatch(/:5:7: queue Jobs: RedrivePolicy is not valid JSON$/);
  });

  it('reads a RedrivePolicy given as a JSON string', async () => {
    const model = await load(
      'Resources:\n  Dead:\n    Type: AWS::SQS::Queue\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties:\n' +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub syntax, not a JS template
        '      RedrivePolicy: !Sub \'{"deadLetterTargetArn": "${Dead.Arn}", "maxReceiveCount": 3}\'\n',
    );
    const jobs = model.queues.find((q) => q.logicalId === 'Jobs');
    const dead = model.queues.find((q) => q.logicalId === 'Dead');
    expect(jobs?.redrivePolicy).toEqual({ deadLetterTargetArn: dead?.arn, maxReceiveCount: 3 });
  });

  it('reports an unknown condition', async () => {
    const err = await loadError('Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Condition: Nope\n');
    expect(err.message).toMatch(/unknown condition Nope/);
  });
});
