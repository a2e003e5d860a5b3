// EventBridge event pattern validation and matching, written from the EventBridge user guide
// ("Content filtering", "Comparison operators", "Arrays", "Null values") and the documented
// behaviour of aws/event-ruler, the matcher EventBridge itself uses. Longer than ~400 lines on
// purpose: the validator and the matcher walk the same grammar operator by operator, and keeping an
// operator's two halves side by side is what keeps them in step.
//
// Semantics worth knowing (all from those sources):
// - Fields in one object are ANDed; the values in a leaf array are ORed; `$or` ORs sub-patterns.
// - A leaf matches against the field's leaf values: a scalar is one value, an array is its
//   elements (flattened), an object is NOT a leaf and contributes no value. A leaf matches when
//   any of its matchers matches any of those values.
// - `exists: true` needs at least one leaf value (null counts: it is a JSON value);
//   `exists: false` matches a missing field, an empty array and an object-valued field.
// - Every other matcher needs a value: `anything-but` on a missing field does not match.
// - `prefix`, `suffix`, `equals-ignore-case`, `wildcard`, `cidr` only match strings; `numeric` only
//   matches JSON numbers; exact values compare type and value (the string "5" is not the number 5).
// - Objects inside an event array are matched element by element: all fields of one sub-pattern
//   must match within the same element (event-ruler's array-consistent matching).

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type EventPattern = Record<string, unknown>;

/** Thrown for a pattern PutRule would reject; the message follows EventBridge's wording. */
export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternException';
  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
  }
}

const OPERATORS = new Set([
  'prefix',
  'suffix',
  'anything-but',
  'numeric',
  'exists',
  'equals-ignore-case',
  'wildcard',
  'cidr',
]);
// event-ruler documents numeric matching for values between -5.0e9 and +5.0e9 inclusive.
const NUMERIC_LIMIT = 5e9;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/** Throws InvalidEventPatternError when `pattern` is not a pattern PutRule would accept. */
export function validateEventPattern(pattern: unknown): asserts pattern is EventPattern {
  if (!isPlainObject(pattern)) throw new InvalidEventPatternError('Filter is not an object');
  validateObject(pattern, false);
}

function validateObject(obj: Record<string, unknown>, insideOr: boolean): void {
  const keys = Object.keys(obj);
  if (keys.length === 0) throw new InvalidEventPatternError('Empty objects are not allowed');
  for (const key of keys) {
    const value = obj[key];
    if (key === '$or') {
      validateOr(value);
      continue;
    }
    if (insideOr && OPERATORS.has(key)) {
      throw new InvalidEventPatternError(
        `${key} is Ruler reserved fieldName which cannot be used inside $or.`,
      );
    }
    if (Array.isArray(value)) validateLeaf(key, value);
    else if (isPlainObject(value)) validateObject(value, insideOr);
    else throw new InvalidEventPatternError(`"${key}" must be an object or an array`);
  }
}

function validateOr(value: unknown): void {
  if (!Array.isArray(value)) throw new InvalidEventPatternError('It must be an Array followed with $or.');
  for (const item of value) {
    if (!isPlainObject(item)) {
      throw new InvalidEventPatternError('Only JSON object is allowed in array of $or relationship.');
    }
    validateObject(item, true);
  }
  if (value.length < 2) {
    throw new InvalidEventPatternError('There must have at least 2 Objects in $or relationship.');
  }
}

function validateLeaf(key: string, values: unknown[]): void {
  if (values.length === 0) throw new InvalidEventPatternError('Empty arrays are not allowed');
  for (const value of values) {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new InvalidEventPatternError(`Invalid number in "${key}"`);
      continue;
    }
    if (isPlainObject(value)) {
      validateMatchExpression(value);
      continue;
    }
    throw new InvalidEventPatternError('Match value must be String, number, true, false, or null');
  }
}

function onlyKey(expr: Record<string, unknown>): [string, unknown] {
  const entries = Object.entries(expr);
  if (entries.length === 0) throw new InvalidEventPatternError('Match expression name not found');
  if (entries.length > 1) throw new InvalidEventPatternError('Only one key allowed in match expression');
  return entries[0] as [string, unknown];
}

