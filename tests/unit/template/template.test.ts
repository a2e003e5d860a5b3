import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AWS_ASYNC_RETRY_DELAYS_MS } from '../../../local/lambda/async-invoker';
import { Resolver } from '../../../local/template/intrinsics';
import type { TemplateValue } from '../../../local/template/parse-template';
import { CHAT_EVENT_SOURCE, DETAIL_TYPES } from '../../../src/chat/chat-events';
import { ROUTE_KEYS } from '../../../src/functions/chat-api/websocket-event';
import * as config from '../../../src/shared/config';
import { MEMBERS_INDEX, SHARD_INDEX } from '../../../src/stores/dynamodb-connection-store';
import { TEST_ENV } from '../src/support/events';
import { functionsOf, loadTemplate, type Node, ROOT } from './load-template';

const template = loadTemplate();
const functions = functionsOf(template);
const resource = (id: string) => {
  const found = template.Resources[id];
  if (!found) throw new Error(`template.yaml has no ${id}`);
  return found;
};
const entryPointOf = (fn: Node): string => fn.Metadata.BuildProperties.EntryPoints[0];

/** The config schema a handler loads, found in its function's folder: `loadConfig(<schema>)`. */
const schemaKeysOf = (entryPoint: string): string[] => {
  const folder = dirname(join(ROOT, entryPoint));
  const source = readdirSync(folder)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => readFileSync(join(folder, file), 'utf8'))
    .join('\n');
  const name = /loadConfig\((\w+)\)/.exec(source)?.[1];
  const schema = name ? (config as Record<string, unknown>)[name] : undefined;
  if (!schema || typeof schema !== 'object' || !('shape' in schema)) {
    throw new Error(`${entryPoint} does not load its configuration through src/shared/config.ts`);
  }
  return Object.keys((schema as { shape: object }).shape).sort();
};

/** Variables the template gives a function (Globals merged with its own), minus the runtime's. */
const templateVariablesOf = (fn: Node): string[] =>
  Object.keys({ ...template.Globals.Function.Environment.Variables, ...fn.Properties.Environment?.Variables })
    .filter((key) => !key.startsWith('POWERTOOLS_') && key !== 'NODE_OPTIONS')
    .sort();

const statementsOf = (fn: Node): Node[] =>
  (fn.Properties.Policies ?? []).flatMap(
    (policy: Node) => (typeof policy === 'object' && policy.Statement) || [],
  );

/** A `!Sub` as the template test reads it; `#{X}` stands for CloudFormation's `${X}`. */
const sub = (text: string) => ({ 'Fn::Sub': text.replaceAll('#{', '$' + '{') });

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/**
 * The stack resources an ARN in a policy names, read from the intrinsic that builds it: a Ref or
 * GetAtt of a resource, or a Sub whose text starts with such a reference before any wildcard.
 * A literal, a wildcard ARN or an intrinsic that names no resource of this stack gives [].
 */
const stackResourcesNamedBy = (arn: Node): string[] => {
  if (typeof arn !== 'object' || arn === null) return [];
  const known = (id: string) => id in template.Resources;
  if ('Ref' in arn) return known(arn.Ref) ? [arn.Ref] : [];
  if ('Fn::GetAtt' in arn) return known(arn['Fn::GetAtt'][0]) ? [arn['Fn::GetAtt'][0]] : [];
  if ('Fn::Sub' in arn && typeof arn['Fn::Sub'] === 'string') {
    const text: string = arn['Fn::Sub'];
    const beforeWildcard = text.split('*')[0] ?? '';
    return [...beforeWildcard.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}/g)]
      .map((match) => match[1] ?? '')
      .filter(known);
  }
  return [];
};

/** A template condition evaluated the way CloudFormation does, for the given parameter values. */
const evaluateCondition = (name: string, parameters: Record<string, string>): boolean => {
  const resolver: Resolver = new Resolver({
    file: 'template.yaml',
    positionOf: () => undefined,
    pseudo: {},
    parameter: (key) => parameters[key] ?? (template.Parameters[key]?.Default as TemplateValue),
    hasResource: (id) => id in template.Resources,
    ref: (id) => id,
    getAtt: (id, attribute) => `${id}.${attribute}`,
    condition: (other) => resolver.condition(template.Conditions[other] as TemplateValue),
    mappings: {},
    warn: () => {},
  });
  return resolver.condition(template.Conditions[name] as TemplateValue);
};

