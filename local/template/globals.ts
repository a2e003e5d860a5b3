import type { TemplateObject, TemplateValue } from './parse-template';

const isObject = (v: unknown): v is TemplateObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const isIntrinsic = (v: TemplateObject): boolean => {
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || (keys[0]?.startsWith('Fn::') ?? false));
};

/**
 * SAM's Globals rules: a function's own primitive value wins, maps merge key by key (so
 * Environment.Variables combine), lists are concatenated with the global items first.
 */
export function mergeGlobals(
  global: TemplateValue | undefined,
  local: TemplateValue | undefined,
): TemplateValue {
  if (local === undefined) return structuredClone(global ?? null);
  if (global === undefined) return local;
  if (Array.isArray(global) && Array.isArray(local)) return [...structuredClone(global), ...local];
  if (isObject(global) && isObject(local) && !isIntrinsic(global) && !isIntrinsic(local)) {
    const out: TemplateObject = { ...structuredClone(global) };
    for (const [key, value] of Object.entries(local)) out[key] = mergeGlobals(global[key], value);
    return out;
  }
  return local;
}

/** Which Globals section applies to which resource type. */
export const GLOBALS_SECTIONS: Record<string, string> = {
  'AWS::Serverless::Function': 'Function',
  'AWS::Serverless::SimpleTable': 'SimpleTable',
  'AWS::Serverless::WebSocketApi': 'WebSocketApi',
  'AWS::Serverless::Api': 'Api',
  'AWS::Serverless::HttpApi': 'HttpApi',
  'AWS::Serverless::StateMachine': 'StateMachine',
  'AWS::Serverless::LayerVersion': 'LayerVersion',
};
