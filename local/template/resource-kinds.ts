import type { Resource, StackContext } from './context';
import { apiGatewayId, physicalName, shortId, token } from './names';
import type { TemplateValue } from './parse-template';

type Rule<T> = (ctx: StackContext, id: string, res: Resource) => T;

/**
 * What CloudFormation knows of one resource type: how it is named when the template gives no
 * name, its ARN, what `Ref` and `Fn::GetAtt` return, and whether the local stack runs it.
 */
export interface ResourceKind {
  /** The property that names the resource; without it the name is generated. */
  nameProperty?: string;
  /** A generated name (default: `{stack}-{LogicalId}-{SUFFIX}` of at most `maxNameLength`). */
  generatedName?: Rule<string>;
  maxNameLength?: number;
  arn?: (ctx: StackContext, id: string, name: string, res: Resource) => string;
  /** What `Ref` returns (default: the physical name). */
  ref?: Rule<TemplateValue>;
  /** `Fn::GetAtt` attributes beyond `Name` and `...Arn`, which every kind answers. */
  attributes?: Record<string, Rule<TemplateValue>>;
  /** True when a model extractor turns it into something local; else why it is fine to skip. */
  emulated?: true;
  notEmulated?: string;
}

/** `arn:aws:{service}:{region}:{account}:{prefix}{name}`, the shape of most regional resources. */
const arn =
  (service: string, prefix: string): ResourceKind['arn'] =>
  (ctx, _id, name) =>
    `arn:aws:${service}:${ctx.region}:${ctx.accountId}:${prefix}${name}`;

const apiId = (ctx: StackContext, id: string): string => apiGatewayId(ctx.stackName, id);

const lambdaFunction: ResourceKind = {
  nameProperty: 'FunctionName',
  arn: arn('lambda', 'function:'),
  emulated: true,
};
const table: ResourceKind = {
  nameProperty: 'TableName',
  maxNameLength: 255,
  arn: arn('dynamodb', 'table/'),
  attributes: { StreamArn: (ctx, id) => `${ctx.arnOf(id)}/stream/1970-01-01T00:00:00.000` },
  emulated: true,
};
const webSocketApi: ResourceKind = {
  nameProperty: 'Name',
  generatedName: (ctx, id) => `${ctx.stackName}-${id}`,
  arn: (ctx, id) => `arn:aws:apigateway:${ctx.region}::/apis/${apiId(ctx, id)}`,
  ref: (ctx, id) => apiId(ctx, id),
  attributes: {
    ApiEndpoint: (ctx, id) => `wss://${apiId(ctx, id)}.execute-api.${ctx.region}.amazonaws.com`,
    ApiId: (ctx, id) => apiId(ctx, id),
  },
  emulated: true,
};
/** Routes, integrations and the like: `Ref` gives API Gateway's short id. */
const apiChild = (how: Pick<ResourceKind, 'emulated' | 'notEmulated'>): ResourceKind => ({
  ref: (ctx, id) => shortId(ctx.stackName, id),
  ...how,
});
const notEmulated = (reason: string, kind: ResourceKind = {}): ResourceKind => ({
  ...kind,
  notEmulated: reason,
});
const NO_POLICIES = 'policies are not enforced locally';
const NO_CUSTOM_DOMAINS = 'custom domains are not emulated';
const NOTHING_TO_WAIT_FOR = 'nothing to wait for locally';

