import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AttributeDefinition, CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { TemplateError } from './errors';
import { GLOBALS_SECTIONS, mergeGlobals } from './globals';
import { asString, NO_VALUE, Resolver } from './intrinsics';
import { apiGatewayId, physicalName, shortId, token } from './names';
import {
  type ParsedTemplate,
  type Position,
  parseTemplate,
  type TemplateObject,
  type TemplateValue,
} from './parse-template';
import type {
  AsyncInvokeConfig,
  EventBusModel,
  FunctionModel,
  LoadStackOptions,
  QueueModel,
  RetryPolicyModel,
  RuleModel,
  RuleTargetModel,
  StackModel,
  TableModel,
  WebSocketApiModel,
  WebSocketRouteModel,
} from './types';

const DEFAULT_REGION = 'us-east-1';
const DEFAULT_ACCOUNT = '123456789012';
const DEFAULT_STACK = 'local';

const isObject = (v: unknown): v is TemplateObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const obj = (v: unknown): TemplateObject => (isObject(v) ? v : {});
const str = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : asString(v as TemplateValue);
const num = (v: unknown, fallback: number): number => {
  const n = v === undefined || v === null || v === '' ? Number.NaN : Number(v);
  return Number.isFinite(n) ? n : fallback;
};

interface Resource {
  Type: string;
  Properties: TemplateObject;
  Metadata?: TemplateObject;
  Condition?: string;
  /** Created by the SAM transform (e.g. a function's role), not written in the template. */
  implicit?: boolean;
}

const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function']);
const TABLE_TYPES = new Set(['AWS::DynamoDB::Table', 'AWS::Serverless::SimpleTable']);
const API_TYPES = new Set(['AWS::Serverless::WebSocketApi', 'AWS::ApiGatewayV2::Api']);
const API_CHILD_TYPES = new Set([
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Deployment',
  'AWS::ApiGatewayV2::RouteResponse',
  'AWS::ApiGatewayV2::IntegrationResponse',
  'AWS::ApiGatewayV2::Authorizer',
  'AWS::ApiGatewayV2::Model',
  'AWS::ApiGatewayV2::ApiMapping',
]);

/** Resource types that have no local counterpart, with why that is fine (or not). */
const UNEMULATED: Record<string, string> = {
  'AWS::IAM::Role': 'policies are not enforced locally',
  'AWS::IAM::Policy': 'policies are not enforced locally',
  'AWS::IAM::ManagedPolicy': 'policies are not enforced locally',
  'AWS::Lambda::Permission': 'resource policies are not enforced locally',
  'AWS::Logs::LogGroup': 'function logs go to the local console',
  'AWS::ApiGateway::Account': 'not needed locally (no CloudWatch logging role)',
  'AWS::ApiGatewayV2::Deployment': 'routes are live as soon as the stack starts',
  'AWS::ApiGatewayV2::Authorizer': 'authorizers are not emulated: every connection is allowed',
  'AWS::ApiGatewayV2::Model': 'request models are not validated locally',
  'AWS::ApiGatewayV2::IntegrationResponse': 'integration responses are not emulated',
  'AWS::ApiGatewayV2::DomainName': 'custom domains are not emulated',
  'AWS::ApiGatewayV2::ApiMapping': 'custom domains are not emulated',
  'AWS::Events::Archive': 'archives are not emulated',
  'AWS::SQS::QueuePolicy': 'queue policies are not enforced locally',
  'AWS::CloudWatch::Alarm': 'alarms are not emulated',
  'AWS::CloudWatch::Dashboard': 'dashboards are not emulated',
  'AWS::Lambda::Version': 'versions are not emulated: $LATEST runs',
  'AWS::Lambda::Alias': 'aliases are not emulated: $LATEST runs',
  'AWS::CloudFormation::WaitConditionHandle': 'nothing to wait for locally',
  'AWS::CloudFormation::WaitCondition': 'nothing to wait for locally',
};

/** Loads a SAM/CloudFormation template and resolves it into a StackModel of local, AWS-shaped values. */
export async function loadStack(templatePath: string, options: LoadStackOptions = {}): Promise<StackModel> {
  const file = path.resolve(templatePath);
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') throw new TemplateError('template not found', { file });
    throw err;
  }
  return new StackBuilder(file, parseTemplate(source, file), options).build();
}

class StackBuilder {
  private readonly region: string;
  private readonly accountId: string;
  private readonly stackName: string;
  private readonly warnings: string[] = [];
  private readonly resources = new Map<string, Resource>();
  private readonly resolver: Resolver;
  private readonly parameters: Record<string, TemplateValue> = {};
  private readonly conditionValues = new Map<string, boolean>();
  private readonly conditionsInProgress = new Set<string>();
  private readonly names = new Map<string, string>();
  private readonly namesInProgress = new Set<string>();
  private readonly template: TemplateObject;

