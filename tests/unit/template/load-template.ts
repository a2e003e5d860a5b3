import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTemplate } from '../../../local/template/parse-template';

export const ROOT = join(__dirname, '..', '..', '..');

// biome-ignore lint/suspicious/noExplicitAny: a template is free-form YAML; the tests assert its shape.
export type Node = any;

export type Resource = {
  Type: string;
  Properties?: Record<string, Node>;
  Metadata?: Record<string, Node>;
  Condition?: string;
  DependsOn?: string | string[];
};
export interface Template {
  Parameters: Record<
    string,
    { Default?: unknown; AllowedPattern?: string; MinValue?: number; MaxValue?: number }
  >;
  Conditions: Record<string, Node>;
  Globals: { Function: Record<string, Node> };
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}

// The local stack's parser turns CloudFormation short forms into long forms ({Ref: x},
// {'Fn::GetAtt': [...]}), so the test reads the template the way CloudFormation does.
export const loadTemplate = (): Template => {
  const file = join(ROOT, 'template.yaml');
  return parseTemplate(readFileSync(file, 'utf8'), file).template as unknown as Template;
};

export const functionsOf = (template: Template) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Serverless::Function');
