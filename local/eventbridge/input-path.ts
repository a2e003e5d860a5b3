// The subset of JSONPath that EventBridge's InputPath uses in practice: `$`, `$.a.b`, `$.a[0]`,
// `$['a-b']`. A path that selects nothing yields undefined.

const SEGMENT = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;

export function isValidInputPath(path: string): boolean {
  return parseInputPath(path) !== undefined;
}

function parseInputPath(path: string): Array<string | number> | undefined {
  if (!path.startsWith('$')) return undefined;
  const segments: Array<string | number> = [];
  SEGMENT.lastIndex = 1;
  while (SEGMENT.lastIndex < path.length) {
    const start = SEGMENT.lastIndex;
    const match = SEGMENT.exec(path);
    if (!match || match.index !== start) return undefined;
    if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push((match[1] ?? match[3] ?? match[4]) as string);
  }
  return segments;
}

export function selectInputPath(value: unknown, path: string): unknown {
  const segments = parseInputPath(path);
  if (!segments) throw new Error(`InputPath ${path} is not a valid JSONPath`);
  let current: unknown = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}