describe('template.yaml', () => {
  it('has the two functions', () => {
    expect(functions.map(([id]) => id).sort()).toEqual(['BroadcasterFunction', 'ChatApiFunction']);
  });

  describe.each(functions)('%s', (id, fn) => {
    it('builds with esbuild to a CommonJS bundle (init costs less than ESM) with sourcemaps', () => {
      expect(fn.Metadata?.BuildMethod).toBe('esbuild');
      expect(fn.Metadata?.BuildProperties.OutExtension).toBeUndefined();
      expect(fn.Metadata?.BuildProperties.Banner).toBeUndefined();
      expect(fn.Metadata?.BuildProperties).toMatchObject({
        Format: 'cjs',
        Target: 'node24',
        // One flag value for SAM (`--main-fields=<value>`): ES modules first so the SDK tree-shakes.
        MainFields: 'module,main',
        Sourcemap: true,
        Minify: true,
      });
      expect(fn.Properties?.CodeUri).toBe('./');
    });

    it('has an entry point that exists and exports `handler`, matching Handler', async () => {
      const entryPoint = entryPointOf(fn);
      expect(existsSync(join(ROOT, entryPoint))).toBe(true);
      expect(fn.Properties?.Handler).toBe(`${basename(entryPoint, '.ts')}.handler`);
      const saved = { ...process.env };
      Object.assign(process.env, TEST_ENV);
      try {
        await jest.isolateModulesAsync(async () => {
          const module = await import(join(ROOT, entryPoint));
          expect(typeof module.handler).toBe('function');
        });
      } finally {
        process.env = saved;
      }
    });

    it('sets exactly the environment variables its code reads', () => {
      expect(templateVariablesOf(fn)).toEqual(schemaKeysOf(entryPointOf(fn)));
    });

    it('scopes every DynamoDB, EventBridge and execute-api permission to a resource of this stack', () => {
      const statements = statementsOf(fn);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        const actions = asList<string>(statement.Action);
        const scoped = actions.some((action) => /^(dynamodb|events|execute-api):/.test(action));
        if (!scoped) continue;
        expect(actions.every((action) => !action.includes('*'))).toBe(true);
        for (const resourceRef of asList<Node>(statement.Resource)) {
          expect({ Sid: statement.Sid, names: stackResourcesNamedBy(resourceRef) }).toEqual({
            Sid: statement.Sid,
            names: [expect.any(String)],
          });
        }
      }
      expect(fn.Properties?.Policies).not.toContainEqual(expect.stringMatching(/FullAccess/));
    });

    it("may put events on the stack's bus only with the chat's own source", () => {
      const putEvents = statementsOf(fn).filter((s) => asList(s.Action).includes('events:PutEvents'));
      expect(putEvents.length).toBeGreaterThan(0);
      for (const statement of putEvents) {
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': ['ChatEventBus', 'Arn'] });
        expect(statement.Condition).toEqual({ StringEquals: { 'events:source': CHAT_EVENT_SOURCE } });
      }
    });

    it('may call execute-api:ManageConnections on this API and stage only', () => {
      const [manage] = statementsOf(fn).filter((s) =>
        asList(s.Action).includes('execute-api:ManageConnections'),
      );
      expect(manage.Resource).toEqual(
        sub(
          'arn:#{AWS::Partition}:execute-api:#{AWS::Region}:#{AWS::AccountId}:#{ChatWebSocketApi}/#{StageName}/POST/@connections/*',
        ),
      );
    });

    it('gets the AWS-shaped @connections URL built from the API, Region and stage', () => {
      expect(fn.Properties?.Environment.Variables.CALLBACK_URL).toEqual(
        sub('https://#{ChatWebSocketApi}.execute-api.#{AWS::Region}.#{AWS::URLSuffix}/#{StageName}'),
      );
    });

    it('has a log group with retention', () => {
      const logGroup = Object.values(template.Resources).find(
        (r) =>
          r.Type === 'AWS::Logs::LogGroup' &&
          JSON.stringify(r.Properties?.LogGroupName).includes(`\${${id}}`),
      );
      expect(logGroup?.Properties?.RetentionInDays).toBeDefined();
    });
  });

  it('sets the runtime, architecture, tracing, source maps and Powertools variables globally', () => {
    expect(template.Globals.Function).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Tracing: 'Active',
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: expect.any(String),
          POWERTOOLS_LOG_LEVEL: expect.any(String),
          POWERTOOLS_METRICS_NAMESPACE: expect.any(String),
        },
      },
    });
  });

  describe('the WebSocket API', () => {
    const api = resource('ChatWebSocketApi');

    it("is SAM's WebSocketApi routed by action, on a stage that is a parameter defaulting to production", () => {
      expect(api.Type).toBe('AWS::Serverless::WebSocketApi');
      expect(api.Properties?.RouteSelectionExpression).toBe('$request.body.action');
      expect(api.Properties?.StageName).toEqual({ Ref: 'StageName' });
      expect(template.Parameters.StageName?.Default).toBe('production');
    });

    it('has exactly the six routes the code handles, all to the chat-api function', () => {
      const routes = api.Properties?.Routes as Record<string, Node>;
      expect(Object.keys(routes).sort()).toEqual([...ROUTE_KEYS].sort());
      for (const route of Object.values(routes)) {
        expect(route.FunctionArn).toEqual({ 'Fn::GetAtt': ['ChatApiFunction', 'Arn'] });
      }
    });

    it('writes access logs to a log group with retention, after the account CloudWatch role exists', () => {
      expect(api.Properties?.AccessLogSettings.DestinationArn).toEqual({
        'Fn::GetAtt': ['ApiAccessLogGroup', 'Arn'],
      });
      const logGroup = resource('ApiAccessLogGroup');
      expect(logGroup.Properties?.RetentionInDays).toBeDefined();
      expect(logGroup.DependsOn).toBe('ApiGatewayAccountReady');
      expect(resource('ApiGatewayAccountReady').Metadata?.ApiGatewayAccount).toEqual({
        'Fn::If': ['CreateApiGatewayAccount', { Ref: 'ApiGatewayAccount' }, expect.any(String)],
      });
      expect(resource('ApiGatewayAccount').Condition).toBe('CreateApiGatewayAccount');
      expect(template.Parameters.CreateApiGatewayAccountRole?.Default).toBe('true');
    });
  });

  describe('the events', () => {
    const rule = resource('ChatEventsRule');
    const target = rule.Properties?.Targets[0];

    it('route every chat event type from the chat source on the stack bus to the broadcaster', () => {
      expect(rule.Properties?.EventBusName).toEqual({ Ref: 'ChatEventBus' });
      expect(rule.Properties?.EventPattern).toEqual({
        source: [CHAT_EVENT_SOURCE],
        'detail-type': Object.values(DETAIL_TYPES),
      });
      expect(target.Arn).toEqual({ 'Fn::GetAtt': ['BroadcasterFunction', 'Arn'] });
    });

    it('retry with an explicit policy and then go to an SQS dead-letter queue EventBridge may write to', () => {
      expect(target.RetryPolicy).toEqual({
        MaximumRetryAttempts: expect.any(Number),
        MaximumEventAgeInSeconds: expect.any(Number),
      });
      expect(target.DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': ['EventDeliveryDeadLetterQueue', 'Arn'] });
      const policy = resource('EventDeliveryDeadLetterQueuePolicy').Properties;
      expect(policy?.Queues).toEqual([{ Ref: 'EventDeliveryDeadLetterQueue' }]);
      expect(policy?.PolicyDocument.Statement[0]).toMatchObject({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['ChatEventsRule', 'Arn'] } } },
      });
    });

    it("land the broadcaster's own failed async invocations in an SQS queue", () => {
      const broadcaster = resource('BroadcasterFunction').Properties;
      expect(broadcaster?.DeadLetterQueue).toEqual({
        Type: 'SQS',
        TargetArn: { 'Fn::GetAtt': ['BroadcasterDeadLetterQueue', 'Arn'] },
      });
      expect(broadcaster?.EventInvokeConfig.MaximumRetryAttempts).toBeGreaterThan(0);
    });

    it("let a crashed broadcaster's idempotency lock expire well before Lambda's first retry", () => {
      // The INPROGRESS lock lasts up to the Timeout; Lambda retries 60 s after a failure
      // (AWS_ASYNC_RETRY_DELAYS_MS). Whatever the parameter is set to, a third of a minute is left.
      const timeout = resource('BroadcasterFunction').Properties?.Timeout;
      expect(timeout).toEqual({ Ref: 'BroadcasterTimeoutSeconds' });
      const parameter = template.Parameters.BroadcasterTimeoutSeconds;
      const firstRetryMs = AWS_ASYNC_RETRY_DELAYS_MS[0] ?? 0;
      expect(Number(parameter?.MaxValue) * 1000).toBeLessThanOrEqual(firstRetryMs - 20_000);
      expect(Number(parameter?.Default)).toBeLessThanOrEqual(Number(parameter?.MaxValue));
    });
  });

  describe('the presence queue', () => {
    const broadcaster = resource('BroadcasterFunction').Properties;
    const queue = resource('PresenceQueue').Properties;
    const sqsEvents = Object.values<Node>(broadcaster?.Events ?? {}).filter((event) => event.Type === 'SQS');

    it("feeds the broadcaster in batches gathered over a window, retrying only a batch's failed messages", () => {
      expect(sqsEvents).toHaveLength(1);
      const mapping = sqsEvents[0].Properties;
      expect(mapping.Queue).toEqual({ 'Fn::GetAtt': ['PresenceQueue', 'Arn'] });
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      // A standard queue takes up to 10,000 a batch; above 10, AWS requires a window of at least 1 s.
      expect(mapping.BatchSize).toBeGreaterThan(10);
      expect(mapping.BatchSize).toBeLessThanOrEqual(10_000);
      expect(mapping.MaximumBatchingWindowInSeconds).toEqual({ Ref: 'PresenceBatchingWindowSeconds' });
      const window = template.Parameters.PresenceBatchingWindowSeconds;
      expect(Number(window?.MinValue)).toBeGreaterThanOrEqual(1);
      expect(Number(window?.MaxValue)).toBeLessThanOrEqual(300);
      // The delay before others see a change: short by default.
      expect(Number(window?.Default)).toBe(1);
      expect(broadcaster?.Environment.Variables.PRESENCE_QUEUE_URL).toEqual({ Ref: 'PresenceQueue' });
    });

    it('runs at most 2 batches at once: each posts a frame to every member, so more in parallel multiply the frames', () => {
      // AWS's minimum; without it a burst of joins is split into as many small batches as pollers.
      expect(sqsEvents[0].Properties.ScalingConfig).toEqual({ MaximumConcurrency: 2 });
    });

    it('is a standard, encrypted queue whose messages stay hidden for 6 times the longest broadcaster Timeout', () => {
      expect(queue?.FifoQueue).toBeUndefined();
      expect(queue?.SqsManagedSseEnabled).toBe(true);
      const longestTimeout = Number(template.Parameters.BroadcasterTimeoutSeconds?.MaxValue);
      expect(queue?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * longestTimeout);
    });

    it('moves a message that keeps failing to an encrypted dead-letter queue', () => {
      expect(queue?.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': ['PresenceDeadLetterQueue', 'Arn'] },
        maxReceiveCount: expect.any(Number),
      });
      expect(queue?.RedrivePolicy.maxReceiveCount).toBeGreaterThan(1);
      expect(resource('PresenceDeadLetterQueue').Properties?.SqsManagedSseEnabled).toBe(true);
    });

    it('may be written to by the broadcaster only, through the SQSSendMessagePolicy template', () => {
      const sendPolicies = (fn: Node) =>
        (fn.Properties.Policies ?? []).filter(
          (policy: Node) => typeof policy === 'object' && policy.SQSSendMessagePolicy,
        );
      const [[, broadcasterFn], [, chatApi]] = [
        functions.find(([id]) => id === 'BroadcasterFunction') as [string, Node],
        functions.find(([id]) => id === 'ChatApiFunction') as [string, Node],
      ];
      expect(sendPolicies(broadcasterFn)).toEqual([
        { SQSSendMessagePolicy: { QueueName: { 'Fn::GetAtt': ['PresenceQueue', 'QueueName'] } } },
      ]);
      expect(JSON.stringify(chatApi.Properties.Policies ?? [])).not.toContain('PresenceQueue');
      expect(JSON.stringify(chatApi.Properties.Environment ?? {})).not.toContain('PresenceQueue');
    });
  });

  describe('the alarms', () => {
    const alarms = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    const alarmOn = (namespace: string, metric: string, dimension: Node) =>
      alarms.filter(
        (alarm) =>
          alarm.Properties?.Namespace === namespace &&
          alarm.Properties?.MetricName === metric &&
          JSON.stringify(alarm.Properties?.Dimensions) === JSON.stringify([dimension]),
      );
    const topics = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::SNS::Topic')
      .map(([id]) => ({ Ref: id }));

    // Every dead-letter queue the template configures, wherever it is configured.
    const deadLetterQueues = [
      ...Object.values(template.Resources).flatMap((r) =>
        (r.Properties?.Targets ?? []).map((t: Node) => t.DeadLetterConfig?.Arn),
      ),
      ...functions.map(([, fn]) => fn.Properties?.DeadLetterQueue?.TargetArn),
      ...Object.values(template.Resources).map((r) => r.Properties?.RedrivePolicy?.deadLetterTargetArn),
    ]
      .filter((arn): arn is Node => arn !== undefined)
      .map((arn) => arn['Fn::GetAtt'][0] as string);

    it('watch every dead-letter queue: any visible message raises the alarm', () => {
      expect(deadLetterQueues.sort()).toEqual([
        'BroadcasterDeadLetterQueue',
        'EventDeliveryDeadLetterQueue',
        'PresenceDeadLetterQueue',
      ]);
      for (const queue of deadLetterQueues) {
        const found = alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [queue, 'QueueName'] },
        });
        expect({ queue, alarms: found.length }).toEqual({ queue, alarms: 1 });
        expect(found[0]?.Properties).toMatchObject({
          Statistic: 'Maximum',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    });

    it('watch the queue of chat events PutEvents would not take, which both functions may write to', () => {
      const found = alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', {
        Name: 'QueueName',
        Value: { 'Fn::GetAtt': ['UnpublishedEventsQueue', 'QueueName'] },
      });
      expect(found).toHaveLength(1);
      expect(found[0]?.Properties).toMatchObject({ Statistic: 'Maximum', Threshold: 0 });
      for (const [, fn] of functions) {
        expect(fn.Properties?.Environment.Variables.UNPUBLISHED_EVENTS_QUEUE_URL).toEqual({
          Ref: 'UnpublishedEventsQueue',
        });
        const park = statementsOf(fn).filter((statement) =>
          asList(statement.Action).includes('sqs:SendMessage'),
        );
        expect(park.map((statement) => statement.Resource)).toEqual([
          { 'Fn::GetAtt': ['UnpublishedEventsQueue', 'Arn'] },
        ]);
        // Loaded from the runtime on first use, not bundled (src/shared/aws-clients.ts).
        expect(fn.Metadata?.BuildProperties.External).toContain('@aws-sdk/client-sqs');
      }
    });

    it('watch the broadcaster for failed invocations', () => {
      const found = alarmOn('AWS/Lambda', 'Errors', {
        Name: 'FunctionName',
        Value: { Ref: 'BroadcasterFunction' },
      });
      expect(found).toHaveLength(1);
      expect(found[0]?.Properties).toMatchObject({
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it("notify the stack's SNS topic when they fire and when they clear", () => {
      expect(topics).toHaveLength(1);
      expect(alarms).toHaveLength(5);
      for (const alarm of alarms) {
        expect(alarm.Properties?.AlarmActions).toEqual(topics);
        expect(alarm.Properties?.OKActions).toEqual(topics);
        expect(alarm.Properties?.AlarmDescription).toContain('docs/deploy.md');
      }
    });

    it('e-mail the AlarmEmail address only when one is given', () => {
      const [subscription, ...others] = Object.values(template.Resources).filter(
        (r) => r.Type === 'AWS::SNS::Subscription',
      );
      expect(others).toEqual([]);
      expect(subscription?.Properties).toEqual({
        TopicArn: topics[0],
        Protocol: 'email',
        Endpoint: { Ref: 'AlarmEmail' },
      });
      const condition = String(subscription?.Condition);
      expect(template.Parameters.AlarmEmail?.Default).toBe('');
      expect(evaluateCondition(condition, {})).toBe(false);
      expect(evaluateCondition(condition, { AlarmEmail: '' })).toBe(false);
      expect(evaluateCondition(condition, { AlarmEmail: 'ops@example.com' })).toBe(true);
    });

    it('accept an empty AlarmEmail or an address, and reject anything else at deploy time', () => {
      const pattern = new RegExp(String(template.Parameters.AlarmEmail?.AllowedPattern));
      expect(['', 'ops@example.com', 'first.last+chat@mail.example.org'].every((v) => pattern.test(v))).toBe(
        true,
      );
      expect(['ops', 'ops@', 'ops@example', 'a b@example.com', ' '].some((v) => pattern.test(v))).toBe(false);
    });
  });

  describe('the tables', () => {
    it('store chat items on demand with TTL and the two indexes the store queries', () => {
      const table = resource('ChatTable').Properties;
      expect(table?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table?.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
      const indexes = Object.fromEntries(
        table?.GlobalSecondaryIndexes.map((gsi: Node) => [gsi.IndexName, gsi.KeySchema]),
      );
      expect(indexes).toEqual({
        [SHARD_INDEX]: [
          { AttributeName: 'shard', KeyType: 'HASH' },
          { AttributeName: 'connectionId', KeyType: 'RANGE' },
        ],
        [MEMBERS_INDEX]: [
          { AttributeName: 'memberList', KeyType: 'HASH' },
          { AttributeName: 'nameKey', KeyType: 'RANGE' },
        ],
      });
    });

    it('keep idempotency records keyed by id with TTL on expiration (the Powertools defaults)', () => {
      const table = resource('IdempotencyTable').Properties;
      expect(table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
      expect(table?.TimeToLiveSpecification).toEqual({ AttributeName: 'expiration', Enabled: true });
      expect(table?.BillingMode).toBe('PAY_PER_REQUEST');
    });
  });

  it('outputs the wss URL, the callback URL, the tables, the bus and the dead-letter queues', () => {
    expect(template.Outputs.WebSocketUrl?.Value).toEqual(
      sub('wss://#{ChatWebSocketApi}.execute-api.#{AWS::Region}.#{AWS::URLSuffix}/#{StageName}'),
    );
    for (const output of [
      'CallbackUrl',
      'ChatTableName',
      'IdempotencyTableName',
      'EventBusName',
      'EventDeliveryDeadLetterQueueName',
      'BroadcasterDeadLetterQueueName',
      'UnpublishedEventsQueueName',
      'UnpublishedEventsQueueUrl',
      'PresenceQueueUrl',
      'PresenceDeadLetterQueueName',
      'AlarmTopicArn',
    ]) {
      expect(template.Outputs[output]).toBeDefined();
    }
  });

  it('writes no endpoint, table or bus name into the source', () => {
    const sources = [
      'src/functions/chat-api/handler.ts',
      'src/functions/broadcaster/handler.ts',
      'src/shared/aws-clients.ts',
    ];
    for (const file of sources) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(text).not.toMatch(/amazonaws\.com|127\.0\.0\.1|localhost|chat-table|chat-bus/);
    }
  });
});

describe('samconfig.toml', () => {
  it('keeps the sam init defaults', () => {
    const text = readFileSync(join(ROOT, 'samconfig.toml'), 'utf8');
    for (const line of [
      '[default.global.parameters]',
      'stack_name = ',
      'cached = true',
      'parallel = true',
      'capabilities = "CAPABILITY_IAM"',
      'confirm_changeset = true',
      'resolve_s3 = true',
    ]) {
      expect(text).toContain(line);
    }
  });
});
