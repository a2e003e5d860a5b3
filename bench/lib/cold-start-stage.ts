/** Builds each function of the (derived) template as `sam build` would and times its module init. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFunctions } from '../../local/build';
import { loadStack } from '../../local/template';
import { type ColdStartResult, lambdaRuntimeEnv, measureColdStart } from './cold-start';

export interface ColdStartEntry extends ColdStartResult {
  logicalId: string;
  memoryMb: number;
  buildMs: number;
}

export async function coldStartStage(templatePath: string, runs: number): Promise<ColdStartEntry[]> {
  const model = await loadStack(templatePath);
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'chat-bench-build-'));
  try {
    return await measureAll(model, await buildFunctions(model, { outDir }), runs);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function measureAll(
  model: Awaited<ReturnType<typeof loadStack>>,
  built: Awaited<ReturnType<typeof buildFunctions>>,
  runs: number,
): Promise<ColdStartEntry[]> {
  const out: ColdStartEntry[] = [];
  for (const fn of model.functions) {
    const b = built.get(fn.logicalId);
    if (!b) continue;
    // The template's own variables with their AWS-shaped values: module scope only reads them.
    const env = { ...lambdaRuntimeEnv(fn.functionName, fn.memorySizeMb, model.region), ...fn.environment };
    const r = await measureColdStart(
      { name: fn.logicalId, bundlePath: b.entryFile, exportName: b.handlerExport, format: b.format, env },
      runs,
    );
    out.push({
      ...r,
      bundleBytes: b.bundleBytes,
      logicalId: fn.logicalId,
      memoryMb: fn.memorySizeMb,
      buildMs: b.buildMs,
    });
  }
  return out;
}