function validateMatchExpression(expr: Record<string, unknown>): void {
  const [op, arg] = onlyKey(expr);
  switch (op) {
    case 'prefix':
    case 'suffix':
      validateStringOrIgnoreCase(op, arg);
      return;
    case 'equals-ignore-case':
      if (typeof arg !== 'string') {
        throw new InvalidEventPatternError('equals-ignore-case match pattern must be a string');
      }
      return;
    case 'wildcard':
      if (typeof arg !== 'string')
        throw new InvalidEventPatternError('wildcard match pattern must be a string');
      validateWildcard(arg);
      return;
    case 'exists':
      if (typeof arg !== 'boolean') {
        throw new InvalidEventPatternError('exists match pattern must be either true or false.');
      }
      return;
    case 'cidr':
      if (typeof arg !== 'string' || parseCidr(arg) === undefined) {
        throw new InvalidEventPatternError(`Malformed CIDR, one '/' required: ${String(arg)}`);
      }
      return;
    case 'numeric':
      parseNumeric(arg);
      return;
    case 'anything-but':
      validateAnythingBut(arg);
      return;
    default:
      throw new InvalidEventPatternError(`Unrecognized match type ${op}`);
  }
}

function validateStringOrIgnoreCase(op: string, arg: unknown): void {
  if (typeof arg === 'string') return;
  if (isPlainObject(arg)) {
    const [inner, value] = onlyKey(arg);
    if (inner === 'equals-ignore-case' && typeof value === 'string') return;
    throw new InvalidEventPatternError(`Unsupported ${op} pattern: ${inner}`);
  }
  throw new InvalidEventPatternError(`${op} match pattern must be a string`);
}

function validateWildcard(text: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      const next = text[i + 1];
      if (next !== '*' && next !== '\\') {
        throw new InvalidEventPatternError(`Invalid use of backslash escape character at index ${i}`);
      }
      i++;
    } else if (c === '*' && text[i + 1] === '*') {
      throw new InvalidEventPatternError(`Consecutive wildcard characters at pos ${i + 1}`);
    }
  }
}

function validateAnythingBut(arg: unknown): void {
  if (typeof arg === 'string') return;
  if (typeof arg === 'number') {
    checkNumericLimit(arg);
    return;
  }
  if (Array.isArray(arg)) {
    const allStrings = arg.length > 0 && arg.every((v) => typeof v === 'string');
    const allNumbers = arg.length > 0 && arg.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!allStrings && !allNumbers) {
      throw new InvalidEventPatternError(
        'Inside anything but list, either all values are number or string, mixed type is not supported',
      );
    }
    if (allNumbers) for (const n of arg as number[]) checkNumericLimit(n);
    return;
  }
  if (isPlainObject(arg)) {
    const [op, value] = onlyKey(arg);
    switch (op) {
      case 'prefix':
      case 'suffix':
        if (typeof value !== 'string') {
          throw new InvalidEventPatternError('prefix/suffix match pattern must be a string');
        }
        if (value === '') throw new InvalidEventPatternError('Null prefix/suffix not allowed');
        return;
      case 'equals-ignore-case':
      case 'wildcard': {
        const list = Array.isArray(value) ? value : [value];
        if (list.length === 0 || !list.every((v) => typeof v === 'string')) {
          throw new InvalidEventPatternError(
            `Inside anything-but/${op} list, number|start|null|boolean is not supported.`,
          );
        }
        if (op === 'wildcard') for (const w of list as string[]) validateWildcard(w);
        return;
      }
      default:
        throw new InvalidEventPatternError(`Unsupported anything-but pattern: ${op}`);
    }
  }
  throw new InvalidEventPatternError('Value of anything-but must be an array or single string/number value.');
}

function checkNumericLimit(n: number): void {
  if (!Number.isFinite(n) || Math.abs(n) > NUMERIC_LIMIT) {
    throw new InvalidEventPatternError(`Value ${n} is out of the numeric range -5.0e9 to 5.0e9`);
  }
}

interface NumericRange {
  lower?: { value: number; open: boolean };
  upper?: { value: number; open: boolean };
  equals?: number;
}