  constructor(
    private readonly file: string,
    private readonly parsed: ParsedTemplate,
    options: LoadStackOptions,
  ) {
    this.template = parsed.template;
    this.region = options.region ?? DEFAULT_REGION;
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT;
    this.stackName = options.stackName ?? DEFAULT_STACK;
    const pseudo: Record<string, TemplateValue> = {
      'AWS::Region': this.region,
      'AWS::AccountId': this.accountId,
      'AWS::StackName': this.stackName,
      'AWS::StackId': `arn:aws:cloudformation:${this.region}:${this.accountId}:stack/${this.stackName}/${uuidFrom(this.stackName)}`,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NotificationARNs': [],
    };
    this.resolver = new Resolver({
      file,
      positionOf: (v) => parsed.positionOf(v),
      pseudo,
      parameter: (name) => this.parameters[name],
      hasResource: (id) => this.resources.has(id),
      ref: (id) => this.ref(id),
      getAtt: (id, attr) => this.getAtt(id, attr),
      condition: (name, where) => this.condition(name, where),
      mappings: obj(this.template.Mappings),
      warn: (m) => this.warn(m),
    });
    this.readParameters(options.parameterOverrides ?? {});
  }

  private warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  private pos(value: unknown): Position | undefined {
    return this.parsed.positionOf(value);
  }

  private fail(message: string, at: unknown): TemplateError {
    const p = this.pos(at);
    return new TemplateError(message, { file: this.file, line: p?.line, column: p?.column });
  }

  // ---- parameters and conditions -------------------------------------------------------------

  private readParameters(overrides: Record<string, string>): void {
    const declared = obj(this.template.Parameters);
    for (const name of Object.keys(overrides)) {
      if (!(name in declared))
        this.warn(`parameter override ${name}: the template declares no such parameter`);
    }
    for (const [name, raw] of Object.entries(declared)) {
      const decl = obj(raw);
      const type = String(decl.Type ?? 'String');
      const given = overrides[name] ?? (decl.Default === undefined ? undefined : asString(decl.Default));
      if (given === undefined) {
        throw this.fail(`parameter ${name} has no Default and no override was given`, raw);
      }
      const allowed = Array.isArray(decl.AllowedValues)
        ? decl.AllowedValues.map((v) => asString(v))
        : undefined;
      if (allowed && !allowed.includes(given)) {
        throw this.fail(`parameter ${name}: "${given}" is not one of ${allowed.join(', ')}`, raw);
      }
      if (type.startsWith('AWS::SSM::Parameter::Value')) {
        this.warn(`parameter ${name}: SSM parameters are not read locally; using "${given}"`);
      }
      this.parameters[name] =
        type.startsWith('List<') || type === 'CommaDelimitedList' || type.includes('List<')
          ? given.split(',').map((s) => s.trim())
          : given;
    }
  }

  private condition(name: string, where: Position | undefined): boolean {
    const known = this.conditionValues.get(name);
    if (known !== undefined) return known;
    const defs = obj(this.template.Conditions);
    if (!(name in defs)) throw this.resolver.error(`unknown condition ${name}`, where);
    if (this.conditionsInProgress.has(name))
      throw this.resolver.error(`condition ${name} refers to itself`, where);
    this.conditionsInProgress.add(name);
    const value = this.resolver.condition(defs[name] as TemplateValue, this.pos(defs[name]) ?? where);
    this.conditionsInProgress.delete(name);
    this.conditionValues.set(name, value);
    return value;
  }

  // ---- resources, SAM globals and implicit resources --------------------------------------------

  private collectResources(): void {
    const resources = this.template.Resources;
    if (!isObject(resources))
      throw new TemplateError('the template has no Resources section', { file: this.file });
    const globals = obj(this.template.Globals);
    for (const [section, value] of Object.entries(globals)) {
      if (!Object.values(GLOBALS_SECTIONS).includes(section))
        this.warn(`Globals.${section}: unknown section, ignored`);
      else if (section === 'Function' && isObject(value)) {
        if (value.Layers)
          this.warn('Globals.Function.Layers: layers are not emulated (bundle dependencies instead)');
      }
    }
    for (const [id, raw] of Object.entries(resources)) {
      const def = obj(raw);
      if (typeof def.Type !== 'string') throw this.fail(`resource ${id} has no Type`, raw);
      if (typeof def.Condition === 'string' && !this.condition(def.Condition, this.pos(raw))) continue;
      let props = obj(def.Properties);
      const section = GLOBALS_SECTIONS[def.Type];
      const global = section ? globals[section] : undefined;
      if (isObject(global)) props = obj(mergeGlobals(global, props));
      this.resources.set(id, {
        Type: def.Type,
        Properties: props,
        Metadata: isObject(def.Metadata) ? def.Metadata : undefined,
      });
    }
    // What the SAM transform adds, so a template may Ref or GetAtt it (e.g. MyFunctionRole.Arn).
    for (const [id, res] of [...this.resources]) {
      if (res.Type !== 'AWS::Serverless::Function') continue;
      if (res.Properties.Role === undefined) this.addImplicit(`${id}Role`, 'AWS::IAM::Role');
      for (const [eventId, ev] of Object.entries(obj(res.Properties.Events))) {
        const e = obj(ev);
        if (e.Type !== 'EventBridgeRule' && e.Type !== 'CloudWatchEvent') continue;
        this.addImplicit(`${id}${eventId}`, 'AWS::Events::Rule');
        const dlq = obj(obj(e.Properties).DeadLetterConfig);
        if (dlq.Type === 'SQS')
          this.addImplicit(str(dlq.QueueLogicalId) ?? `${id}${eventId}Queue`, 'AWS::SQS::Queue');
      }
      const onFailure = obj(obj(obj(res.Properties.EventInvokeConfig).DestinationConfig).OnFailure);
      if (onFailure.Type === 'SQS' && onFailure.Destination === undefined) {
        this.addImplicit(`${id}EventInvokeConfigOnFailureQueue`, 'AWS::SQS::Queue');
      }
    }
  }

