import type { TemplateError } from './errors';
import { asString, type Resolver } from './intrinsics';
import type { Position, TemplateObject, TemplateValue } from './parse-template';
import { obj } from './values';

interface ParameterHost {
  template: TemplateObject;
  warn(message: string): void;
  fail(message: string, at: unknown): TemplateError;
}

/** The template's Parameters with their overrides applied; list types become string arrays. */
export function readParameters(
  host: ParameterHost,
  overrides: Record<string, string>,
): Record<string, TemplateValue> {
  const out: Record<string, TemplateValue> = {};
  const declared = obj(host.template.Parameters);
  for (const name of Object.keys(overrides)) {
    if (!(name in declared)) host.warn(`parameter override ${name}: the template declares no such parameter`);
  }
  for (const [name, raw] of Object.entries(declared)) {
    const decl = obj(raw);
    const type = String(decl.Type ?? 'String');
    const given = overrides[name] ?? (decl.Default === undefined ? undefined : asString(decl.Default));
    if (given === undefined) {
      throw host.fail(`parameter ${name} has no Default and no override was given`, raw);
    }
    const allowed = Array.isArray(decl.AllowedValues)
      ? decl.AllowedValues.map((v) => asString(v))
      : undefined;
    if (allowed && !allowed.includes(given)) {
      throw host.fail(`parameter ${name}: "${given}" is not one of ${allowed.join(', ')}`, raw);
    }
    if (type.startsWith('AWS::SSM::Parameter::Value')) {
      host.warn(`parameter ${name}: SSM parameters are not read locally; using "${given}"`);
    }
    out[name] =
      type.startsWith('List<') || type === 'CommaDelimitedList' || type.includes('List<')
        ? given.split(',').map((s) => s.trim())
        : given;
  }
  return out;
}

/** The template's Conditions, each evaluated once, on first use; a condition may use others. */
export class Conditions {
  private readonly values = new Map<string, boolean>();
  private readonly inProgress = new Set<string>();

  constructor(
    private readonly definitions: TemplateObject,
    /** The resolver is built with this object's `value`, hence read lazily. */
    private readonly resolver: () => Resolver,
    private readonly positionOf: (value: unknown) => Position | undefined,
  ) {}

  value(name: string, where: Position | undefined): boolean {
    const known = this.values.get(name);
    if (known !== undefined) return known;
    const resolver = this.resolver();
    if (!(name in this.definitions)) throw resolver.error(`unknown condition ${name}`, where);
    if (this.inProgress.has(name)) throw resolver.error(`condition ${name} refers to itself`, where);
    this.inProgress.add(name);
    const definition = this.definitions[name] as TemplateValue;
    const value = resolver.condition(definition, this.positionOf(definition) ?? where);
    this.inProgress.delete(name);
    this.values.set(name, value);
    return value;
  }
}