/** The resource kinds the local stack knows, by CloudFormation type. */
export const RESOURCE_KINDS: Readonly<Record<string, ResourceKind>> = {
  'AWS::Serverless::Function': lambdaFunction,
  'AWS::Lambda::Function': lambdaFunction,
  'AWS::DynamoDB::Table': table,
  'AWS::Serverless::SimpleTable': table,
  'AWS::Serverless::WebSocketApi': webSocketApi,
  'AWS::ApiGatewayV2::Api': webSocketApi,
  'AWS::ApiGatewayV2::Route': apiChild({ emulated: true }),
  'AWS::ApiGatewayV2::Integration': apiChild({ emulated: true }),
  'AWS::ApiGatewayV2::RouteResponse': apiChild({ emulated: true }),
  'AWS::ApiGatewayV2::Deployment': apiChild({
    notEmulated: 'routes are live as soon as the stack starts',
  }),
  'AWS::ApiGatewayV2::IntegrationResponse': apiChild({
    notEmulated: 'integration responses are not emulated',
  }),
  'AWS::ApiGatewayV2::Authorizer': apiChild({
    notEmulated: 'authorizers are not emulated: every connection is allowed',
  }),
  'AWS::ApiGatewayV2::Model': apiChild({ notEmulated: 'request models are not validated locally' }),
  'AWS::ApiGatewayV2::ApiMapping': apiChild({ notEmulated: NO_CUSTOM_DOMAINS }),
  'AWS::ApiGatewayV2::Stage': {
    nameProperty: 'StageName',
    generatedName: (_ctx, id) => id,
    emulated: true,
  },
  'AWS::ApiGatewayV2::DomainName': notEmulated(NO_CUSTOM_DOMAINS),
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    generatedName: (ctx, id, res) => {
      const fifo = String(ctx.resolver.value(res.Properties.FifoQueue ?? false)) === 'true';
      return `${physicalName(ctx.stackName, id, fifo ? 75 : 80)}${fifo ? '.fifo' : ''}`;
    },
    arn: arn('sqs', ''),
    ref: (ctx, id) => queueUrl(ctx, ctx.nameOf(id)),
    attributes: {
      QueueName: (ctx, id) => ctx.nameOf(id),
      QueueUrl: (ctx, id) => queueUrl(ctx, ctx.nameOf(id)),
    },
    emulated: true,
  },
  'AWS::SQS::QueuePolicy': notEmulated('queue policies are not enforced locally'),
  'AWS::Events::EventBus': {
    nameProperty: 'Name',
    maxNameLength: 256,
    arn: arn('events', 'event-bus/'),
    emulated: true,
  },
  'AWS::Events::Rule': {
    nameProperty: 'Name',
    arn: (ctx, _id, name, res) => {
      const bus = busNameOf(ctx, res.Properties.EventBusName);
      return `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`;
    },
    emulated: true,
  },
  'AWS::Events::Archive': notEmulated('archives are not emulated'),
  'AWS::Lambda::EventInvokeConfig': { emulated: true },
  // Ref gives the mapping's UUID; the local one is stable per logical id.
  'AWS::Lambda::EventSourceMapping': {
    ref: (ctx, id) => uuidOf(ctx, id),
    attributes: { Id: (ctx, id) => uuidOf(ctx, id) },
    arn: (ctx, id) => `arn:aws:lambda:${ctx.region}:${ctx.accountId}:event-source-mapping:${uuidOf(ctx, id)}`,
    emulated: true,
  },
  'AWS::Lambda::Permission': notEmulated('resource policies are not enforced locally'),
  'AWS::Lambda::Version': notEmulated('versions are not emulated: $LATEST runs', {
    ref: (ctx, _id, res) => `${functionArnFrom(ctx, res.Properties.FunctionName)}:1`,
  }),
  'AWS::Lambda::Alias': notEmulated('aliases are not emulated: $LATEST runs', {
    ref: (ctx, _id, res) =>
      `${functionArnFrom(ctx, res.Properties.FunctionName)}:${ctx.resolver.string(res.Properties.Name ?? 'live')}`,
  }),
  'AWS::IAM::Role': notEmulated(NO_POLICIES, {
    nameProperty: 'RoleName',
    arn: (ctx, _id, name) => `arn:aws:iam::${ctx.accountId}:role/${name}`,
    attributes: { RoleId: (_ctx, id) => `AROA${token(id, 17).toUpperCase()}` },
  }),
  'AWS::IAM::Policy': notEmulated(NO_POLICIES),
  'AWS::IAM::ManagedPolicy': notEmulated(NO_POLICIES, {
    nameProperty: 'ManagedPolicyName',
    maxNameLength: 128,
    arn: (ctx, _id, name) => `arn:aws:iam::${ctx.accountId}:policy/${name}`,
    ref: (ctx, id) => ctx.arnOf(id),
  }),
  'AWS::Logs::LogGroup': notEmulated('function logs go to the local console', {
    nameProperty: 'LogGroupName',
    maxNameLength: 512,
    arn: (ctx, _id, name) => `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${name}:*`,
  }),
  'AWS::SNS::Topic': {
    nameProperty: 'TopicName',
    maxNameLength: 256,
    arn: arn('sns', ''),
    ref: (ctx, id) => ctx.arnOf(id),
    attributes: { TopicArn: (ctx, id) => ctx.arnOf(id), TopicName: (ctx, id) => ctx.nameOf(id) },
  },
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    generatedName: (ctx, id) => physicalName(ctx.stackName, id, 63).toLowerCase(),
    arn: (_ctx, _id, name) => `arn:aws:s3:::${name}`,
  },
  'AWS::ApiGateway::Account': notEmulated('not needed locally (no CloudWatch logging role)'),
  'AWS::CloudWatch::Alarm': notEmulated('alarms are not emulated'),
  'AWS::CloudWatch::Dashboard': notEmulated('dashboards are not emulated'),
  'AWS::CloudFormation::WaitConditionHandle': notEmulated(NOTHING_TO_WAIT_FOR),
  'AWS::CloudFormation::WaitCondition': notEmulated(NOTHING_TO_WAIT_FOR),
};

