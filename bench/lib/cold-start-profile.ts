/**
 * Where each function's bundle bytes and module-init time go, by package.
 *
 *   npx tsx bench/lib/cold-start-profile.ts [--runs 8] [--function ChatApiFunction] [--top 20]
 *
 * For every `BuildMethod: esbuild` function of template.yaml:
 * - bytes: the bundle built with the template's BuildProperties (as `sam build` does), its
 *   esbuild metafile summed by package;
 * - init: the median wall and CPU time of `require()` of that bundle in fresh processes (the
 *   cold-start stage's own measure, with Lambda's variables and the function's);
 * - where init goes: the same bundle built unminified (esbuild writes a `// path` comment before
 *   each input), required under `node --cpu-prof` in fresh processes. Self time in bundle code is
 *   charged to the input that owns the sampled line; time spent loading Node's own modules
 *   (node:https, node:crypto...) is charged to that builtin, with the packages that import it.
 *   Profiling slows everything down alike, so read the shares, not the absolute milliseconds.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { loadStack } from '../../local/template';
import type { FunctionModel } from '../../local/template/types';
import { lambdaRuntimeEnv, measureColdStart } from './cold-start';
import { attribute, lineOwners, type Profile, packageOf, sumBy } from './cold-start-attribution';

/** The esbuild options `sam build` derives from a function's BuildProperties. */
const esbuildOptions = (fn: FunctionModel, outdir: string, minify: boolean): BuildOptions => {
  const p = fn.buildProperties as Record<string, unknown>;
  return {
    entryPoints: (p.EntryPoints as string[]).map((entry) => path.resolve(entry)),
    bundle: true,
    platform: 'node',
    outdir,
    format: p.Format as 'cjs' | 'esm',
    target: p.Target as string,
    ...(p.MainFields ? { mainFields: String(p.MainFields).split(',') } : {}),
    external: (p.External as string[] | undefined) ?? [],
    minify,
    // As deployed (its sourceMappingURL comment counts in the bytes); the profiled build has none.
    sourcemap: minify ? Boolean(p.Sourcemap) : false,
    metafile: true,
    logLevel: 'silent',
  };
};

const run = promisify(execFile);

async function profileInit(
  fn: FunctionModel,
  env: Record<string, string>,
  workDir: string,
  runs: number,
): Promise<{ shares: [string, number][]; builtinsImportedBy: Map<string, Set<string>> }> {
  const dir = path.join(workDir, `${fn.logicalId}-unminified`);
  const result = await build(esbuildOptions(fn, dir, false));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  const [outFile, output] =
    Object.entries(result.metafile?.outputs ?? {}).find(([f]) => f.endsWith('.js')) ?? [];
  if (!outFile || !output) throw new Error(`${fn.logicalId}: no .js output`);
  const bundle = path.resolve(outFile);
  const owners = lineOwners(readFileSync(bundle, 'utf8'));
  const profiles = path.join(workDir, `${fn.logicalId}-profiles`);
  for (let i = 0; i < runs; i++) {
    await run(
      process.execPath,
      [
        '--cpu-prof',
        '--cpu-prof-interval',
        '100',
        '--cpu-prof-dir',
        profiles,
        '-e',
        `require(${JSON.stringify(bundle)})`,
      ],
      { env },
    );
  }
  const ms = new Map<string, number>();
  for (const file of readdirSync(profiles)) {
    attribute(
      JSON.parse(readFileSync(path.join(profiles, file), 'utf8')) as Profile,
      `/${path.basename(bundle)}`,
      owners,
      ms,
    );
  }
  const builtinsImportedBy = new Map<string, Set<string>>();
  for (const [input, info] of Object.entries(result.metafile?.inputs ?? {})) {
    for (const imported of info.imports) {
      if (!imported.external || !/^(node:)?[a-z_/]+$/.test(imported.path)) continue;
      const key = imported.path.startsWith('node:') ? imported.path : `node:${imported.path}`;
      const set = builtinsImportedBy.get(key) ?? new Set<string>();
      set.add(packageOf(input));
      builtinsImportedBy.set(key, set);
    }
  }
  const shares = sumBy(
    ms,
    ([key]) => (key.startsWith('node:') || key.startsWith('(') ? key : packageOf(key)),
    ([, value]) => value / runs,
  );
  return { shares, builtinsImportedBy };
}

async function main(): Promise<void> {
  const options = new Command()
    .option('--runs <n>', 'fresh processes per measure', (v) => Number.parseInt(v, 10), 8)
    .option('--function <logicalId>', 'only this function')
    .option('--top <n>', 'rows per table', (v) => Number.parseInt(v, 10), 20)
    .option('--template <path>', 'template', 'template.yaml')
    .parse()
    .opts<{ runs: number; function?: string; top: number; template: string }>();
  const model = await loadStack(path.resolve(options.template));
  // Inside the project, so External packages resolve from its node_modules (as the local stack does).
  const workDir = mkdtempSync(path.resolve('.local-stack', 'cold-start-profile-'));
  try {
    for (const fn of model.functions) {
      if (fn.buildMethod !== 'esbuild' || (options.function && fn.logicalId !== options.function)) continue;
      const env = {
        PATH: process.env.PATH ?? '',
        ...lambdaRuntimeEnv(fn.functionName, fn.memorySizeMb, model.region),
        ...fn.environment,
      };
      const dir = path.join(workDir, fn.logicalId);
      const result = await build(esbuildOptions(fn, dir, Boolean(fn.buildProperties?.Minify ?? true)));
      writeFileSync(path.join(dir, 'package.json'), '{ "type": "commonjs" }\n');
      const [outFile, output] = Object.entries((result.metafile as Metafile).outputs).find(([f]) =>
        f.endsWith('.js'),
      ) ?? ['', undefined];
      if (!output) throw new Error(`${fn.logicalId}: no .js output`);
      const load = os.loadavg()[0]?.toFixed(1);
      const init = await measureColdStart(
        { name: fn.logicalId, bundlePath: path.resolve(outFile), exportName: 'handler', format: 'cjs', env },
        options.runs,
      );
      const { shares, builtinsImportedBy } = await profileInit(fn, env, workDir, options.runs);
      const bytes = sumBy(
        Object.entries(output.inputs),
        ([file]) => packageOf(file),
        ([, i]) => i.bytesInOutput,
      );
      const profiled = shares.reduce((sum, [, ms]) => sum + ms, 0);
      console.log(
        `\n${fn.logicalId}: ${output.bytes} B; init median ${init.medianInitMs.toFixed(1)} ms wall, ` +
          `${init.medianInitCpuMs.toFixed(1)} ms CPU over ${options.runs} processes (load average ${load})`,
      );
      console.log('  bytes by package                         | init by package (share of profiled require)');
      for (let i = 0; i < options.top; i++) {
        const [bytesKey, size] = bytes[i] ?? ['', 0];
        const [msKey, ms] = shares[i] ?? ['', 0];
        const left = bytesKey ? `${String(size).padStart(8)} B  ${bytesKey}` : '';
        const right = msKey ? `${((100 * ms) / profiled).toFixed(1).padStart(5)} %  ${msKey}` : '';
        const importers = msKey.startsWith('node:') ? [...(builtinsImportedBy.get(msKey) ?? [])] : [];
        console.log(
          `  ${left.padEnd(41)}| ${right}${importers.length ? ` (imported by ${importers.join(', ')})` : ''}`,
        );
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
