import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
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

/** The config schema a handler loads, found in its source: `loadConfig(<schema>)`. */
const schemaKeysOf = (entryPoint: string): string[] => {
  const source = readFileSync(join(ROOT, entryPoint), 'utf8');
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

describe('template.yaml', () => {
  it('has the two functions', () => {
    expect(functions.map(([id]) => id).sort()).toEqual(['BroadcasterFunction', 'ChatApiFunction']);
  });

  describe.each(functions)('%s', (id, fn) => {
    it('builds with esbuild to an ESM .mjs bundle with sourcemaps and the createRequire banner', () => {
      expect(fn.Metadata?.BuildMethod).toBe('esbuild');
      expect(fn.Metadata?.BuildProperties).toMatchObject({
        Format: 'esm',
        OutExtension: ['.js=.mjs'],
        Target: 'es2022',
        Sourcemap: true,
        Minify: true,
        Banner: ["js=import { createRequire } from 'module';const require = createRequire(import.meta.url);"],
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
        expect(actions.every((action) => !action.endsWith(':*') && action !== '*')).toBe(true);
        for (const resourceRef of asList<Node>(statement.Resource)) {
          expect(resourceRef).not.toBe('*');
          expect(typeof resourceRef).toBe('object'); // a Ref / GetAtt / Sub of this stack, never a literal
        }
      }
      expect(fn.Properties?.Policies).not.toContainEqual(expect.stringMatching(/FullAccess/));
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
