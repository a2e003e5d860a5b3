// How a CPU profile of a bundle's require() is charged to the bundle's inputs and to Node's modules.
import { attribute, lineOwners, type Profile, packageOf } from '../lib/cold-start-attribution';

const bundle = [
  '"use strict";', // line 1: esbuild's helpers
  'var __commonJS = (cb, mod) => function __require() {};', // line 2
  '// node_modules/semver/index.js', // line 3
  'var require_semver = __commonJS({', // line 4
  '  "node_modules/semver/index.js"(exports, module) {', // line 5: the wrapped body
  '  }', // line 6
  '});', // line 7
  '// node_modules/@smithy/core/dist-es/index.js', // line 8
  'var client = makeClient();', // line 9
  '// src/shared/powertools.ts', // line 10
  'var logger = new Logger();', // line 11
].join('\n');

/** A profile of one require(): each node's self time is the sum of its samples' deltas (in µs). */
const profile = (nodes: Profile['nodes'], selfUs: Record<number, number>): Profile => {
  const samples: number[] = [];
  const timeDeltas = [0];
  for (const [id, us] of Object.entries(selfUs)) {
    samples.push(Number(id));
    timeDeltas.push(us);
  }
  return { nodes, samples, timeDeltas };
};

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
const BUNDLE = '/tmp/x/handler.js';

describe('charging a require() profile to a bundle', () => {
  it('names packages and source folders', () => {
    expect(packageOf('node_modules/@smithy/core/dist-es/x.js')).toBe('@smithy/core');
    expect(packageOf('node_modules/@aws-lambda-powertools/idempotency/node_modules/x/y.js')).toBe(
      '@aws-lambda-powertools/idempotency',
    );
    expect(packageOf('src/chat/names.ts')).toBe('src/chat');
  });

  it('gives each line of the bundle the input whose // path comment precedes it', () => {
    const owners = lineOwners(bundle);

    expect(owners[0]).toBe('(esbuild helpers, script compile)');
    expect(owners[4]).toBe('node_modules/semver/index.js');
    expect(owners[8]).toBe('node_modules/@smithy/core/dist-es/index.js');
    expect(owners[10]).toBe('src/shared/powertools.ts');
  });

  it('charges top-level self time by line, a wrapped module to itself, and builtin loads to the builtin', () => {
    // Prepare: the bundle's top level (lines 9 and 11 sampled), semver's __require (compiling its
    // body), node:https loading under the top level, and a sample outside the require
    const nodes: Profile['nodes'] = [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 7] },
      {
        id: 2,
        callFrame: frame('', `file://${BUNDLE}`, 0),
        children: [3, 5],
        positionTicks: [
          { line: 9, ticks: 3 },
          { line: 11, ticks: 1 },
        ],
      },
      { id: 3, callFrame: frame('__require', `file://${BUNDLE}`, 1), children: [4] },
      { id: 4, callFrame: frame('node_modules/semver/index.js', `file://${BUNDLE}`, 4) },
      { id: 5, callFrame: frame('', 'node:https'), children: [6] },
      { id: 6, callFrame: frame('compileForInternalLoader', 'node:internal/bootstrap/realm') },
      { id: 7, callFrame: frame('main', 'node:internal/main/eval_string') },
    ];
    const ms = new Map<string, number>();

    // Act
    attribute(profile(nodes, { 2: 4000, 3: 2000, 6: 5000, 7: 9000 }), '/handler.js', lineOwners(bundle), ms);

    // Assert
    expect(Object.fromEntries(ms)).toEqual({
      'node_modules/@smithy/core/dist-es/index.js': 3,
      'src/shared/powertools.ts': 1,
      'node_modules/semver/index.js': 2,
      'node:https': 5,
    });
  });
});
