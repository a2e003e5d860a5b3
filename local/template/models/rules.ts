import type { StackContext } from '../context';
import { physicalName } from '../names';
import { busNameOf } from '../resource-kinds';
import type { EventBusModel, FunctionModel, RetryPolicyModel, RuleModel, RuleTargetModel } from '../types';
import { num, obj, str } from '../values';

/** The account's default bus and the template's own buses. */
export function eventBusModels(ctx: StackContext): EventBusModel[] {
  const buses: EventBusModel[] = [
    { name: 'default', arn: `arn:aws:events:${ctx.region}:${ctx.accountId}:event-bus/default` },
  ];
  for (const [id] of ctx.ofType('AWS::Events::EventBus')) {
    buses.push({ logicalId: id, name: ctx.nameOf(id), arn: ctx.arnOf(id) });
  }
  return buses;
}

/** Rules from SAM functions' EventBridgeRule events, then from `AWS::Events::Rule` resources. */
export function ruleModels(ctx: StackContext, functions: FunctionModel[]): RuleModel[] {
  return [...samRules(ctx, functions), ...cfnRules(ctx)];
}

function retryPolicy(source: unknown): RetryPolicyModel {
  const p = obj(source);
  return {
    maximumRetryAttempts: num(p.MaximumRetryAttempts, 185),
    maximumEventAgeSeconds: num(p.MaximumEventAgeInSeconds, 86400),
  };
}

function eventPattern(ctx: StackContext, id: string, value: unknown): Record<string, unknown> {
  if (typeof value === 'string') {
    try {
      return obj(JSON.parse(value));
    } catch {
      throw ctx.fail(`${id}: EventPattern is not valid JSON`, ctx.resources.get(id)?.Properties);
    }
  }
  return obj(value) as Record<string, unknown>;
}

function samRules(ctx: StackContext, functions: FunctionModel[]): RuleModel[] {
  const rules: RuleModel[] = [];
  for (const fn of functions) {
    if (ctx.resources.get(fn.logicalId)?.Type !== 'AWS::Serverless::Function') continue;
    const events = obj(ctx.props(fn.logicalId).Events);
    for (const [eventId, raw] of Object.entries(events)) {
      const ev = obj(raw);
      const type = str(ev.Type);
      if (type === 'SQS') continue; // an event source mapping (models/event-source-mappings.ts)
      if (type !== 'EventBridgeRule' && type !== 'CloudWatchEvent') {
        ctx.warn(`${fn.logicalId}: event ${eventId} of Type ${type} is not emulated locally`);
        continue;
      }
      const p = obj(ev.Properties);
      const ruleId = `${fn.logicalId}${eventId}`;
      if (p.InputTransformer !== undefined) ctx.warn(`${ruleId}: InputTransformer is not emulated`);
      const dlq = obj(p.DeadLetterConfig);
      let deadLetterArn = str(dlq.Arn);
      if (!deadLetterArn && dlq.Type === 'SQS')
        deadLetterArn = ctx.arnOf(str(dlq.QueueLogicalId) ?? `${ruleId}Queue`);
      const name = str(p.RuleName) ?? physicalName(ctx.stackName, ruleId, 64);
      ctx.setName(ruleId, name);
      rules.push({
        logicalId: ruleId,
        name,
        eventBusName: busNameOf(ctx, p.EventBusName),
        state: str(p.State) === 'DISABLED' || p.Enabled === false ? 'DISABLED' : 'ENABLED',
        eventPattern: eventPattern(ctx, ruleId, p.Pattern),
        targets: [
          {
            id: str(obj(p.Target).Id) ?? `${ruleId}LambdaTarget`,
            arn: fn.arn,
            input: str(p.Input),
            inputPath: str(p.InputPath),
            retryPolicy: retryPolicy(p.RetryPolicy),
            deadLetterArn,
          },
        ],
      });
    }
  }
  return rules;
}

function cfnRules(ctx: StackContext): RuleModel[] {
  const rules: RuleModel[] = [];
  for (const [id, res] of ctx.ofType('AWS::Events::Rule')) {
    if (res.implicit) continue;
    const p = ctx.props(id);
    if (p.EventPattern === undefined) {
      ctx.warn(`${id}: rules without an EventPattern (schedules) are not emulated`);
      continue;
    }
    const targets: RuleTargetModel[] = [];
    for (const raw of Array.isArray(p.Targets) ? p.Targets : []) {
      const t = obj(raw);
      if (t.InputTransformer !== undefined)
        ctx.warn(`${id}: target ${str(t.Id)} InputTransformer is not emulated`);
      targets.push({
        id: str(t.Id) ?? 'target',
        arn: str(t.Arn) ?? '',
        input: str(t.Input),
        inputPath: str(t.InputPath),
        retryPolicy: retryPolicy(t.RetryPolicy),
        deadLetterArn: str(obj(t.DeadLetterConfig).Arn),
      });
    }
    rules.push({
      logicalId: id,
      name: ctx.nameOf(id),
      eventBusName: busNameOf(ctx, p.EventBusName),
      state: str(p.State) === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      eventPattern: eventPattern(ctx, id, p.EventPattern),
      targets,
    });
  }
  return rules;
}