  private addImplicit(id: string, type: string): void {
    if (!this.resources.has(id)) this.resources.set(id, { Type: type, Properties: {}, implicit: true });
  }

  private ofType(types: Set<string> | string): [string, Resource][] {
    return [...this.resources].filter(([, r]) =>
      typeof types === 'string' ? r.Type === types : types.has(r.Type),
    );
  }

  /** Resolves a resource's properties; intrinsics are evaluated here, with their source lines for errors. */
  private props(id: string): TemplateObject {
    const res = this.resources.get(id);
    if (!res) return {};
    return obj(this.resolver.value(res.Properties, this.pos(res.Properties)));
  }

  // ---- physical names, Ref and GetAtt ----------------------------------------------------------

  /** The physical name of a resource: its name property when set, else a CloudFormation-style one. */
  private nameOf(id: string): string {
    const known = this.names.get(id);
    if (known) return known;
    const res = this.resources.get(id);
    if (!res) return id;
    if (this.namesInProgress.has(id))
      throw this.fail(`resource ${id}: its name refers to itself`, res.Properties);
    this.namesInProgress.add(id);
    const p = res.Properties;
    const own = (key: string): string | undefined =>
      p[key] === undefined ? undefined : this.resolver.string(p[key] as TemplateValue, this.pos(p));
    let name: string;
    switch (res.Type) {
      case 'AWS::Serverless::Function':
      case 'AWS::Lambda::Function':
        name = own('FunctionName') ?? physicalName(this.stackName, id, 64);
        break;
      case 'AWS::DynamoDB::Table':
      case 'AWS::Serverless::SimpleTable':
        name = own('TableName') ?? physicalName(this.stackName, id, 255);
        break;
      case 'AWS::SQS::Queue': {
        const fifo = String(this.resolver.value(p.FifoQueue ?? false)) === 'true';
        name =
          own('QueueName') ?? `${physicalName(this.stackName, id, fifo ? 75 : 80)}${fifo ? '.fifo' : ''}`;
        break;
      }
      case 'AWS::Events::EventBus':
        name = own('Name') ?? physicalName(this.stackName, id, 256);
        break;
      case 'AWS::Events::Rule':
        name = own('Name') ?? physicalName(this.stackName, id, 64);
        break;
      case 'AWS::IAM::Role':
        name = own('RoleName') ?? physicalName(this.stackName, id, 64);
        break;
      case 'AWS::IAM::ManagedPolicy':
        name = own('ManagedPolicyName') ?? physicalName(this.stackName, id, 128);
        break;
      case 'AWS::Logs::LogGroup':
        name = own('LogGroupName') ?? physicalName(this.stackName, id, 512);
        break;
      case 'AWS::SNS::Topic':
        name = own('TopicName') ?? physicalName(this.stackName, id, 256);
        break;
      case 'AWS::S3::Bucket':
        name = own('BucketName') ?? physicalName(this.stackName, id, 63).toLowerCase();
        break;
      case 'AWS::Serverless::WebSocketApi':
      case 'AWS::ApiGatewayV2::Api':
        name = own('Name') ?? `${this.stackName}-${id}`;
        break;
      case 'AWS::ApiGatewayV2::Stage':
        name = own('StageName') ?? id;
        break;
      default:
        name = physicalName(this.stackName, id, 64);
    }
    this.namesInProgress.delete(id);
    this.names.set(id, name);
    return name;
  }

