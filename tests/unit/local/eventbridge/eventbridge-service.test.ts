import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeEventBusCommand,
  EventBridgeClient,
  EventBridgeServiceException,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  ResourceNotFoundException,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  type DeliveryContext,
  EventBridgeService,
  type EventBridgeServiceOptions,
  type EventSummary,
  InvalidEventPatternError,
} from '../../../../local/eventbridge';
import { SqsService } from '../../../../local/sqs';
import type { QueueModel, RuleModel, RuleTargetModel, StackModel } from '../../../../local/template/types';
import type { SegmentDocument } from '../../../../local/xray';

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const CHAT_BUS_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/chat`;
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

const queue = (name: string): QueueModel => ({
  logicalId: name,
  queueName: name,
  arn: queueArn(name),
  url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
  messageRetentionSeconds: 345_600,
  visibilityTimeoutSeconds: 30,
  fifo: false,
});

const lambdaTarget = (id: string, fn: string, extra: Partial<RuleTargetModel> = {}): RuleTargetModel => ({
  id,
  arn: functionArn(fn),
  functionLogicalId: fn,
  retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 },
  ...extra,
});

const rule = (
  name: string,
  pattern: Record<string, unknown>,
  targets: RuleTargetModel[],
  extra: Partial<RuleModel> = {},
) => ({
  logicalId: name,
  name,
  eventBusName: 'chat',
  state: 'ENABLED' as const,
  eventPattern: pattern,
  targets,
  ...extra,
});

type Model = Pick<StackModel, 'region' | 'accountId' | 'eventBuses' | 'rules'>;

const baseModel = (rules: RuleModel[]): Model => ({
  region: REGION,
  accountId: ACCOUNT,
  eventBuses: [
    { name: 'default', arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` },
    { logicalId: 'ChatBus', name: 'chat', arn: CHAT_BUS_ARN },
  ],
  rules,
});

interface Invocation {
  functionLogicalId: string;
  event: unknown;
  context: DeliveryContext;
}

interface Harness {
  eventBridge: EventBridgeService;
  sqs: SqsService;
  events: EventBridgeClient;
  queues: SQSClient;
  endpoint: string;
  invocations: Invocation[];
  summaries: EventSummary[];
  warnings: string[];
  /** Decides what invokeFunction does on each call; throw to refuse the invoke. */
  onInvoke: (invocation: Invocation) => void;
  close(): Promise<void>;
}

