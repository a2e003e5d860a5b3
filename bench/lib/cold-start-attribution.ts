/**
 * How bench/lib/cold-start-profile.ts charges a CPU profile of a bundle's require() to the bundle's
 * inputs (by esbuild's `// path` comments in an unminified build) and to Node's own modules.
 */
export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** 'node_modules/@smithy/core/dist-es/x.js' -> '@smithy/core'; 'src/chat/names.ts' -> 'src/chat'. */
export const packageOf = (input: string): string =>
  /node_modules\/((@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.split('/').slice(0, 2).join('/');

export const sumBy = <T>(items: Iterable<T>, key: (item: T) => string, value: (item: T) => number) => {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + value(item));
  return [...out].sort((a, b) => b[1] - a[1]);
};

/** Which input owns each line of an unminified bundle (esbuild's `// path` comments). */
export const lineOwners = (bundle: string): string[] => {
  let owner = '(esbuild helpers, script compile)';
  return bundle.split('\n').map((line) => {
    const comment = /^\/\/ (\S+\.(?:[cm]?[jt]s|json))$/.exec(line);
    if (comment?.[1]) owner = comment[1];
    return owner;
  });
};

/** Milliseconds of one profile charged to inputs of the bundle and to the Node builtins it loads. */
export const attribute = (
  profile: Profile,
  bundleUrlEnd: string,
  owners: string[],
  into: Map<string, number>,
) => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  });
  const add = (key: string, ms: number) => into.set(key, (into.get(key) ?? 0) + ms);
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (!node) continue;
    // esbuild's __require/__init run a wrapped module's body once; their self time is mostly V8
    // compiling that body (a CommonJS input's whole code), so it is charged to that input.
    const wrapped = ['__require', '__init'].includes(node.callFrame.functionName)
      ? node.children
          ?.map((child) => byId.get(child))
          .find((child) => child?.callFrame.url.endsWith(bundleUrlEnd))
      : undefined;
    if (wrapped) {
      add(owners[wrapped.callFrame.lineNumber] ?? '?', ms);
      continue;
    }
    if (node.callFrame.url.endsWith(bundleUrlEnd)) {
      // Spread the node's self time over the lines it was sampled on.
      const ticks = node.positionTicks ?? [{ line: node.callFrame.lineNumber + 1, ticks: 1 }];
      const total = ticks.reduce((sum, t) => sum + t.ticks, 0);
      for (const t of ticks) add(owners[t.line - 1] ?? '?', (ms * t.ticks) / total);
      continue;
    }
    // Not bundle code: count it only when the bundle is on the stack (its require), as the
    // outermost Node builtin being loaded, or GC / the engine itself.
    let builtin: string | undefined;
    let underBundle = false;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const url = byId.get(at)?.callFrame.url ?? '';
      if (url.endsWith(bundleUrlEnd)) {
        underBundle = true;
        break;
      }
      if (/^node:(?!internal)/.test(url)) builtin = url;
    }
    const name = node.callFrame.functionName;
    if (underBundle) add(builtin ?? `node: (internals: ${name || 'anonymous'})`, ms);
    else if (name === '(garbage collector)') add('(garbage collector)', ms);
  }
};