  private arnOf(id: string): string {
    const res = this.resources.get(id);
    const name = this.nameOf(id);
    const { region: r, accountId: a } = this;
    switch (res?.Type) {
      case 'AWS::Serverless::Function':
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${r}:${a}:function:${name}`;
      case 'AWS::DynamoDB::Table':
      case 'AWS::Serverless::SimpleTable':
        return `arn:aws:dynamodb:${r}:${a}:table/${name}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${r}:${a}:${name}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${r}:${a}:event-bus/${name}`;
      case 'AWS::Events::Rule': {
        const bus = this.busNameOf(this.resources.get(id)?.Properties.EventBusName);
        return `arn:aws:events:${r}:${a}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`;
      }
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${a}:role/${name}`;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:aws:iam::${a}:policy/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${r}:${a}:log-group:${name}:*`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${r}:${a}:${name}`;
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${name}`;
      case 'AWS::Serverless::WebSocketApi':
      case 'AWS::ApiGatewayV2::Api':
        return `arn:aws:apigateway:${r}::/apis/${apiGatewayId(this.stackName, id)}`;
      default: {
        const [, service = 'unknown', kind = 'resource'] = (res?.Type ?? '').split('::');
        return `arn:aws:${service.toLowerCase()}:${r}:${a}:${kind.toLowerCase()}/${name}`;
      }
    }
  }

  private busNameOf(value: TemplateValue | undefined): string {
    if (value === undefined || value === null) return 'default';
    const s = this.resolver.string(value, this.pos(value));
    const i = s.indexOf(':event-bus/');
    return i >= 0 ? s.slice(i + ':event-bus/'.length) : s || 'default';
  }

  private queueUrl(name: string): string {
    return `https://sqs.${this.region}.amazonaws.com/${this.accountId}/${name}`;
  }

  private ref(id: string): TemplateValue {
    const res = this.resources.get(id);
    switch (res?.Type) {
      case 'AWS::SQS::Queue':
        return this.queueUrl(this.nameOf(id));
      case 'AWS::Serverless::WebSocketApi':
      case 'AWS::ApiGatewayV2::Api':
        return apiGatewayId(this.stackName, id);
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::SNS::Topic':
        return this.arnOf(id);
      case 'AWS::Lambda::Version':
      case 'AWS::Lambda::Alias':
        return `${this.functionArnFrom(res.Properties.FunctionName)}:${
          res.Type === 'AWS::Lambda::Version' ? '1' : this.resolver.string(res.Properties.Name ?? 'live')
        }`;
      default:
        if (res && API_CHILD_TYPES.has(res.Type)) return shortId(this.stackName, id);
        return this.nameOf(id);
    }
  }

  private functionArnFrom(value: TemplateValue | undefined): string {
    const s = value === undefined ? '' : this.resolver.string(value, this.pos(value));
    return s.startsWith('arn:') ? s : `arn:aws:lambda:${this.region}:${this.accountId}:function:${s}`;
  }

  private getAtt(id: string, attr: string): TemplateValue {
    const res = this.resources.get(id);
    const type = res?.Type ?? '';
    const name = this.nameOf(id);
    if (API_TYPES.has(type)) {
      const apiId = apiGatewayId(this.stackName, id);
      if (attr === 'ApiEndpoint') return `wss://${apiId}.execute-api.${this.region}.amazonaws.com`;
      if (attr === 'ApiId') return apiId;
    }
    if (TABLE_TYPES.has(type) && attr === 'StreamArn')
      return `${this.arnOf(id)}/stream/1970-01-01T00:00:00.000`;
    if (type === 'AWS::SQS::Queue') {
      if (attr === 'QueueName') return name;
      if (attr === 'QueueUrl') return this.queueUrl(name);
    }
    if (type === 'AWS::SNS::Topic') {
      if (attr === 'TopicArn') return this.arnOf(id);
      if (attr === 'TopicName') return name;
    }
    if (type === 'AWS::IAM::Role' && attr === 'RoleId') return `AROA${token(id, 17).toUpperCase()}`;
    if (attr === 'Name') return name;
    if (attr === 'Arn' || attr.endsWith('Arn')) return this.arnOf(id);
    // Attributes of resources that do not run locally: a plausible, stable string.
    return `${name}-${attr.replace(/\W/g, '').toLowerCase()}`;
  }

  // ---- the model -------------------------------------------------------------------------------

  build(): StackModel {
    this.collectResources();
    const queues = this.queues();
    const functions = this.functions();
    const functionByArn = (arn: string): FunctionModel | undefined => {
      const base = arn.split(':').slice(0, 7).join(':');
      return functions.find((f) => f.arn === base || f.functionName === arn);
    };
    this.eventInvokeConfigs(functions, functionByArn);
    const eventBuses = this.eventBuses();
    const rules = [...this.samRules(functions), ...this.cfnRules()];
    for (const rule of rules) {
      for (const t of rule.targets) {
        t.functionLogicalId = functionByArn(t.arn)?.logicalId;
        t.queueLogicalId = queues.find((q) => q.arn === t.arn)?.logicalId;
        if (!t.functionLogicalId && !t.queueLogicalId) {
          this.warn(
            `${rule.logicalId}: target ${t.id} (${t.arn}) is not a function or queue of this template`,
          );
        }
      }
      if (!eventBuses.some((b) => b.name === rule.eventBusName)) {
        this.warn(`${rule.logicalId}: event bus ${rule.eventBusName} is not defined in this template`);
      }
    }
    const model: StackModel = {
      templatePath: this.file,
      templateDir: path.dirname(this.file),
      region: this.region,
      accountId: this.accountId,
      stackName: this.stackName,
      parameters: Object.fromEntries(Object.entries(this.parameters).map(([k, v]) => [k, asString(v)])),
      functions,
      webSocketApis: this.webSocketApis(functionByArn),
      eventBuses,
      rules,
      tables: this.tables(),
      queues,
      outputs: this.outputs(),
      warnings: this.warnings,
    };
    this.warnUnemulated();
    return model;
  }

  private warnUnemulated(): void {
    const handled = new Set([
      ...FUNCTION_TYPES,
      ...TABLE_TYPES,
      ...API_TYPES,
      'AWS::ApiGatewayV2::Route',
      'AWS::ApiGatewayV2::Integration',
      'AWS::ApiGatewayV2::RouteResponse',
      'AWS::ApiGatewayV2::Stage',
      'AWS::SQS::Queue',
      'AWS::Events::EventBus',
      'AWS::Events::Rule',
      'AWS::Lambda::EventInvokeConfig',
    ]);
    const byType = new Map<string, string[]>();
    for (const [id, res] of this.resources) {
      if (res.implicit || handled.has(res.Type)) continue;
      byType.set(res.Type, [...(byType.get(res.Type) ?? []), id]);
    }
    for (const [type, ids] of byType) {
      this.warn(`${ids.join(', ')} (${type}): ${UNEMULATED[type] ?? 'not emulated locally, ignored'}`);
    }
  }

  private functions(): FunctionModel[] {
    const out: FunctionModel[] = [];
    const handledKeys = new Set([
      'CodeUri',
      'InlineCode',
      'Code',
      'Handler',
      'Runtime',
      'Timeout',
      'MemorySize',
      'Architectures',
      'Tracing',
      'TracingConfig',
      'Environment',
      'FunctionName',
      'Events',
      'EventInvokeConfig',
      'DeadLetterQueue',
      'DeadLetterConfig',
      'ReservedConcurrentExecutions',
      'LoggingConfig',
      'Description',
      'Tags',
      'PropagateTags',
      'PackageType',
      'EphemeralStorage',
      'RecursiveLoop',
    ]);
    const iamKeys = ['Policies', 'Role', 'PermissionsBoundary', 'RolePath', 'AssumeRolePolicyDocument'];
    for (const [id, res] of this.ofType(FUNCTION_TYPES)) {
      const p = this.props(id);
      const sam = res.Type === 'AWS::Serverless::Function';
      const runtime = str(p.Runtime) ?? '';
      if (p.PackageType === 'Image' || p.ImageUri) {
        this.warn(`${id}: container image functions are not supported locally; skipped`);
        continue;
      }
      if (!runtime.startsWith('nodejs')) {
        this.warn(`${id}: runtime ${runtime || '(none)'} is not supported locally (Node.js only); skipped`);
        continue;
      }
      if (iamKeys.some((k) => p[k] !== undefined) || sam) {
        this.warn(`${id}: IAM policies are not enforced locally`);
      }
      const unsupported = Object.keys(p).filter((k) => !handledKeys.has(k) && !iamKeys.includes(k));
      if (unsupported.length) this.warn(`${id}: ${unsupported.join(', ')} not emulated locally`);

      let codeUri = path.dirname(this.file);
      let inlineCode: string | undefined;
      const code = sam ? p.CodeUri : p.Code;
      if (typeof code === 'string') codeUri = path.resolve(path.dirname(this.file), code);
      else if (sam && typeof p.InlineCode === 'string') inlineCode = p.InlineCode;
      else if (!sam && typeof obj(code).ZipFile === 'string') inlineCode = String(obj(code).ZipFile);
      else if (code !== undefined)
        this.warn(`${id}: code in S3 is not fetched locally; using the template folder`);

      const handler = str(p.Handler);
      if (!handler) throw this.fail(`function ${id} has no Handler`, res.Properties);
      const env = obj(obj(p.Environment).Variables);
      const logging = obj(p.LoggingConfig);
      const fn: FunctionModel = {
        logicalId: id,
        functionName: this.nameOf(id),
        arn: this.arnOf(id),
        codeUri,
        inlineCode,
        handler,
        runtime,
        architectures: Array.isArray(p.Architectures) ? p.Architectures.map((a) => asString(a)) : ['x86_64'],
        timeoutSeconds: num(p.Timeout, 3),
        memorySizeMb: num(p.MemorySize, 128),
        tracing: str(sam ? p.Tracing : obj(p.TracingConfig).Mode) ?? 'PassThrough',
        environment: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, asString(v)])),
        asyncConfig: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21600 },
        reservedConcurrency:
          p.ReservedConcurrentExecutions === undefined ? undefined : num(p.ReservedConcurrentExecutions, 0),
        logGroupName: str(logging.LogGroup) ?? `/aws/lambda/${this.nameOf(id)}`,
        logFormat: str(logging.LogFormat) ?? 'Text',
      };
      const meta = res.Metadata ? obj(this.resolver.value(res.Metadata)) : {};
      if (typeof meta.BuildMethod === 'string') {
        fn.buildMethod = meta.BuildMethod;
        if (isObject(meta.BuildProperties)) fn.buildProperties = meta.BuildProperties;
      }
      const dlq = obj(sam ? p.DeadLetterQueue : p.DeadLetterConfig);
      const dlqArn = str(sam ? dlq.TargetArn : dlq.TargetArn);
      if (dlqArn) {
        if (sam && dlq.Type !== 'SQS')
          this.warn(`${id}: DeadLetterQueue of Type ${str(dlq.Type)} is not emulated (SQS only)`);
        else fn.asyncConfig.deadLetterArn = dlqArn;
      }
      if (sam && isObject(p.EventInvokeConfig))
        this.applyInvokeConfig(id, fn.asyncConfig, p.EventInvokeConfig);
      out.push(fn);
    }
    return out;
  }

  private applyInvokeConfig(id: string, config: AsyncInvokeConfig, source: TemplateObject): void {
    config.maximumRetryAttempts = num(source.MaximumRetryAttempts, config.maximumRetryAttempts);
    config.maximumEventAgeSeconds = num(source.MaximumEventAgeInSeconds, config.maximumEventAgeSeconds);
    const destinations = obj(source.DestinationConfig);
    if (destinations.OnSuccess !== undefined)
      this.warn(`${id}: EventInvokeConfig OnSuccess destinations are not emulated`);
    const onFailure = obj(destinations.OnFailure);
    const type = str(onFailure.Type);
    let arn = str(onFailure.Destination);
    if (!arn && type === 'SQS') arn = this.arnOf(`${id}EventInvokeConfigOnFailureQueue`);
    if (arn) config.onFailureArn = arn;
  }

  private eventInvokeConfigs(
    functions: FunctionModel[],
    byArn: (arn: string) => FunctionModel | undefined,
  ): void {
    for (const [id] of this.ofType('AWS::Lambda::EventInvokeConfig')) {
      const p = this.props(id);
      const target = str(p.FunctionName) ?? '';
      const fn =
        byArn(target.startsWith('arn:') ? target : this.functionArnFrom(target)) ??
        functions.find((f) => f.functionName === target);
      if (!fn) {
        this.warn(`${id}: EventInvokeConfig for ${target}, which is not a function of this template`);
        continue;
      }
      this.applyInvokeConfig(id, fn.asyncConfig, p);
    }
  }

  private eventBuses(): EventBusModel[] {
    const buses: EventBusModel[] = [
      { name: 'default', arn: `arn:aws:events:${this.region}:${this.accountId}:event-bus/default` },
    ];
    for (const [id] of this.ofType('AWS::Events::EventBus')) {
      buses.push({ logicalId: id, name: this.nameOf(id), arn: this.arnOf(id) });
    }
    return buses;
  }

  private retryPolicy(source: unknown): RetryPolicyModel {
    const p = obj(source);
    return {
      maximumRetryAttempts: num(p.MaximumRetryAttempts, 185),
      maximumEventAgeSeconds: num(p.MaximumEventAgeInSeconds, 86400),
    };
  }

  private eventPattern(id: string, value: unknown): Record<string, unknown> {
    if (typeof value === 'string') {
      try {
        return obj(JSON.parse(value));
      } catch {
        throw this.fail(`${id}: EventPattern is not valid JSON`, this.resources.get(id)?.Properties);
      }
    }
    return obj(value) as Record<string, unknown>;
  }

  private samRules(functions: FunctionModel[]): RuleModel[] {
    const rules: RuleModel[] = [];
    for (const fn of functions) {
      const res = this.resources.get(fn.logicalId);
      if (res?.Type !== 'AWS::Serverless::Function') continue;
      const events = obj(this.props(fn.logicalId).Events);
      for (const [eventId, raw] of Object.entries(events)) {
        const ev = obj(raw);
        const type = str(ev.Type);
        if (type !== 'EventBridgeRule' && type !== 'CloudWatchEvent') {
          this.warn(`${fn.logicalId}: event ${eventId} of Type ${type} is not emulated locally`);
          continue;
        }
        const p = obj(ev.Properties);
        const ruleId = `${fn.logicalId}${eventId}`;
        if (p.InputTransformer !== undefined) this.warn(`${ruleId}: InputTransformer is not emulated`);
        const dlq = obj(p.DeadLetterConfig);
        let deadLetterArn = str(dlq.Arn);
        if (!deadLetterArn && dlq.Type === 'SQS')
          deadLetterArn = this.arnOf(str(dlq.QueueLogicalId) ?? `${ruleId}Queue`);
        const name = str(p.RuleName) ?? physicalName(this.stackName, ruleId, 64);
        this.names.set(ruleId, name);
        rules.push({
          logicalId: ruleId,
          name,
          eventBusName: this.busNameOf(p.EventBusName),
          state: str(p.State) === 'DISABLED' || p.Enabled === false ? 'DISABLED' : 'ENABLED',
          eventPattern: this.eventPattern(ruleId, p.Pattern),
          targets: [
            {
              id: str(obj(p.Target).Id) ?? `${ruleId}LambdaTarget`,
              arn: fn.arn,
              input: str(p.Input),
              inputPath: str(p.InputPath),
              retryPolicy: this.retryPolicy(p.RetryPolicy),
              deadLetterArn,
            },
          ],
        });
      }
    }
    return rules;
  }

  private cfnRules(): RuleModel[] {
    const rules: RuleModel[] = [];
    for (const [id, res] of this.ofType('AWS::Events::Rule')) {
      if (res.implicit) continue;
      const p = this.props(id);
      if (p.EventPattern === undefined) {
        this.warn(`${id}: rules without an EventPattern (schedules) are not emulated`);
        continue;
      }
      const targets: RuleTargetModel[] = [];
      for (const raw of Array.isArray(p.Targets) ? p.Targets : []) {
        const t = obj(raw);
        if (t.InputTransformer !== undefined)
          this.warn(`${id}: target ${str(t.Id)} InputTransformer is not emulated`);
        targets.push({
          id: str(t.Id) ?? 'target',
          arn: str(t.Arn) ?? '',
          input: str(t.Input),
          inputPath: str(t.InputPath),
          retryPolicy: this.retryPolicy(t.RetryPolicy),
          deadLetterArn: str(obj(t.DeadLetterConfig).Arn),
        });
      }
      rules.push({
        logicalId: id,
        name: this.nameOf(id),
        eventBusName: this.busNameOf(p.EventBusName),
        state: str(p.State) === 'DISABLED' ? 'DISABLED' : 'ENABLED',
        eventPattern: this.eventPattern(id, p.EventPattern),
        targets,
      });
    }
    return rules;
  }

  private tables(): TableModel[] {
    const out: TableModel[] = [];
    for (const [id, res] of this.ofType(TABLE_TYPES)) {
      const p = this.props(id);
      const tableName = this.nameOf(id);
      let input: CreateTableCommandInput;
      if (res.Type === 'AWS::Serverless::SimpleTable') {
        const key = obj(p.PrimaryKey);
        const keyName = str(key.Name) ?? 'id';
        const keyType =
          ({ String: 'S', Number: 'N', Binary: 'B' } as const)[str(key.Type) as 'String'] ?? 'S';
        const provisioned = isObject(p.ProvisionedThroughput);
        input = {
          TableName: tableName,
          AttributeDefinitions: [{ AttributeName: keyName, AttributeType: keyType }],
          KeySchema: [{ AttributeName: keyName, KeyType: 'HASH' }],
          BillingMode: provisioned ? 'PROVISIONED' : 'PAY_PER_REQUEST',
          ...(provisioned ? { ProvisionedThroughput: this.throughput(p.ProvisionedThroughput) } : {}),
        };
      } else {
        const billing = str(p.BillingMode) === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED';
        const provisioned = billing === 'PROVISIONED';
        if (provisioned && !isObject(p.ProvisionedThroughput)) {
          this.warn(`${id}: PROVISIONED billing without ProvisionedThroughput; using 5/5 capacity units`);
        }
        const index = (raw: TemplateValue, withThroughput: boolean) => {
          const ix = obj(raw);
          return {
            IndexName: str(ix.IndexName),
            KeySchema: this.keySchema(ix.KeySchema),
            Projection: obj(ix.Projection) as NonNullable<
              CreateTableCommandInput['GlobalSecondaryIndexes']
            >[number]['Projection'],
            ...(withThroughput ? { ProvisionedThroughput: this.throughput(ix.ProvisionedThroughput) } : {}),
          };
        };
        const gsis = Array.isArray(p.GlobalSecondaryIndexes) ? p.GlobalSecondaryIndexes : [];
        const lsis = Array.isArray(p.LocalSecondaryIndexes) ? p.LocalSecondaryIndexes : [];
        input = {
          TableName: tableName,
          AttributeDefinitions: (Array.isArray(p.AttributeDefinitions) ? p.AttributeDefinitions : []).map(
            (a) => ({
              AttributeName: str(obj(a).AttributeName),
              AttributeType: str(obj(a).AttributeType) as AttributeDefinition['AttributeType'],
            }),
          ),
          KeySchema: this.keySchema(p.KeySchema),
          BillingMode: billing,
          ...(provisioned ? { ProvisionedThroughput: this.throughput(p.ProvisionedThroughput) } : {}),
          ...(gsis.length ? { GlobalSecondaryIndexes: gsis.map((g) => index(g, provisioned)) } : {}),
          ...(lsis.length ? { LocalSecondaryIndexes: lsis.map((l) => index(l, false)) } : {}),
        };
        const notEmulated = [
          'StreamSpecification',
          'SSESpecification',
          'PointInTimeRecoverySpecification',
          'KinesisStreamSpecification',
          'ContributorInsightsSpecification',
          'ImportSourceSpecification',
          'ResourcePolicy',
          'OnDemandThroughput',
          'WarmThroughput',
        ].filter((k) => p[k] !== undefined);
        if (notEmulated.length) this.warn(`${id}: ${notEmulated.join(', ')} not emulated locally`);
      }
      const ttl = obj(p.TimeToLiveSpecification);
      out.push({
        logicalId: id,
        tableName,
        arn: this.arnOf(id),
        createTableInput: input,
        ttlAttribute:
          ttl.Enabled === false || String(ttl.Enabled) === 'false' ? undefined : str(ttl.AttributeName),
      });
    }
    return out;
  }

  private keySchema(value: unknown): NonNullable<CreateTableCommandInput['KeySchema']> {
    return (Array.isArray(value) ? value : []).map((k) => ({
      AttributeName: str(obj(k).AttributeName),
      KeyType: str(obj(k).KeyType) as 'HASH' | 'RANGE',
    }));
  }

  private throughput(value: unknown): { ReadCapacityUnits: number; WriteCapacityUnits: number } {
    const t = obj(value);
    return {
      ReadCapacityUnits: num(t.ReadCapacityUnits, 5),
      WriteCapacityUnits: num(t.WriteCapacityUnits, 5),
    };
  }

  private queues(): QueueModel[] {
    const out: QueueModel[] = [];
    for (const [id] of this.ofType('AWS::SQS::Queue')) {
      const p = this.props(id);
      const name = this.nameOf(id);
      const redrive = obj(
        typeof p.RedrivePolicy === 'string' ? JSON.parse(p.RedrivePolicy) : p.RedrivePolicy,
      );
      out.push({
        logicalId: id,
        queueName: name,
        arn: this.arnOf(id),
        url: this.queueUrl(name),
        messageRetentionSeconds: num(p.MessageRetentionPeriod, 345600),
        visibilityTimeoutSeconds: num(p.VisibilityTimeout, 30),
        fifo: String(p.FifoQueue) === 'true',
        redrivePolicy: redrive.deadLetterTargetArn
          ? {
              deadLetterTargetArn: String(redrive.deadLetterTargetArn),
              maxReceiveCount: num(redrive.maxReceiveCount, 10),
            }
          : undefined,
      });
    }
    return out;
  }

  private webSocketApis(byArn: (arn: string) => FunctionModel | undefined): WebSocketApiModel[] {
    const out: WebSocketApiModel[] = [];
    const fnFromUri = (owner: string, uri: string | undefined): string | undefined => {
      if (!uri) return undefined;
      const m = /functions\/(arn:[^/]+)\/invocations/.exec(uri);
      const arn = m?.[1] ?? uri;
      const fn = byArn(arn);
      if (!fn) this.warn(`${owner}: integration target ${uri} is not a function of this template`);
      return fn?.logicalId;
    };
    for (const [id, res] of this.ofType(API_TYPES)) {
      const p = this.props(id);
      const apiId = apiGatewayId(this.stackName, id);
      const routes: WebSocketRouteModel[] = [];
      let stageName: string | undefined;
      if (res.Type === 'AWS::ApiGatewayV2::Api') {
        if (str(p.ProtocolType) !== 'WEBSOCKET') {
          this.warn(`${id}: ${str(p.ProtocolType)} APIs are not emulated (WEBSOCKET only)`);
          continue;
        }
        const mine = (type: string) =>
          this.ofType(type).filter(([childId]) => str(this.props(childId).ApiId) === apiId);
        const integrations = new Map(
          mine('AWS::ApiGatewayV2::Integration').map(([iid]) => [shortId(this.stackName, iid), iid]),
        );
        const responses = new Set(
          mine('AWS::ApiGatewayV2::RouteResponse').map(([rid]) => str(this.props(rid).RouteId)),
        );
        for (const [rid] of mine('AWS::ApiGatewayV2::Route')) {
          const rp = this.props(rid);
          const routeKey = str(rp.RouteKey) ?? '';
          const target = str(rp.Target);
          const integrationId = target?.replace(/^integrations\//, '');
          const integration = integrationId ? integrations.get(integrationId) : undefined;
          let functionLogicalId: string | undefined;
          if (integration) {
            const ip = this.props(integration);
            const type = str(ip.IntegrationType) ?? 'AWS_PROXY';
            if (type !== 'AWS_PROXY' && type !== 'AWS')
              this.warn(`${integration}: ${type} integrations are not emulated`);
            else functionLogicalId = fnFromUri(integration, str(ip.IntegrationUri));
          } else if (target) this.warn(`${rid}: target ${target} is not an integration of ${id}`);
          if (rp.AuthorizationType !== undefined && str(rp.AuthorizationType) !== 'NONE') {
            this.warn(`${rid}: authorization ${str(rp.AuthorizationType)} is not enforced locally`);
          }
          const hasSelection = rp.RouteResponseSelectionExpression !== undefined;
          const hasResponse = responses.has(shortId(this.stackName, rid));
          if (hasSelection !== hasResponse) {
            this.warn(
              `${rid}: a route response needs both a RouteResponse and RouteResponseSelectionExpression`,
            );
          }
          routes.push({ routeKey, functionLogicalId, routeResponse: hasSelection && hasResponse });
        }
        const stages = mine('AWS::ApiGatewayV2::Stage');
        stageName = stages[0] ? str(this.props(stages[0][0]).StageName) : undefined;
        if (stages.length > 1) this.warn(`${id}: several stages; serving only ${stageName}`);
        for (const [sid] of stages) this.warnStage(sid, this.props(sid));
      } else {
        for (const [routeKey, raw] of Object.entries(obj(p.Routes))) {
          const r = obj(raw);
          const arn = str(r.FunctionArn);
          routes.push({
            routeKey,
            functionLogicalId: arn ? fnFromUri(id, arn) : undefined,
            routeResponse: r.RouteResponseSelectionExpression !== undefined,
          });
        }
        stageName = str(p.StageName);
        this.warnStage(id, p);
        if (p.Auth !== undefined)
          this.warn(`${id}: Auth is not enforced locally: every connection is allowed`);
        if (p.Domain !== undefined) this.warn(`${id}: custom domains are not emulated`);
      }
      if (!stageName) {
        stageName = 'default';
        this.warn(`${id}: no stage name; serving the API at /default`);
      }
      out.push({
        logicalId: id,
        apiId,
        name: this.nameOf(id),
        routeSelectionExpression: str(p.RouteSelectionExpression) ?? '$request.body.action',
        stageName,
        routes,
        endpointUrl: `https://${apiId}.execute-api.${this.region}.amazonaws.com/${stageName}`,
      });
    }
    return out;
  }

  private warnStage(id: string, p: TemplateObject): void {
    const settings = obj(p.DefaultRouteSettings);
    if (
      p.AccessLogSettings !== undefined ||
      settings.LoggingLevel !== undefined ||
      settings.DataTraceEnabled
    ) {
      this.warn(`${id}: stage logging is not emulated (needs an AWS::ApiGateway::Account role on AWS)`);
    }
    if (settings.ThrottlingRateLimit !== undefined || settings.ThrottlingBurstLimit !== undefined) {
      this.warn(`${id}: stage throttling settings are not emulated`);
    }
  }

  private outputs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, raw] of Object.entries(obj(this.template.Outputs))) {
      const def = obj(raw);
      if (typeof def.Condition === 'string' && !this.condition(def.Condition, this.pos(raw))) continue;
      const value = this.resolver.resolve(def.Value ?? null, this.pos(raw));
      if (value !== NO_VALUE) out[name] = asString(value);
    }
    return out;
  }
}

function uuidFrom(seed: string): string {
  const h = token(`stack/${seed}`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