async function start(rules: RuleModel[], options: Partial<EventBridgeServiceOptions> = {}): Promise<Harness> {
  const sqs = new SqsService({ queues: [queue('rule-dlq'), queue('audit')] });
  const h = {
    invocations: [] as Invocation[],
    summaries: [] as EventSummary[],
    warnings: [] as string[],
    onInvoke: (_invocation: Invocation) => {},
  } as Harness;
  const eventBridge = new EventBridgeService({
    model: baseModel(rules),
    invokeFunction: (functionLogicalId, event, context) => {
      const invocation = { functionLogicalId, event, context };
      h.invocations.push(invocation);
      h.onInvoke(invocation);
    },
    sendToQueue: (arn, body, attributes) => sqs.send(arn, body, attributes),
    onEvent: (summary) => h.summaries.push(summary),
    onWarning: (message) => h.warnings.push(message),
    retryDelaysMs: [1, 2, 4],
    ...options,
  });
  // Routed by X-Amz-Target, as the local stack's AWS endpoint does.
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target'] ?? '');
      void (target.startsWith('AmazonSQS.') ? sqs : eventBridge).handleRequest(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientConfig = {
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
  Object.assign(h, {
    eventBridge,
    sqs,
    endpoint,
    events: new EventBridgeClient(clientConfig),
    queues: new SQSClient(clientConfig),
    async close() {
      eventBridge.close();
      sqs.close();
      h.events.destroy();
      h.queues.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return h;
}

const entry = (
  detail: Record<string, unknown>,
  extra: Partial<PutEventsRequestEntry> = {},
): PutEventsRequestEntry => ({
  Source: 'chat.api',
  DetailType: 'MessagePosted',
  Detail: JSON.stringify(detail),
  EventBusName: 'chat',
  ...extra,
});

async function receiveAll(h: Harness, queueName: string): Promise<Message[]> {
  const result = await h.queues.send(
    new ReceiveMessageCommand({
      QueueUrl: `${h.endpoint}/${ACCOUNT}/${queueName}`,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
    }),
  );
  return result.Messages ?? [];
}

describe('EventBridgeService PutEvents over the real @aws-sdk/client-eventbridge', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('accepts entries, returns an EventId for each and delivers the envelope to the matching rule', async () => {
    h = await start([rule('broadcast', { source: ['chat.api'] }, [lambdaTarget('t1', 'Broadcaster')])]);

    const response = await h.events.send(
      new PutEventsCommand({
        Entries: [
          entry({ text: 'hi' }, { Resources: ['arn:aws:x'], Time: new Date('2024-01-02T03:04:05Z') }),
        ],
      }),
    );
    await h.eventBridge.drain();

    expect(response.FailedEntryCount).toBe(0);
    const eventId = response.Entries?.[0]?.EventId;
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(h.invocations).toHaveLength(1);
    expect(h.invocations[0]?.functionLogicalId).toBe('Broadcaster');
    expect(h.invocations[0]?.event).toEqual({
      version: '0',
      id: eventId,
      'detail-type': 'MessagePosted',
      source: 'chat.api',
      account: ACCOUNT,
      time: '2024-01-02T03:04:05Z',
      region: REGION,
      resources: ['arn:aws:x'],
      detail: { text: 'hi' },
    });
    expect(h.invocations[0]?.context).toMatchObject({
      label: 'rule/broadcast',
      ruleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/chat/broadcast`,
      eventId,
    });
    expect(h.summaries).toEqual([
      expect.objectContaining({ eventId, eventBusName: 'chat', matchedRules: ['broadcast'] }),
    ]);
  });

  it('reports per-entry failures in request order and accepts the valid ones', async () => {
    h = await start([rule('all', { source: ['chat.api'] }, [lambdaTarget('t1', 'Fn')])]);

    const response = await h.events.send(
      new PutEventsCommand({
        Entries: [
          entry({ n: 1 }),
          { DetailType: 'X', Detail: '{}', EventBusName: 'chat' },
          { Source: 'chat.api', Detail: '{}', EventBusName: 'chat' },
          { Source: 'chat.api', DetailType: 'X', EventBusName: 'chat' },
          { Source: 'chat.api', DetailType: 'X', Detail: '{not json', EventBusName: 'chat' },
          { Source: 'chat.api', DetailType: 'X', Detail: '[1,2]', EventBusName: 'chat' },
          entry({ n: 2 }),
        ],
      }),
    );
    await h.eventBridge.drain();

    expect(response.FailedEntryCount).toBe(5);
    expect(response.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      'ok',
    ]);
    expect(response.Entries?.[1]?.ErrorMessage).toBe(
      'Parameter Source is not valid. Reason: Source is a required argument.',
    );
    expect(response.Entries?.[3]?.ErrorMessage).toBe(
      'Parameter Detail is not valid. Reason: Detail is a required argument.',
    );
    expect(response.Entries?.[4]?.ErrorMessage).toBe('Detail is malformed.');
    expect(h.invocations.map((i) => (i.event as { detail: unknown }).detail)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(h.eventBridge.stats()).toMatchObject({
      putEventsCalls: 1,
      entries: 7,
      failedEntries: 5,
      matched: 2,
    });
  });

  it('rejects a call with 11 entries as a ValidationException', async () => {
    h = await start([]);
    const entries = Array.from({ length: 11 }, (_, i) => entry({ i }));
    const error = await h.events.send(new PutEventsCommand({ Entries: entries })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventBridgeServiceException);
    expect(error).toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    expect((error as Error).message).toContain('less than or equal to 10');
  });

  it('rejects a request whose entries add up to more than 1 MB', async () => {
    h = await start([]);
    const half = 'x'.repeat(530_000);
    const error = await h.events
      .send(new PutEventsCommand({ Entries: [entry({ a: half }), entry({ b: half })] }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ValidationException' });
    expect((error as Error).message).toBe('Total size of the entries in the request is over the limit.');

    const fits = await h.events.send(new PutEventsCommand({ Entries: [entry({ a: half })] }));
    expect(fits.FailedEntryCount).toBe(0);
  });

  it('routes only to ENABLED rules on the named bus whose pattern matches, by bus name or ARN', async () => {
    h = await start([
      rule('public', { source: ['chat.api'], detail: { kind: ['public'] } }, [lambdaTarget('t', 'Public')]),
      rule('disabled', { source: ['chat.api'] }, [lambdaTarget('t', 'Disabled')], { state: 'DISABLED' }),
      rule('on-default', { source: ['chat.api'] }, [lambdaTarget('t', 'OnDefault')], {
        eventBusName: 'default',
      }),
    ]);

    await h.events.send(
      new PutEventsCommand({
        Entries: [
          entry({ kind: 'public' }),
          entry({ kind: 'private' }),
          entry({ kind: 'public' }, { EventBusName: CHAT_BUS_ARN }),
        ],
      }),
    );
    await h.eventBridge.drain();

    expect(h.invocations.map((i) => i.functionLogicalId)).toEqual(['Public', 'Public']);
    expect(h.summaries.map((s) => s.matchedRules)).toEqual([['public'], [], ['public']]);
  });

  it('accepts an event for a bus that does not exist and drops it, as AWS does', async () => {
    h = await start([rule('any', { source: ['chat.api'] }, [lambdaTarget('t', 'Fn')])]);
    const response = await h.events.send(
      new PutEventsCommand({ Entries: [entry({}, { EventBusName: 'nope' })] }),
    );
    await h.eventBridge.drain();
    expect(response.FailedEntryCount).toBe(0);
    expect(response.Entries?.[0]?.EventId).toBeDefined();
    expect(h.invocations).toHaveLength(0);
    expect(h.eventBridge.stats().unknownBusEntries).toBe(1);
    expect(h.warnings.join('\n')).toContain('"nope"');
  });

  it('never delivers inside the PutEvents call itself, and continues an entry TraceHeader through a hop segment', async () => {
    const segments: SegmentDocument[] = [];
    h = await start([rule('any', { source: ['chat.api'] }, [lambdaTarget('t', 'Fn')])], {
      onSegment: (segment) => segments.push(segment),
    });
    const traceHeader = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const response = h.eventBridge.putEvents([entry({}, { TraceHeader: traceHeader })]);
    expect(response.FailedEntryCount).toBe(0);
    expect(h.invocations).toHaveLength(0);
    await h.eventBridge.drain();
    expect(h.invocations).toHaveLength(1);
    // The target continues the trace under the bus's own segment, which the caller's encloses.
    const [hop] = segments;
    expect(segments).toHaveLength(1);
    expect(hop).toMatchObject({
      trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      parent_id: '53995c3f42cd8ad8',
      origin: 'AWS::Events',
      aws: { rule: 'any', target: 't', detail_type: 'MessagePosted' },
    });
    expect(h.invocations[0]?.context.traceHeader).toBe(
      `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=${hop?.id};Sampled=1`,
    );
  });

  it('takes the trace from the X-Amzn-Trace-Id the SDK sends inside a traced Lambda invocation', async () => {
    const segments: SegmentDocument[] = [];
    h = await start([rule('any', { source: ['chat.api'] }, [lambdaTarget('t', 'Fn')])], {
      onSegment: (segment) => segments.push(segment),
    });
    // The SDK's recursion-detection middleware copies _X_AMZN_TRACE_ID into the request header.
    const saved = { name: process.env.AWS_LAMBDA_FUNCTION_NAME, trace: process.env._X_AMZN_TRACE_ID };
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'caller';
    process.env._X_AMZN_TRACE_ID =
      'Root=1-6b0cdddc-65e3aa4ed5dccc003af61954;Parent=ffbc1bfdfb981237;Sampled=1';
    try {
      await h.events.send(new PutEventsCommand({ Entries: [entry({})] }));
    } finally {
      restoreEnv('AWS_LAMBDA_FUNCTION_NAME', saved.name);
      restoreEnv('_X_AMZN_TRACE_ID', saved.trace);
    }
    await h.eventBridge.drain();
    expect(segments[0]).toMatchObject({
      trace_id: '1-6b0cdddc-65e3aa4ed5dccc003af61954',
      parent_id: 'ffbc1bfdfb981237',
    });
    expect(h.invocations[0]?.context.traceHeader).toBe(
      `Root=1-6b0cdddc-65e3aa4ed5dccc003af61954;Parent=${segments[0]?.id};Sampled=1`,
    );
  });

  it('lets an entry TraceHeader win over the request header, and starts a trace for an untraced event', async () => {
    const segments: SegmentDocument[] = [];
    h = await start([rule('any', { source: ['chat.api'] }, [lambdaTarget('t', 'Fn')])], {
      onSegment: (segment) => segments.push(segment),
    });
    const entryHeader = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const requestHeader = 'Root=1-6b0cdddc-65e3aa4ed5dccc003af61954;Parent=ffbc1bfdfb981237;Sampled=1';
    h.eventBridge.putEvents([entry({}, { TraceHeader: entryHeader }), entry({})], requestHeader);
    h.eventBridge.putEvents([entry({})]);
    await h.eventBridge.drain();
    expect(segments.map((s) => s.trace_id)).toEqual([
      '1-5759e988-bd862e3fe1be46a994272793',
      '1-6b0cdddc-65e3aa4ed5dccc003af61954',
      expect.stringMatching(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/),
    ]);
    expect(segments[2]?.parent_id).toBeUndefined();
    expect(new Set(segments.map((s) => s.trace_id)).size).toBe(3);
  });

  it('replaces the event with the constant Input, or selects part of it with InputPath', async () => {
    h = await start([
      rule('constant', { source: ['chat.api'] }, [
        lambdaTarget('t', 'Constant', { input: '{"fixed":true}' }),
      ]),
      rule('path', { source: ['chat.api'] }, [lambdaTarget('t', 'Path', { inputPath: '$.detail' })]),
      rule('deep', { source: ['chat.api'] }, [
        lambdaTarget('t', 'Deep', { inputPath: '$.detail.message.text' }),
      ]),
    ]);
    await h.events.send(new PutEventsCommand({ Entries: [entry({ message: { text: 'hello' } })] }));
    await h.eventBridge.drain();

    const byFunction = Object.fromEntries(h.invocations.map((i) => [i.functionLogicalId, i.event]));
    expect(byFunction).toEqual({
      Constant: { fixed: true },
      Path: { message: { text: 'hello' } },
      Deep: 'hello',
    });
  });

  it('delivers to an SQS target as the event JSON', async () => {
    h = await start([
      rule('audit', { source: ['chat.api'] }, [
        {
          ...lambdaTarget('q', 'x'),
          functionLogicalId: undefined,
          arn: queueArn('audit'),
          queueLogicalId: 'audit',
        },
      ]),
    ]);
    const response = await h.events.send(new PutEventsCommand({ Entries: [entry({ n: 1 })] }));
    await h.eventBridge.drain();

    const messages = await receiveAll(h, 'audit');
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]?.Body as string)).toMatchObject({
      id: response.Entries?.[0]?.EventId,
      detail: { n: 1 },
    });
  });
});

describe('EventBridgeService target retries and dead-letter queue', () => {
  let h: Harness;
  afterEach(() => h.close());

  const throttled = () => {
    const error = new Error('Rate exceeded');
    error.name = 'TooManyRequestsException';
    throw error;
  };

  it('retries a refused invoke, then sends the event to the DLQ with the AWS attributes', async () => {
    h = await start([
      rule('broadcast', { source: ['chat.api'] }, [
        lambdaTarget('t1', 'Broadcaster', {
          retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 86_400 },
          deadLetterArn: queueArn('rule-dlq'),
        }),
      ]),
    ]);
    h.onInvoke = throttled;

    const response = await h.events.send(new PutEventsCommand({ Entries: [entry({ text: 'lost' })] }));
    await h.eventBridge.drain();

    expect(h.invocations).toHaveLength(3); // the first attempt and two retries
    const messages = await receiveAll(h, 'rule-dlq');
    expect(messages).toHaveLength(1);
    const event = JSON.parse(messages[0]?.Body as string);
    expect(event).toMatchObject({ id: response.Entries?.[0]?.EventId, detail: { text: 'lost' } });
    const attributes = Object.fromEntries(
      Object.entries(messages[0]?.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]),
    );
    expect(attributes).toEqual({
      RULE_ARN: `arn:aws:events:${REGION}:${ACCOUNT}:rule/chat/broadcast`,
      TARGET_ARN: functionArn('Broadcaster'),
      ERROR_CODE: 'TooManyRequestsException',
      ERROR_MESSAGE: 'Rate exceeded',
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '2',
    });
    expect(h.eventBridge.stats()).toMatchObject({ retries: 2, deadLettered: 1, deliveries: 0 });
  });

  it('delivers once when a retry succeeds', async () => {
    h = await start([
      rule('r', { source: ['chat.api'] }, [lambdaTarget('t', 'Fn', { deadLetterArn: queueArn('rule-dlq') })]),
    ]);
    let calls = 0;
    h.onInvoke = () => {
      calls++;
      if (calls === 1) throttled();
    };
    await h.events.send(new PutEventsCommand({ Entries: [entry({})] }));
    await h.eventBridge.drain();

    expect(h.invocations).toHaveLength(2);
    expect(h.eventBridge.stats()).toMatchObject({ retries: 1, deliveries: 1, deadLettered: 0 });
    expect(await receiveAll(h, 'rule-dlq')).toHaveLength(0);
  });

  it('gives up when the next retry would exceed MaximumEventAgeInSeconds', async () => {
    h = await start(
      [
        rule('r', { source: ['chat.api'] }, [
          lambdaTarget('t', 'Fn', {
            retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 60 },
            deadLetterArn: queueArn('rule-dlq'),
          }),
        ]),
      ],
      // 60 s of event age is 60 ms locally; the first retry would come after 1000 ms.
      { eventAgeScale: 0.001, retryDelaysMs: [1000] },
    );
    h.onInvoke = throttled;
    await h.events.send(new PutEventsCommand({ Entries: [entry({})] }));
    await h.eventBridge.drain();

    const [message] = await receiveAll(h, 'rule-dlq');
    expect(message?.MessageAttributes?.EXHAUSTED_RETRY_CONDITION?.StringValue).toBe(
      'MaximumEventAgeInSeconds',
    );
    expect(message?.MessageAttributes?.RETRY_ATTEMPTS?.StringValue).toBe('0');
  });

  it('sends a non-retryable failure (missing function) to the DLQ without retrying', async () => {
    h = await start([
      rule('r', { source: ['chat.api'] }, [
        lambdaTarget('t', 'Gone', { deadLetterArn: queueArn('rule-dlq') }),
      ]),
    ]);
    h.onInvoke = () => {
      const error = new Error('Function not found: Gone');
      error.name = 'ResourceNotFoundException';
      throw error;
    };
    await h.events.send(new PutEventsCommand({ Entries: [entry({})] }));
    await h.eventBridge.drain();

    expect(h.invocations).toHaveLength(1);
    const [message] = await receiveAll(h, 'rule-dlq');
    expect(message?.MessageAttributes?.ERROR_CODE?.StringValue).toBe('ResourceNotFoundException');
    expect(message?.MessageAttributes?.EXHAUSTED_RETRY_CONDITION).toBeUndefined();
  });

  it('drops the event with a warning when there is no DLQ', async () => {
    h = await start([
      rule('r', { source: ['chat.api'] }, [
        lambdaTarget('t', 'Fn', { retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 } }),
      ]),
    ]);
    h.onInvoke = throttled;
    await h.events.send(new PutEventsCommand({ Entries: [entry({})] }));
    await h.eventBridge.drain();

    expect(h.invocations).toHaveLength(1);
    expect(h.eventBridge.stats().dropped).toBe(1);
    expect(h.warnings.join('\n')).toMatch(/dropped after 0 retries: TooManyRequestsException/);
  });
});

describe('EventBridgeService read-only operations', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start([
      rule('broadcast', { source: ['chat.api'] }, [
        lambdaTarget('t1', 'Broadcaster', {
          inputPath: '$.detail',
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeSeconds: 600 },
          deadLetterArn: queueArn('rule-dlq'),
        }),
      ]),
    ]);
  });
  afterEach(() => h.close());

  it('describes buses and raises ResourceNotFoundException for an unknown one', async () => {
    expect(await h.events.send(new DescribeEventBusCommand({ Name: 'chat' }))).toMatchObject({
      Name: 'chat',
      Arn: CHAT_BUS_ARN,
    });
    await expect(h.events.send(new DescribeEventBusCommand({ Name: 'nope' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('lists rules and their targets', async () => {
    const rules = await h.events.send(new ListRulesCommand({ EventBusName: 'chat' }));
    expect(rules.Rules?.map((r) => [r.Name, r.State, JSON.parse(r.EventPattern as string)])).toEqual([
      ['broadcast', 'ENABLED', { source: ['chat.api'] }],
    ]);
    const targets = await h.events.send(
      new ListTargetsByRuleCommand({ Rule: 'broadcast', EventBusName: 'chat' }),
    );
    expect(targets.Targets).toEqual([
      {
        Id: 't1',
        Arn: functionArn('Broadcaster'),
        InputPath: '$.detail',
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 },
        DeadLetterConfig: { Arn: queueArn('rule-dlq') },
      },
    ]);
  });

  it('tests an event pattern like TestEventPattern', async () => {
    const event = JSON.stringify({ source: 'chat.api', detail: { n: 5 } });
    const yes = await h.events.send(
      new TestEventPatternCommand({ EventPattern: '{"detail":{"n":[{"numeric":[">",1]}]}}', Event: event }),
    );
    expect(yes.Result).toBe(true);
    const no = await h.events.send(
      new TestEventPatternCommand({ EventPattern: '{"source":["other"]}', Event: event }),
    );
    expect(no.Result).toBe(false);
    await expect(
      h.events.send(new TestEventPatternCommand({ EventPattern: '{"source":"chat.api"}', Event: event })),
    ).rejects.toMatchObject({ name: 'InvalidEventPatternException' });
  });

  it('answers other operations with UnknownOperationException', async () => {
    await expect(h.events.send(new PutRuleCommand({ Name: 'x', EventPattern: '{}' }))).rejects.toMatchObject({
      name: 'UnknownOperationException',
      $metadata: { httpStatusCode: 400 },
    });
  });
});

describe('EventBridgeService construction', () => {
  it('refuses a rule whose pattern PutRule would reject, naming the rule', () => {
    expect(
      () =>
        new EventBridgeService({
          model: baseModel([rule('Broken', { source: 'chat.api' }, [])]),
          invokeFunction: () => {},
          sendToQueue: async () => {},
        }),
    ).toThrow(InvalidEventPatternError);
  });
});
