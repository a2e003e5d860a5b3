/**
 * `npm run bench:charts -- <results.json> [--out <dir>]`: renders the bench's SVG charts from an
 * existing results file (default into docs/bench/), so they can be regenerated without rerunning.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { writeCharts } from './lib/charts';
import type { BenchResults } from './lib/report';

function readResults(file: string): BenchResults {
  let parsed: Partial<BenchResults>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<BenchResults>;
  } catch (err) {
    return program.error(`cannot read ${file} as a bench results file: ${(err as Error).message}`);
  }
  if (!parsed.meta || !Array.isArray(parsed.failures)) {
    return program.error(`${file} is not a bench results file (no meta or failures)`);
  }
  return parsed as BenchResults;
}

const program: Command = new Command()
  .name('npm run bench:charts --')
  .description('Render the SVG charts of a bench results file.')
  .argument('<results>', 'a results file written by npm run bench (bench/results/<date>.json)')
  .option('--out <dir>', 'where to write the charts', path.resolve(__dirname, '..', 'docs', 'bench'))
  .action((file: string, o: { out: string }) => {
    const results = readResults(file);
    const written = writeCharts(results, o.out);
    if (written.length === 0)
      program.error(`${file} has no stage that gives a chart (latency, curve, floor, fanout)`);
    for (const w of written) console.log(path.relative(process.cwd(), w));
  });

program.parse();
