import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { TemplateError } from './errors';

export type TemplateValue =
  | string
  | number
  | boolean
  | null
  | TemplateValue[]
  | { [key: string]: TemplateValue };
export type TemplateObject = { [key: string]: TemplateValue };

export interface Position {
  line: number;
  column: number;
}

export interface ParsedTemplate {
  template: TemplateObject;
  /** Where an object or array of the template starts in the source (intrinsics are objects, so they have one). */
  positionOf(value: unknown): Position | undefined;
}

// The CloudFormation short forms. `!X` becomes `{ 'Fn::X': ... }` except these two.
const SHORT_FORMS = new Set([
  'Ref',
  'Condition',
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
  'Cidr',
  'Transform',
  'ToJsonString',
  'Length',
]);

/** Parses YAML or JSON CloudFormation source, turning short-form tags into their long forms. */
export function parseTemplate(source: string, file: string): ParsedTemplate {
  const lineCounter = new LineCounter();
  // Unknown tags are left unresolved by the parser (a warning) and handled below, where the tag is known.
  const doc = parseDocument(source, { lineCounter, uniqueKeys: true, merge: false });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const reason = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'invalid YAML';
    throw new TemplateError(`invalid YAML: ${reason}`, { file, line: pos?.line, column: pos?.col });
  }
  const positions = new WeakMap<object, Position>();
  const at = (node: Node): Position => {
    let offset = node.range?.[0] ?? 0;
    // A node's range starts after its tag; point at the tag (`!Ref X`), which is what a reader looks for.
    if (node.tag) {
      const tagAt = source.lastIndexOf(node.tag, offset);
      if (tagAt >= 0 && !source.slice(tagAt, offset).includes('\n')) offset = tagAt;
    }
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };

  const convert = (node: unknown): TemplateValue => {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return convert(node.resolve(doc));
    const n = node as Node;
    let value: TemplateValue;
    if (isScalar(n)) {
      value = n.value as TemplateValue;
      if (typeof value === 'bigint') value = Number(value);
    } else if (isMap(n)) {
      const obj: TemplateObject = {};
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        obj[key] = convert(pair.value);
      }
      positions.set(obj, at(n));
      value = obj;
    } else if (isSeq(n)) {
      const arr = n.items.map((item) => convert(item));
      positions.set(arr, at(n));
      value = arr;
    } else {
      value = null;
    }
    const tag = n.tag;
    if (!tag?.startsWith('!') || tag === '!') return value;
    const name = tag.slice(1);
    if (!SHORT_FORMS.has(name)) {
      const p = at(n);
      throw new TemplateError(`unknown tag ${tag}`, { file, line: p.line, column: p.column });
    }
    if (isScalar(n) && typeof value !== 'string') value = value === null ? '' : String(value);
    let long: TemplateObject;
    if (name === 'Ref' || name === 'Condition') long = { [name]: value };
    else if (name === 'GetAtt' && typeof value === 'string') {
      const dot = value.indexOf('.');
      long = { 'Fn::GetAtt': dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
    } else long = { [`Fn::${name}`]: value };
    positions.set(long, at(n));
    return long;
  };

  const template = convert(doc.contents);
  if (template === null || typeof template !== 'object' || Array.isArray(template)) {
    throw new TemplateError('a template must be a mapping with a Resources section', { file, line: 1 });
  }
  return {
    template,
    positionOf: (value) => (value !== null && typeof value === 'object' ? positions.get(value) : undefined),
  };
}
