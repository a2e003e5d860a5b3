import type { StackContext } from '../context';
import { asString, NO_VALUE } from '../intrinsics';
import { obj } from '../values';

/** The Outputs whose Condition holds, resolved to strings. */
export function outputModels(ctx: StackContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(obj(ctx.template.Outputs))) {
    const def = obj(raw);
    if (typeof def.Condition === 'string' && !ctx.condition(def.Condition, ctx.pos(raw))) continue;
    const value = ctx.resolver.resolve(def.Value ?? null, ctx.pos(raw));
    if (value !== NO_VALUE) out[name] = asString(value);
  }
  return out;
}
