import type { Resource, StackContext } from './context';
import { TemplateError } from './errors';
import { GLOBALS_SECTIONS, mergeGlobals } from './globals';
import { isObject, obj, str } from './values';

type ResourceHost = Pick<StackContext, 'file' | 'template' | 'warn' | 'fail' | 'pos' | 'condition'>;

/**
 * The template's resources whose Condition holds, with SAM Globals merged in, plus what the SAM
 * transform adds (so a template may Ref or GetAtt it, e.g. MyFunctionRole.Arn).
 */
export function collectResources(host: ResourceHost): Map<string, Resource> {
  const resources = new Map<string, Resource>();
  const declared = host.template.Resources;
  if (!isObject(declared))
    throw new TemplateError('the template has no Resources section', { file: host.file });
  const globals = obj(host.template.Globals);
  for (const [section, value] of Object.entries(globals)) {
    if (!Object.values(GLOBALS_SECTIONS).includes(section))
      host.warn(`Globals.${section}: unknown section, ignored`);
    else if (section === 'Function' && isObject(value) && value.Layers) {
      host.warn('Globals.Function.Layers: layers are not emulated (bundle dependencies instead)');
    }
  }
  for (const [id, raw] of Object.entries(declared)) {
    const def = obj(raw);
    if (typeof def.Type !== 'string') throw host.fail(`resource ${id} has no Type`, raw);
    if (typeof def.Condition === 'string' && !host.condition(def.Condition, host.pos(raw))) continue;
    let props = obj(def.Properties);
    const section = GLOBALS_SECTIONS[def.Type];
    const global = section ? globals[section] : undefined;
    if (isObject(global)) props = obj(mergeGlobals(global, props));
    resources.set(id, {
      Type: def.Type,
      Properties: props,
      Metadata: isObject(def.Metadata) ? def.Metadata : undefined,
    });
  }
  addSamImplicitResources(resources);
  return resources;
}

function addSamImplicitResources(resources: Map<string, Resource>): void {
  const add = (id: string, type: string): void => {
    if (!resources.has(id)) resources.set(id, { Type: type, Properties: {}, implicit: true });
  };
  for (const [id, res] of [...resources]) {
    if (res.Type !== 'AWS::Serverless::Function') continue;
    if (res.Properties.Role === undefined) add(`${id}Role`, 'AWS::IAM::Role');
    for (const [eventId, ev] of Object.entries(obj(res.Properties.Events))) {
      const e = obj(ev);
      if (e.Type === 'SQS') add(`${id}${eventId}`, 'AWS::Lambda::EventSourceMapping');
      if (e.Type !== 'EventBridgeRule' && e.Type !== 'CloudWatchEvent') continue;
      add(`${id}${eventId}`, 'AWS::Events::Rule');
      const dlq = obj(obj(e.Properties).DeadLetterConfig);
      if (dlq.Type === 'SQS') add(str(dlq.QueueLogicalId) ?? `${id}${eventId}Queue`, 'AWS::SQS::Queue');
    }
    const onFailure = obj(obj(obj(res.Properties.EventInvokeConfig).DestinationConfig).OnFailure);
    if (onFailure.Type === 'SQS' && onFailure.Destination === undefined) {
      add(`${id}EventInvokeConfigOnFailureQueue`, 'AWS::SQS::Queue');
    }
  }
}
