import { InvalidEventPatternError, validateEventPattern } from '../../eventbridge/event-pattern';
import type { StackContext } from '../context';
import { functionArnFrom } from '../resource-kinds';
import type { EventSourceMappingModel, FunctionModel, QueueModel } from '../types';
import { isObject, obj, str } from '../values';

// SQS -> Lambda event source mappings, from SAM `Events: { X: { Type: SQS } }` and from
// `AWS::Lambda::EventSourceMapping`. Lambda checks a mapping when it is created; what it refuses
// fails the stack here, with the template line, instead of deploying and failing on AWS:
// - BatchSize 1..10,000 for a standard queue, 1..10 for FIFO; above 10 it needs
//   MaximumBatchingWindowInSeconds of at least 1; the window is 0..300 and not allowed for FIFO
//   (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html,
//   https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html);
// - the function's timeout may not exceed the queue's visibility timeout ("Lambda validates this
//   requirement when you create or update an event source mapping",
//   https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html); the message is
//   CloudFormation's: "Invalid request provided: Queue visibility timeout: 36 seconds is less than
//   Function timeout: 450 seconds";
// - ScalingConfig.MaximumConcurrency 2..1000 (AWS::Lambda::EventSourceMapping ScalingConfig).

const MAX_FILTERS = 5; // Lambda's default quota of filters per event source mapping.

interface MappingSource {
  id: string;
  /** Resolved properties. */
  p: Record<string, unknown>;
  /** The raw properties object, for the line of an error. */
  at: unknown;
  functionLogicalId: string;
  queueArn: string | undefined;
}

/** The SQS event source mappings of the template, validated as Lambda validates them. */
export function eventSourceMappingModels(
  ctx: StackContext,
  functions: FunctionModel[],
  queues: QueueModel[],
  functionByArn: (arn: string) => FunctionModel | undefined,
): EventSourceMappingModel[] {
  const sources: MappingSource[] = [];
  for (const fn of functions) {
    const res = ctx.resources.get(fn.logicalId);
    if (res?.Type !== 'AWS::Serverless::Function') continue;
    const rawEvents = obj(res.Properties.Events);
    for (const [eventId, raw] of Object.entries(obj(ctx.props(fn.logicalId).Events))) {
      const ev = obj(raw);
      if (str(ev.Type) !== 'SQS') continue;
      const p = obj(ev.Properties);
      const rawEvent = obj(rawEvents[eventId]);
      sources.push({
        id: `${fn.logicalId}${eventId}`,
        p,
        at: rawEvent.Properties ?? rawEvent,
        functionLogicalId: fn.logicalId,
        queueArn: str(p.Queue),
      });
      if (p.Queue === undefined)
        throw ctx.fail(`${fn.logicalId} event ${eventId} (Type SQS) has no Queue`, rawEvent);
    }
  }
  for (const [id, res] of ctx.ofType('AWS::Lambda::EventSourceMapping')) {
    if (res.implicit) continue; // a SAM SQS event's, read above
    const p = ctx.props(id);
    const arn = str(p.EventSourceArn);
    if (!arn?.startsWith('arn:aws:sqs:')) {
      ctx.warn(`${id}: event source ${arn ?? '(none)'} is not emulated locally (SQS queues only); skipped`);
      continue;
    }
    const target = str(p.FunctionName) ?? '';
    const fn =
      functionByArn(target.startsWith('arn:') ? target : functionArnFrom(ctx, target)) ??
      functions.find((f) => f.functionName === target);
    if (!fn)
      throw ctx.fail(
        `${id}: FunctionName ${target || '(none)'} is not a function of this template`,
        res.Properties,
      );
    sources.push({ id, p, at: res.Properties, functionLogicalId: fn.logicalId, queueArn: arn });
  }
  return sources.map((source) => mappingModel(ctx, source, functions, queues));
}