function uuidOf(ctx: StackContext, id: string): string {
  const h = token(`${ctx.stackName}/${id}/esm`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const kindOf = (res: Resource | undefined): ResourceKind => RESOURCE_KINDS[res?.Type ?? ''] ?? {};

/** The physical name rule of a resource (the caller caches it and guards against cycles). */
export function physicalNameOf(ctx: StackContext, id: string, res: Resource): string {
  const kind = kindOf(res);
  const own = kind.nameProperty ? res.Properties[kind.nameProperty] : undefined;
  if (own !== undefined) return ctx.resolver.string(own, ctx.pos(res.Properties));
  return kind.generatedName?.(ctx, id, res) ?? physicalName(ctx.stackName, id, kind.maxNameLength ?? 64);
}

export function arnOf(ctx: StackContext, id: string): string {
  const res = ctx.resources.get(id);
  const name = ctx.nameOf(id);
  const rule = kindOf(res).arn;
  if (res && rule) return rule(ctx, id, name, res);
  const [, service = 'unknown', type = 'resource'] = (res?.Type ?? '').split('::');
  return `arn:aws:${service.toLowerCase()}:${ctx.region}:${ctx.accountId}:${type.toLowerCase()}/${name}`;
}

export function refOf(ctx: StackContext, id: string): TemplateValue {
  const res = ctx.resources.get(id);
  const rule = kindOf(res).ref;
  return res && rule ? rule(ctx, id, res) : ctx.nameOf(id);
}

export function attributeOf(ctx: StackContext, id: string, attr: string): TemplateValue {
  const res = ctx.resources.get(id);
  const rule = kindOf(res).attributes?.[attr];
  if (res && rule) return rule(ctx, id, res);
  const name = ctx.nameOf(id);
  if (attr === 'Name') return name;
  if (attr.endsWith('Arn')) return ctx.arnOf(id);
  // Attributes of resources that do not run locally: a plausible, stable string.
  return `${name}-${attr.replace(/\W/g, '').toLowerCase()}`;
}

/** One warning per type of the resources no model extractor reads. */
export function warnUnemulated(ctx: StackContext): void {
  const byType = new Map<string, string[]>();
  for (const [id, res] of ctx.resources) {
    if (res.implicit || kindOf(res).emulated) continue;
    byType.set(res.Type, [...(byType.get(res.Type) ?? []), id]);
  }
  for (const [type, ids] of byType) {
    ctx.warn(
      `${ids.join(', ')} (${type}): ${kindOf(ctx.resources.get(ids[0] ?? '')).notEmulated ?? 'not emulated locally, ignored'}`,
    );
  }
}

/** An event bus name from a name or an ARN (`default` when absent). */
export function busNameOf(ctx: StackContext, value: TemplateValue | undefined): string {
  if (value === undefined || value === null) return 'default';
  const s = ctx.resolver.string(value, ctx.pos(value));
  const i = s.indexOf(':event-bus/');
  return i >= 0 ? s.slice(i + ':event-bus/'.length) : s || 'default';
}

export function queueUrl(ctx: Pick<StackContext, 'region' | 'accountId'>, name: string): string {
  return `https://sqs.${ctx.region}.amazonaws.com/${ctx.accountId}/${name}`;
}

/** A function ARN from a name or an ARN. */
export function functionArnFrom(ctx: StackContext, value: TemplateValue | undefined): string {
  const s = value === undefined ? '' : ctx.resolver.string(value, ctx.pos(value));
  return s.startsWith('arn:') ? s : `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${s}`;
}
