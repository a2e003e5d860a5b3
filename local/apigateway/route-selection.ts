/**
 * Route selection as API Gateway does it for WebSocket messages: evaluate the API's
 * RouteSelectionExpression against the frame's JSON body, use the route with that key, and fall
 * back to `$default` when the body is not JSON, the value is missing or no route has that key.
 *
 * Supported: `$request.body.<path>` (dotted, any depth, e.g. `$request.body.meta.type`) and the
 * template form with `${request.body.<path>}` parts and literal text between them
 * (e.g. `${request.body.service}/${request.body.action}`).
 */
export type RouteSelector = (body: string) => string | undefined;

export class RouteSelectionError extends Error {
  override name = 'RouteSelectionError';
}

type Part = { literal: string } | { path: string[] };

const BODY_PREFIX = 'request.body.';

function parsePath(reference: string, expression: string): string[] {
  if (!reference.startsWith(BODY_PREFIX)) {
    throw new RouteSelectionError(
      `Route selection expression ${expression}: only $request.body.<path> is supported for messages`,
    );
  }
  const path = reference.slice(BODY_PREFIX.length).split('.');
  if (path.some((segment) => segment === '')) {
    throw new RouteSelectionError(`Route selection expression ${expression}: empty path segment`);
  }
  return path;
}

export function parseRouteSelectionExpression(expression: string): Part[] {
  const trimmed = expression.trim();
  if (trimmed.startsWith('$request.')) return [{ path: parsePath(trimmed.slice(1), expression) }];
  const parts: Part[] = [];
  const pattern = /\$\{([^}]*)\}/g;
  let last = 0;
  for (let match = pattern.exec(trimmed); match; match = pattern.exec(trimmed)) {
    if (match.index > last) parts.push({ literal: trimmed.slice(last, match.index) });
    parts.push({ path: parsePath(match[1] ?? '', expression) });
    last = match.index + match[0].length;
  }
  if (last < trimmed.length) parts.push({ literal: trimmed.slice(last) });
  if (!parts.some((part) => 'path' in part)) {
    throw new RouteSelectionError(`Route selection expression ${expression} does not reference the body`);
  }
  return parts;
}

function lookup(root: unknown, path: string[]): string | undefined {
  let value: unknown = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  // A number or boolean selects the route whose key is its text, as a string would.
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function parseBody(body: string): unknown {
  // Cheap pre-check: most frames that are not JSON objects never reach JSON.parse.
  let i = 0;
  while (i < body.length && (body[i] === ' ' || body[i] === '\n' || body[i] === '\r' || body[i] === '\t'))
    i++;
  if (body[i] !== '{') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Evaluates the expression against a frame body: the selection value, or undefined. */
export function compileSelectionExpression(expression: string): (body: string) => string | undefined {
  const parts = parseRouteSelectionExpression(expression);
  return (body) => {
    const json = parseBody(body);
    if (json === undefined) return undefined;
    let out = '';
    for (const part of parts) {
      if ('literal' in part) {
        out += part.literal;
        continue;
      }
      const value = lookup(json, part.path);
      if (value === undefined) return undefined;
      out += value;
    }
    return out;
  };
}

/**
 * A selector over the API's route keys: the matching custom route key, else `$default` when the
 * API has one, else undefined (the gateway answers Forbidden). Built-in keys ($connect,
 * $disconnect, $default) are never selected by a body value.
 */
export function createRouteSelector(expression: string, routeKeys: Iterable<string>): RouteSelector {
  const evaluate = compileSelectionExpression(expression);
  const custom = new Set<string>();
  let hasDefault = false;
  for (const key of routeKeys) {
    if (key === '$default') hasDefault = true;
    else if (!key.startsWith('$')) custom.add(key);
  }
  const fallback = hasDefault ? '$default' : undefined;
  return (body) => {
    const value = evaluate(body);
    return value !== undefined && custom.has(value) ? value : fallback;
  };
}
