/**
 * Cold start as Lambda pays it before the first invocation: loading the bundle and running its
 * module scope (SDK clients, Powertools, config). Each run is a fresh `node` process, so nothing
 * is cached in memory; the file system cache is warm after the first run, as it is on Lambda's
 * (cached) code storage. Node here is 20; Lambda runs 24.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { median } from './percentiles';

export interface ColdStartInput {
  name: string;
  bundlePath: string;
  /** Exported handler name, e.g. 'handler'. */
  exportName: string;
  /** How the runtime loads it: require() for CommonJS (as Lambda's runtime does), import() for ESM. */
  format: 'esm' | 'cjs';
  env: Record<string, string>;
}

export interface ColdStartResult {
  name: string;
  bundleBytes: number;
  runs: number;
  initMs: number[];
  medianInitMs: number;
  /**
   * CPU time of the same import (process.cpuUsage: this thread and V8's helper threads). Less
   * sensitive than wall time to other jobs on a shared machine.
   */
  medianInitCpuMs: number;
  /** Whole fresh process: node's own start + import, for scale. */
  medianProcessMs: number;
  /** The same import without --enable-source-maps (which the template's NODE_OPTIONS sets). */
  medianInitMsWithoutSourceMaps: number;
}

const probe = `
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
const url = process.env.BENCH_BUNDLE_URL;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const mod =
  process.env.BENCH_FORMAT === 'cjs' ? createRequire(url)(fileURLToPath(url)) : await import(url);
const t1 = performance.now();
const cpu = process.cpuUsage(cpu0);
if (typeof mod[process.env.BENCH_EXPORT] !== 'function') {
  throw new Error('bundle has no function export ' + process.env.BENCH_EXPORT);
}
process.stdout.write(JSON.stringify({ initMs: t1 - t0, initCpuMs: (cpu.user + cpu.system) / 1000 }));
process.exit(0);
`;

function runOnce(
  input: ColdStartInput,
  sourceMaps: boolean,
): Promise<{ initMs: number; initCpuMs: number; processMs: number }> {
  const started = performance.now();
  const nodeOptions = (input.env.NODE_OPTIONS ?? '').replace('--enable-source-maps', '').trim();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...(sourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', probe],
      {
        // Only what a Lambda environment has, not the bench's own environment (no tsx loader).
        env: {
          PATH: process.env.PATH ?? '',
          ...input.env,
          NODE_OPTIONS: sourceMaps ? (input.env.NODE_OPTIONS ?? '') : nodeOptions,
          BENCH_BUNDLE_URL: pathToFileURL(input.bundlePath).href,
          BENCH_EXPORT: input.exportName,
          BENCH_FORMAT: input.format,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`cold start of ${input.name} failed: ${err.message}\n${stderr}`));
          return;
        }
        const { initMs, initCpuMs } = JSON.parse(stdout) as { initMs: number; initCpuMs: number };
        resolve({ initMs, initCpuMs, processMs: performance.now() - started });
      },
    );
  });
}

export async function measureColdStart(input: ColdStartInput, runs: number): Promise<ColdStartResult> {
  const initMs: number[] = [];
  const initCpuMs: number[] = [];
  const processMs: number[] = [];
  const withoutMaps: number[] = [];
  // Alternate the two variants so that background load hits both alike.
  for (let i = 0; i < runs; i++) {
    const r = await runOnce(input, true);
    initMs.push(r.initMs);
    initCpuMs.push(r.initCpuMs);
    processMs.push(r.processMs);
    withoutMaps.push((await runOnce(input, false)).initMs);
  }
  return {
    name: input.name,
    bundleBytes: statSync(input.bundlePath).size,
    runs,
    initMs,
    medianInitMs: median(initMs),
    medianInitCpuMs: median(initCpuMs),
    medianProcessMs: median(processMs),
    medianInitMsWithoutSourceMaps: median(withoutMaps),
  };
}

/** The variables Lambda itself sets, with dummy credentials; the function's own come on top. */
export function lambdaRuntimeEnv(
  functionName: string,
  memoryMb: number,
  region: string,
): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'bench',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    _HANDLER: 'handler.handler',
    LAMBDA_TASK_ROOT: '/var/task',
    TZ: ':UTC',
  };
}
