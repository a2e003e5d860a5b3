import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The AWS SDK for JavaScript v3 that Lambda's nodejs18.x and later runtimes provide: locally, the
 * stack's own copy (this project's node_modules). A function's code that carries a package keeps
 * its own; the runtime's copy is only the fallback, as on Lambda.
 */
export interface RuntimeSdk {
  /** The project whose node_modules holds the stack's `@aws-sdk/*` and `@smithy/*`. */
  projectDir: string;
  /** The stack's node_modules. */
  nodeModules: string;
  /**
   * A folder holding only `@aws-sdk` and `@smithy` (links into nodeModules), for CommonJS's
   * NODE_PATH: Lambda's runtime folder holds the SDK, not every package the project has.
   */
  nodePath: string;
}

/** Lambda's Node.js runtimes ship SDK v3 from nodejs18.x on (nodejs16.x and before shipped v2). */
export function shipsSdkV3(runtime: string): boolean {
  const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  return major !== undefined && Number(major) >= 18;
}

export const RUNTIME_SDK_SCOPES = ['@aws-sdk', '@smithy'] as const;

/** `@aws-sdk/client-foo` or `@smithy/bar` (with or without a subpath): a package the runtime provides. */
export const RUNTIME_SDK_SPECIFIER = /^@(aws-sdk|smithy)\/[^/]+/;

let cached: RuntimeSdk | undefined;

/** The stack's SDK, its NODE_PATH folder made once per process (and reused across runs). */
export function runtimeSdk(): RuntimeSdk {
  if (cached) return cached;
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'node_modules', '@aws-sdk'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No node_modules/@aws-sdk above ${__dirname}`);
    dir = parent;
  }
  const nodeModules = path.join(dir, 'node_modules');
  const hash = createHash('sha256').update(nodeModules).digest('hex').slice(0, 12);
  const nodePath = path.join(tmpdir(), `local-stack-runtime-sdk-${hash}`, 'node_modules');
  mkdirSync(nodePath, { recursive: true });
  for (const scope of RUNTIME_SDK_SCOPES) {
    const target = path.join(nodeModules, scope);
    const link = path.join(nodePath, scope);
    if (!existsSync(target) || existsSync(link)) continue;
    try {
      symlinkSync(target, link, 'junction');
    } catch (err) {
      // Another stack in another process made it first.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  cached = { projectDir: dir, nodeModules, nodePath };
  return cached;
}
