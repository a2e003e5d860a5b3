import { TemplateError } from './errors';
import type { Position, TemplateObject, TemplateValue } from './parse-template';

/** `Ref: AWS::NoValue`: removes the property (or list item) that holds it. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');
export type Resolved = TemplateValue | typeof NO_VALUE;

export interface ResolverHost {
  file: string;
  positionOf(value: unknown): Position | undefined;
  pseudo: Record<string, TemplateValue>;
  parameter(name: string): TemplateValue | undefined;
  hasResource(logicalId: string): boolean;
  ref(logicalId: string): TemplateValue;
  getAtt(logicalId: string, attribute: string): TemplateValue;
  condition(name: string, where: Position | undefined): boolean;
  mappings: TemplateObject;
  warn(message: string): void;
}

const isObject = (v: unknown): v is TemplateObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export function asString(v: Resolved): string {
  if (v === NO_VALUE || v === null) return '';
  if (Array.isArray(v)) return v.map((x) => asString(x)).join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Resolves CloudFormation intrinsic functions to plain values. */
export class Resolver {
  constructor(private readonly host: ResolverHost) {}

  error(message: string, where: Position | undefined): TemplateError {
    return new TemplateError(message, { file: this.host.file, line: where?.line, column: where?.column });
  }

  resolve(value: TemplateValue, where?: Position): Resolved {
    const here = this.host.positionOf(value) ?? where;
    if (Array.isArray(value)) {
      const out: TemplateValue[] = [];
      for (const item of value) {
        const r = this.resolve(item, here);
        if (r !== NO_VALUE) out.push(r);
      }
      return out;
    }
    if (!isObject(value)) return value;
    const keys = Object.keys(value);
    const only = keys.length === 1 ? keys[0] : undefined;
    if (only !== undefined && (only === 'Ref' || only.startsWith('Fn::') || only === 'Condition')) {
      const arg = value[only] as TemplateValue;
      if (only !== 'Condition' || typeof arg === 'string') return this.intrinsic(only, arg, here);
    }
    const out: TemplateObject = {};
    for (const key of keys) {
      const r = this.resolve(value[key] as TemplateValue, here);
      if (r !== NO_VALUE) out[key] = r;
    }
    return out;
  }

  /** Resolves a value that must not be AWS::NoValue. */
  value(value: TemplateValue, where?: Position): TemplateValue {
    const r = this.resolve(value, where);
    return r === NO_VALUE ? null : r;
  }

  string(value: TemplateValue, where?: Position): string {
    return asString(this.resolve(value, where));
  }

  condition(value: TemplateValue, where?: Position): boolean {
    const r = this.resolve(value, where);
    if (typeof r === 'boolean') return r;
    if (r === 'true' || r === 'false') return r === 'true';
    throw this.error(`a condition must evaluate to true or false, got ${JSON.stringify(asString(r))}`, where);
  }

  private list(arg: TemplateValue, fn: string, min: number, where: Position | undefined): TemplateValue[] {
    if (!Array.isArray(arg) || arg.length < min) {
      throw this.error(`${fn} needs a list of at least ${min} items`, where);
    }
    return arg;
  }