// Accepted shapes: ["=", n], [">"|">=", n], ["<"|"<=", n], [">"|">=", a, "<"|"<=", b].
function parseNumeric(arg: unknown): NumericRange {
  if (!Array.isArray(arg)) throw new InvalidEventPatternError('Value of numeric must be an array.');
  const [op, value, op2, value2, ...rest] = arg as unknown[];
  if (typeof op !== 'string')
    throw new InvalidEventPatternError(`Invalid member in numeric match: ${String(op)}`);
  if (typeof value !== 'number') throw new InvalidEventPatternError(`Value of ${op} must be numeric`);
  checkNumericLimit(value);
  if (op === '=' || op === '<' || op === '<=') {
    if (arg.length > 2) throw new InvalidEventPatternError('Too many elements in numeric expression');
    if (op === '=') return { equals: value };
    return { upper: { value, open: op === '<' } };
  }
  if (op !== '>' && op !== '>=')
    throw new InvalidEventPatternError(`Unrecognized numeric range operator: ${op}`);
  const lower = { value, open: op === '>' };
  if (arg.length === 2) return { lower };
  if (op2 !== '<' && op2 !== '<=')
    throw new InvalidEventPatternError(`Bad numeric range operator: ${String(op2)}`);
  if (typeof value2 !== 'number') throw new InvalidEventPatternError(`Value of ${op2} must be numeric`);
  checkNumericLimit(value2);
  if (rest.length > 0) throw new InvalidEventPatternError('Too many terms in numeric range expression');
  if (value2 <= value) throw new InvalidEventPatternError('Bottom must be less than top');
  return { lower, upper: { value: value2, open: op2 === '<' } };
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

/**
 * True when `event` (an EventBridge envelope, or any JSON object) matches `pattern`.
 * The pattern is assumed valid; call validateEventPattern first (the service does, at load).
 */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return matchObject(pattern, isPlainObject(event) ? event : {});
}

function matchObject(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  for (const [key, spec] of Object.entries(pattern)) {
    if (key === '$or' && Array.isArray(spec)) {
      if (!spec.some((sub) => isPlainObject(sub) && matchObject(sub, event))) return false;
      continue;
    }
    const present = Object.hasOwn(event, key);
    const value = present ? event[key] : undefined;
    if (Array.isArray(spec)) {
      if (!matchLeaf(spec, leafValues(present, value))) return false;
    } else if (isPlainObject(spec)) {
      if (!matchNested(spec, value)) return false;
    } else {
      return false;
    }
  }
  return true;
}

function matchNested(spec: Record<string, unknown>, value: unknown): boolean {
  if (isPlainObject(value)) return matchObject(spec, value);
  if (Array.isArray(value)) {
    const objects = flatten(value).filter(isPlainObject);
    // No object to descend into: every field below is absent (only `exists: false` can match).
    if (objects.length === 0) return matchObject(spec, {});
    return objects.some((element) => matchObject(spec, element));
  }
  return matchObject(spec, {});
}

function flatten(values: unknown[]): unknown[] {
  return values.flatMap((v) => (Array.isArray(v) ? flatten(v) : [v]));
}

function leafValues(present: boolean, value: unknown): unknown[] {
  if (!present || value === undefined) return [];
  if (Array.isArray(value)) return flatten(value).filter((v) => !isPlainObject(v));
  if (isPlainObject(value)) return [];
  return [value];
}

function matchLeaf(matchers: unknown[], values: unknown[]): boolean {
  return matchers.some((matcher) => {
    if (isPlainObject(matcher) && 'exists' in matcher) {
      return matcher.exists === true ? values.length > 0 : values.length === 0;
    }
    return values.some((value) => matchValue(matcher, value));
  });
}

function matchValue(matcher: unknown, value: unknown): boolean {
  if (!isPlainObject(matcher)) return matcher === value;
  const [op, arg] = Object.entries(matcher)[0] ?? [];
  switch (op) {
    case 'prefix':
      return typeof value === 'string' && affixMatch(arg, value, (v, a) => v.startsWith(a));
    case 'suffix':
      return typeof value === 'string' && affixMatch(arg, value, (v, a) => v.endsWith(a));
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof arg === 'string' && foldCase(value) === foldCase(arg);
    case 'wildcard':
      return typeof value === 'string' && typeof arg === 'string' && wildcardRegExp(arg).test(value);
    case 'numeric':
      return typeof value === 'number' && numericMatch(parseNumeric(arg), value);
    case 'cidr':
      return typeof value === 'string' && typeof arg === 'string' && cidrMatch(arg, value);
    case 'anything-but':
      return anythingButMatch(arg, value);
    default:
      return false;
  }
}

function foldCase(s: string): string {
  return s.toLowerCase();
}

function affixMatch(arg: unknown, value: string, test: (value: string, affix: string) => boolean): boolean {
  if (typeof arg === 'string') return test(value, arg);
  if (isPlainObject(arg) && typeof arg['equals-ignore-case'] === 'string') {
    return test(foldCase(value), foldCase(arg['equals-ignore-case']));
  }
  return false;
}

