import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildFunctions } from '../../../local/build';
import { LambdaService } from '../../../local/lambda';
import { loadStack } from '../../../local/template';

const fixtures = path.resolve(__dirname, '../../fixtures/local-template');

describe('a Powertools function in a local environment', () => {
  it('logs JSON through Logger and sends Tracer segments to the local X-Ray sink', async () => {
    // Prepare: build inside the project (.local-stack is git-ignored), as the local stack does.
    const root = path.resolve(__dirname, '../../../.local-stack');
    mkdirSync(root, { recursive: true });
    const outDir = mkdtempSync(path.join(root, 'test-powertools-'));
    const model = await loadStack(path.join(fixtures, 'powertools.yaml'));
    const bundles = await buildFunctions(model, { outDir });
    const lines: string[] = [];
    const lambda = new LambdaService({
      functions: model.functions,
      bundles,
      onLog: (_fn, line) => lines.push(line),
    });
    try {
      // Act
      const result = await lambda.invoke('PowertoolsFunction', { hello: 'world' });
      for (let i = 0; i < 100 && !lines.some((l) => l.includes('"handled"')); i++)
        await new Promise((r) => setTimeout(r, 20));
      const sink = await lambda.xraySinkReady();
      for (let i = 0; i < 100 && (sink?.stats().subsegments ?? 0) === 0; i++)
        await new Promise((r) => setTimeout(r, 20));

      // Assert
      if (!result.ok) throw new Error(`${result.error.errorType}: ${result.error.errorMessage}`);
      const payload = result.payload as { tracing: boolean; traceId: string };
      expect(payload.tracing).toBe(true);
      expect(payload.traceId).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
      const log = JSON.parse(lines.find((l) => l.includes('"handled"')) ?? '{}');
      expect(log).toMatchObject({
        level: 'INFO',
        message: 'handled',
        service: 'fixture',
        function_name: model.functions[0]?.functionName,
        function_request_id: result.report.requestId,
        xray_trace_id: payload.traceId,
        tracing: true,
      });
      expect(sink?.stats().subsegments).toBeGreaterThan(0);
      expect(sink?.recentTraceIds()).toContain(payload.traceId);
      // Neither Powertools nor the X-Ray SDK complains (missing context, no daemon...).
      expect(lines.filter((l) => /error|warn/i.test(l))).toEqual([]);
    } finally {
      await lambda.close();
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