  private intrinsic(fn: string, arg: TemplateValue, where: Position | undefined): Resolved {
    switch (fn) {
      case 'Ref':
        return this.ref(this.string(arg, where), where);
      case 'Condition':
        return this.host.condition(String(arg), where);
      case 'Fn::GetAtt': {
        const parts = typeof arg === 'string' ? arg.split(/\.(.*)/s, 2) : this.list(arg, fn, 2, where);
        const [id, attr] = parts.map((p) => this.string(p as TemplateValue, where));
        if (!id || !attr) throw this.error('Fn::GetAtt needs a resource and an attribute', where);
        return this.getAtt(id, attr, where);
      }
      case 'Fn::Sub':
        return this.sub(arg, where);
      case 'Fn::Join': {
        const [delimiter, items] = this.list(arg, fn, 2, where);
        const list = this.value(items as TemplateValue, where);
        if (!Array.isArray(list)) throw this.error('Fn::Join needs a list to join', where);
        return list.map((x) => asString(x)).join(asString(delimiter as TemplateValue));
      }
      case 'Fn::If': {
        const [name, whenTrue, whenFalse] = this.list(arg, fn, 3, where);
        const branch = this.host.condition(this.string(name as TemplateValue, where), where)
          ? whenTrue
          : whenFalse;
        return this.resolve(branch as TemplateValue, where);
      }
      case 'Fn::Equals': {
        const [a, b] = this.list(arg, fn, 2, where).map((x) => asString(this.resolve(x, where)));
        return a === b;
      }
      case 'Fn::Not': {
        const [a] = this.list(arg, fn, 1, where);
        return !this.condition(a as TemplateValue, where);
      }
      case 'Fn::And':
        return this.list(arg, fn, 2, where).every((c) => this.condition(c, where));
      case 'Fn::Or':
        return this.list(arg, fn, 2, where).some((c) => this.condition(c, where));
      case 'Fn::Select': {
        const [index, items] = this.list(arg, fn, 2, where);
        const i = Number(this.string(index as TemplateValue, where));
        const list = this.value(items as TemplateValue, where);
        if (!Array.isArray(list) || !Number.isInteger(i) || i < 0 || i >= list.length) {
          throw this.error(`Fn::Select index ${i} is out of range`, where);
        }
        return list[i] as TemplateValue;
      }
      case 'Fn::Split': {
        const [delimiter, source] = this.list(arg, fn, 2, where);
        return this.string(source as TemplateValue, where).split(
          this.string(delimiter as TemplateValue, where),
        );
      }
      case 'Fn::FindInMap': {
        const args = this.list(arg, fn, 3, where);
        const [map, top, second] = args.slice(0, 3).map((x) => this.string(x, where));
        const found = (this.host.mappings[map ?? ''] as TemplateObject | undefined)?.[top ?? ''];
        const v = isObject(found) ? found[second ?? ''] : undefined;
        if (v !== undefined) return this.resolve(v, where);
        const fallback = args[3];
        if (isObject(fallback) && 'DefaultValue' in fallback) {
          return this.resolve(fallback.DefaultValue as TemplateValue, where);
        }
        throw this.error(`Fn::FindInMap: no value for [${map}, ${top}, ${second}] in Mappings`, where);
      }
      case 'Fn::GetAZs': {
        const region = this.string(arg, where) || String(this.host.pseudo['AWS::Region']);
        return ['a', 'b', 'c'].map((z) => `${region}${z}`);
      }
      case 'Fn::ImportValue': {
        const name = this.string(arg, where);
        this.host.warn(`Fn::ImportValue ${name}: cross-stack exports do not exist locally; using "${name}"`);
        return name;
      }
      case 'Fn::Base64':
        return Buffer.from(this.string(arg, where), 'utf8').toString('base64');
      case 'Fn::Cidr': {
        const [block, count, bits] = this.list(arg, fn, 3, where).map((x) => this.string(x, where));
        return cidr(block ?? '', Number(count), Number(bits), (m) => this.error(m, where));
      }
      case 'Fn::ToJsonString':
        return JSON.stringify(this.value(arg, where));
      case 'Fn::Length': {
        const list = this.value(arg, where);
        if (!Array.isArray(list)) throw this.error('Fn::Length needs a list', where);
        return list.length;
      }
      case 'Fn::Transform':
        this.host.warn(
          'Fn::Transform (macros such as AWS::Include) is not supported locally; the value is dropped',
        );
        return NO_VALUE;
      default:
        throw this.error(`unknown intrinsic function ${fn}`, where);
    }
  }

  private ref(name: string, where: Position | undefined): Resolved {
    if (name === 'AWS::NoValue') return NO_VALUE;
    const pseudo = this.host.pseudo[name];
    if (pseudo !== undefined) return pseudo;
    if (name.startsWith('AWS::')) throw this.error(`Ref to unknown pseudo parameter ${name}`, where);
    const param = this.host.parameter(name);
    if (param !== undefined) return param;
    if (!this.host.hasResource(name)) throw this.error(`Ref to unknown resource or parameter ${name}`, where);
    return this.host.ref(name);
  }

  private getAtt(id: string, attr: string, where: Position | undefined): TemplateValue {
    if (!this.host.hasResource(id)) throw this.error(`Fn::GetAtt references unknown resource ${id}`, where);
    return this.host.getAtt(id, attr);
  }

  private sub(arg: TemplateValue, where: Position | undefined): string {
    let text: string;
    let vars: TemplateObject = {};
    if (typeof arg === 'string') text = arg;
    else {
      const [t, v] = this.list(arg, 'Fn::Sub', 1, where);
      if (typeof t !== 'string') throw this.error('Fn::Sub needs a string', where);
      text = t;
      if (isObject(v)) vars = v;
    }
    return text.replace(/\$\{([^}]*)\}/g, (_m, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      if (name in vars) return this.string(vars[name] as TemplateValue, where);
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) {
        return asString(this.getAtt(name.slice(0, dot), name.slice(dot + 1), where));
      }
      return asString(this.ref(name, where));
    });
  }
}

function cidr(block: string, count: number, hostBits: number, fail: (m: string) => Error): string[] {
  const [ip, prefix] = block.split('/');
  const octets = (ip ?? '').split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255)) || !prefix) {
    throw fail(`Fn::Cidr: ${block} is not an IPv4 CIDR block`);
  }
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** hostBits;
  if (!(count >= 1) || size * count > 2 ** (32 - Number(prefix)))
    throw fail(`Fn::Cidr: ${block} has no room`);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = base + i * size;
    const parts = [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256);
    out.push(`${parts.join('.')}/${32 - hostBits}`);
  }
  return out;
}