function mappingModel(
  ctx: StackContext,
  { id, p, at, functionLogicalId, queueArn }: MappingSource,
  functions: FunctionModel[],
  queues: QueueModel[],
): EventSourceMappingModel {
  const fail = (message: string) => ctx.fail(`${id}: ${message}`, at);
  const queue = queues.find((q) => q.arn === queueArn);
  if (!queue) throw fail(`queue ${queueArn} is not an AWS::SQS::Queue of this template`);
  const fn = functions.find((f) => f.logicalId === functionLogicalId) as FunctionModel;

  const batchSize = integer(p.BatchSize, 10, 'BatchSize', fail);
  const window = integer(p.MaximumBatchingWindowInSeconds, 0, 'MaximumBatchingWindowInSeconds', fail);
  const maxBatch = queue.fifo ? 10 : 10_000;
  if (batchSize < 1 || batchSize > maxBatch)
    throw fail(
      `BatchSize ${batchSize} is out of range: 1 to ${maxBatch} for a ${queue.fifo ? 'FIFO' : 'standard'} queue`,
    );
  if (window < 0 || window > 300)
    throw fail(`MaximumBatchingWindowInSeconds ${window} is out of range: 0 to 300`);
  if (queue.fifo && window > 0)
    throw fail(`MaximumBatchingWindowInSeconds is not supported for FIFO queues (${queue.queueName})`);
  if (batchSize > 10 && window < 1)
    throw fail(
      `BatchSize ${batchSize} is above 10, which needs MaximumBatchingWindowInSeconds of at least 1`,
    );
  if (queue.visibilityTimeoutSeconds < fn.timeoutSeconds) {
    throw fail(
      `Invalid request provided: Queue visibility timeout: ${queue.visibilityTimeoutSeconds} seconds is less than Function timeout: ${fn.timeoutSeconds} seconds (queue ${queue.logicalId}, function ${fn.logicalId})`,
    );
  }

  const types = p.FunctionResponseTypes === undefined ? [] : p.FunctionResponseTypes;
  if (!Array.isArray(types) || types.some((t) => t !== 'ReportBatchItemFailures'))
    throw fail('FunctionResponseTypes may only hold ReportBatchItemFailures');

  const scaling = obj(p.ScalingConfig);
  let maximumConcurrency: number | undefined;
  if (scaling.MaximumConcurrency !== undefined) {
    maximumConcurrency = integer(scaling.MaximumConcurrency, 0, 'ScalingConfig.MaximumConcurrency', fail);
    if (maximumConcurrency < 2 || maximumConcurrency > 1000)
      throw fail(`ScalingConfig.MaximumConcurrency ${maximumConcurrency} is out of range: 2 to 1000`);
  }

  for (const key of ['DestinationConfig', 'ProvisionedPollerConfig', 'MetricsConfig', 'KmsKeyArn']) {
    if (p[key] !== undefined) ctx.warn(`${id}: ${key} is not emulated locally`);
  }

  return {
    logicalId: id,
    functionLogicalId,
    queueLogicalId: queue.logicalId,
    eventSourceArn: queue.arn,
    batchSize,
    maximumBatchingWindowSeconds: window,
    reportBatchItemFailures: types.length > 0,
    enabled: p.Enabled === undefined || String(p.Enabled) !== 'false',
    maximumConcurrency,
    filters: filters(p.FilterCriteria, fail),
  };
}

function integer(value: unknown, fallback: number, name: string, fail: (m: string) => Error): number {
  if (value === undefined || value === null) return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (typeof value === 'boolean' || value === '' || !Number.isInteger(n))
    throw fail(`${name} must be an integer, not ${JSON.stringify(value)}`);
  return n;
}

/** FilterCriteria.Filters[].Pattern: each a JSON string of an event pattern, as Lambda takes it. */
function filters(criteria: unknown, fail: (m: string) => Error): Record<string, unknown>[] {
  if (criteria === undefined) return [];
  const list = obj(criteria).Filters;
  if (!Array.isArray(list)) throw fail('FilterCriteria needs a Filters list');
  if (list.length > MAX_FILTERS)
    throw fail(`FilterCriteria has ${list.length} filters; Lambda allows ${MAX_FILTERS}`);
  return list.map((entry, i) => {
    const source = isObject(entry) ? entry.Pattern : undefined;
    let pattern: unknown = source;
    if (typeof source === 'string') {
      try {
        pattern = JSON.parse(source);
      } catch {
        throw fail(`FilterCriteria.Filters[${i}].Pattern is not valid JSON`);
      }
    }
    try {
      validateEventPattern(pattern);
    } catch (err) {
      if (err instanceof InvalidEventPatternError)
        throw fail(`FilterCriteria.Filters[${i}].Pattern is not a valid filter: ${err.message}`);
      throw err;
    }
    return pattern as Record<string, unknown>;
  });
}