function numericMatch(range: NumericRange, n: number): boolean {
  if (range.equals !== undefined) return n === range.equals;
  const { lower, upper } = range;
  if (lower && (lower.open ? !(n > lower.value) : !(n >= lower.value))) return false;
  if (upper && (upper.open ? !(n < upper.value) : !(n <= upper.value))) return false;
  return true;
}

// anything-but matches any present leaf value that is not excluded. A numeric exclusion only
// matches numbers (event-ruler treats numeric anything-but as a numeric matcher); string-based
// exclusions match any value that is not a string meeting the excluded condition.
function anythingButMatch(arg: unknown, value: unknown): boolean {
  if (typeof arg === 'number') return typeof value === 'number' && value !== arg;
  if (typeof arg === 'string') return value !== arg;
  if (Array.isArray(arg)) {
    if (arg.every((a) => typeof a === 'number')) return typeof value === 'number' && !arg.includes(value);
    return !arg.includes(value);
  }
  if (isPlainObject(arg)) {
    const [op, inner] = Object.entries(arg)[0] ?? [];
    if (typeof value !== 'string') return true;
    const list = Array.isArray(inner) ? inner : [inner];
    switch (op) {
      case 'prefix':
        return typeof inner === 'string' && !value.startsWith(inner);
      case 'suffix':
        return typeof inner === 'string' && !value.endsWith(inner);
      case 'equals-ignore-case':
        return !list.some((s) => typeof s === 'string' && foldCase(s) === foldCase(value));
      case 'wildcard':
        return !list.some((s) => typeof s === 'string' && wildcardRegExp(s).test(value));
      default:
        return false;
    }
  }
  return false;
}

const wildcardCache = new Map<string, RegExp>();

// `*` matches any run of characters; `\*` is a literal asterisk and `\\` a literal backslash.
function wildcardRegExp(pattern: string): RegExp {
  const cached = wildcardCache.get(pattern);
  if (cached) return cached;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) {
      source += escapeRegExp(pattern[i + 1] as string);
      i++;
    } else if (c === '*') {
      source += '.*';
    } else {
      source += escapeRegExp(c);
    }
  }
  const re = new RegExp(`^${source}$`, 's');
  wildcardCache.set(pattern, re);
  return re;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// IP addresses
// ---------------------------------------------------------------------------------------------

interface ParsedIp {
  version: 4 | 6;
  value: bigint;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let groups: string[];
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? (halves[0] as string).split(':') : [];
  const tail = halves.length === 2 && halves[1] ? (halves[1] as string).split(':') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two 16-bit groups.
  const expandV4 = (list: string[]): string[] | undefined => {
    const last = list[list.length - 1];
    if (last?.includes('.')) {
      const v4 = parseIpv4(last);
      if (v4 === undefined) return undefined;
      return [...list.slice(0, -1), (v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
    }
    return list;
  };
  if (halves.length === 2) {
    const t = expandV4(tail);
    if (!t) return undefined;
    const missing = 8 - head.length - t.length;
    if (missing < 1) return undefined;
    groups = [...head, ...Array<string>(missing).fill('0'), ...t];
  } else {
    const h = expandV4(head);
    if (!h) return undefined;
    groups = h;
  }
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return value;
}

function parseIp(text: string): ParsedIp | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 !== undefined) return { version: 6, value: v6 };
  return undefined;
}

function parseCidr(text: string): { version: 4 | 6; network: bigint; mask: bigint } | undefined {
  const parts = text.split('/');
  if (parts.length !== 2 || !/^\d{1,3}$/.test(parts[1] as string)) return undefined;
  const ip = parseIp(parts[0] as string);
  if (!ip) return undefined;
  const bits = ip.version === 4 ? 32 : 128;
  const prefix = Number(parts[1]);
  if (prefix > bits) return undefined;
  const all = (1n << BigInt(bits)) - 1n;
  const mask = (all << BigInt(bits - prefix)) & all;
  return { version: ip.version, network: ip.value & mask, mask };
}

function cidrMatch(cidr: string, value: string): boolean {
  const range = parseCidr(cidr);
  const ip = parseIp(value);
  if (!range || !ip || ip.version !== range.version) return false;
  return (ip.value & range.mask) === range.network;
}
