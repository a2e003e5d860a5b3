import path from 'node:path';
import type { StackContext } from '../context';
import { asString } from '../intrinsics';
import type { TemplateObject } from '../parse-template';
import { functionArnFrom } from '../resource-kinds';
import type { AsyncInvokeConfig, FunctionModel } from '../types';
import { isObject, num, obj, str } from '../values';

export const FUNCTION_TYPES: ReadonlySet<string> = new Set([
  'AWS::Serverless::Function',
  'AWS::Lambda::Function',
]);

/** Properties the local Lambda honours (or that change nothing locally); others get a warning. */
const HANDLED_KEYS = new Set([
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
const IAM_KEYS = ['Policies', 'Role', 'PermissionsBoundary', 'RolePath', 'AssumeRolePolicyDocument'];

/** Node.js functions (SAM and plain Lambda), with their async invocation settings. */
export function functionModels(ctx: StackContext): FunctionModel[] {
  const out: FunctionModel[] = [];
  for (const [id, res] of ctx.ofType(FUNCTION_TYPES)) {
    const p = ctx.props(id);
    const sam = res.Type === 'AWS::Serverless::Function';
    const runtime = str(p.Runtime) ?? '';
    if (p.PackageType === 'Image' || p.ImageUri) {
      ctx.warn(`${id}: container image functions are not supported locally; skipped`);
      continue;
    }
    if (!runtime.startsWith('nodejs')) {
      ctx.warn(`${id}: runtime ${runtime || '(none)'} is not supported locally (Node.js only); skipped`);
      continue;
    }
    if (IAM_KEYS.some((k) => p[k] !== undefined) || sam) {
      ctx.warn(`${id}: IAM policies are not enforced locally`);
    }
    const unsupported = Object.keys(p).filter((k) => !HANDLED_KEYS.has(k) && !IAM_KEYS.includes(k));
    if (unsupported.length) ctx.warn(`${id}: ${unsupported.join(', ')} not emulated locally`);

    const templateDir = path.dirname(ctx.file);
    let codeUri = templateDir;
    let inlineCode: string | undefined;
    const code = sam ? p.CodeUri : p.Code;
    if (typeof code === 'string') codeUri = path.resolve(templateDir, code);
    else if (sam && typeof p.InlineCode === 'string') inlineCode = p.InlineCode;
    else if (!sam && typeof obj(code).ZipFile === 'string') inlineCode = String(obj(code).ZipFile);
    else if (code !== undefined)
      ctx.warn(`${id}: code in S3 is not fetched locally; using the template folder`);

    const handler = str(p.Handler);
    if (!handler) throw ctx.fail(`function ${id} has no Handler`, res.Properties);
    const env = obj(obj(p.Environment).Variables);
    const logging = obj(p.LoggingConfig);
    const fn: FunctionModel = {
      logicalId: id,
      functionName: ctx.nameOf(id),
      arn: ctx.arnOf(id),
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
      logGroupName: str(logging.LogGroup) ?? `/aws/lambda/${ctx.nameOf(id)}`,
      logFormat: str(logging.LogFormat) ?? 'Text',
    };
    const meta = res.Metadata ? obj(ctx.resolver.value(res.Metadata)) : {};
    if (typeof meta.BuildMethod === 'string') {
      fn.buildMethod = meta.BuildMethod;
      if (isObject(meta.BuildProperties)) fn.buildProperties = meta.BuildProperties;
    }
    // SAM's DeadLetterQueue and Lambda's DeadLetterConfig both name the queue in TargetArn.
    const dlq = obj(sam ? p.DeadLetterQueue : p.DeadLetterConfig);
    const dlqArn = str(dlq.TargetArn);
    if (dlqArn) {
      if (sam && dlq.Type !== 'SQS')
        ctx.warn(`${id}: DeadLetterQueue of Type ${str(dlq.Type)} is not emulated (SQS only)`);
      else fn.asyncConfig.deadLetterArn = dlqArn;
    }
    if (sam && isObject(p.EventInvokeConfig)) applyInvokeConfig(ctx, id, fn.asyncConfig, p.EventInvokeConfig);
    out.push(fn);
  }
  return out;
}

/** Applies the `AWS::Lambda::EventInvokeConfig` resources to the functions they name. */
export function applyEventInvokeConfigs(
  ctx: StackContext,
  functions: FunctionModel[],
  byArn: (arn: string) => FunctionModel | undefined,
): void {
  for (const [id] of ctx.ofType('AWS::Lambda::EventInvokeConfig')) {
    const p = ctx.props(id);
    const target = str(p.FunctionName) ?? '';
    const fn =
      byArn(target.startsWith('arn:') ? target : functionArnFrom(ctx, target)) ??
      functions.find((f) => f.functionName === target);
    if (!fn) {
      ctx.warn(`${id}: EventInvokeConfig for ${target}, which is not a function of this template`);
      continue;
    }
    applyInvokeConfig(ctx, id, fn.asyncConfig, p);
  }
}

function applyInvokeConfig(
  ctx: StackContext,
  id: string,
  config: AsyncInvokeConfig,
  source: TemplateObject,
): void {
  config.maximumRetryAttempts = num(source.MaximumRetryAttempts, config.maximumRetryAttempts);
  config.maximumEventAgeSeconds = num(source.MaximumEventAgeInSeconds, config.maximumEventAgeSeconds);
  const destinations = obj(source.DestinationConfig);
  if (destinations.OnSuccess !== undefined)
    ctx.warn(`${id}: EventInvokeConfig OnSuccess destinations are not emulated`);
  const onFailure = obj(destinations.OnFailure);
  const type = str(onFailure.Type);
  let arn = str(onFailure.Destination);
  if (!arn && type === 'SQS') arn = ctx.arnOf(`${id}EventInvokeConfigOnFailureQueue`);
  if (arn) config.onFailureArn = arn;
}
