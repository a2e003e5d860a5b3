import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type Tags } from 'yaml';

export const ROOT = join(__dirname, '..', '..', '..');

// CloudFormation short forms become the long forms ({Ref: x}, {'Fn::GetAtt': [...]}), so the
// test can read the template the way CloudFormation does.
const intrinsic = (name: string): Tags =>
  (['scalar', 'seq', 'map'] as const).map((kind) => ({
    tag: `!${name}`,
    collection: kind === 'scalar' ? undefined : kind,
    resolve: (value: unknown) => {
      const plain =
        value && typeof value === 'object' && 'toJSON' in value
          ? (value as { toJSON(): unknown }).toJSON()
          : value;
      if (name === 'Ref') return { Ref: plain };
      if (name === 'Condition') return { Condition: plain };
      if (name === 'GetAtt' && typeof plain === 'string') return { 'Fn::GetAtt': plain.split('.') };
      return { [`Fn::${name}`]: plain };
    },
  })) as Tags;

const TAG_NAMES = [
  'Ref',
  'GetAtt',
  'Sub',
  'Join',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Select',
  'Split',
  'FindInMap',
  'GetAZs',
  'ImportValue',
  'Base64',
  'Condition',
  'Cidr',
];

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
  Parameters: Record<string, { Default?: unknown }>;
  Globals: { Function: Record<string, Node> };
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}

export const loadTemplate = (): Template =>
  parse(readFileSync(join(ROOT, 'template.yaml'), 'utf8'), {
    customTags: TAG_NAMES.flatMap(intrinsic),
  }) as Template;

export const functionsOf = (template: Template) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Serverless::Function');
