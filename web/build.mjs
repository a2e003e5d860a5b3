// Builds the browser client into web/dist: web/src/main.ts bundled by esbuild into app.js, and
// the static files of web/public copied next to it. Everything the page loads is served locally.
//   node web/build.mjs            one build
//   node web/build.mjs --watch    rebuild on change (development)
import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(webDir, 'dist');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const options = {
  entryPoints: [path.join(webDir, 'src', 'main.ts')],
  outfile: path.join(outDir, 'app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  // Browsers of the last few years: CSS.escape, replaceChildren and 100dvh are all there.
  target: ['chrome100', 'firefox100', 'safari15.4', 'edge100'],
  minify: !watch,
  sourcemap: true,
  logLevel: 'info',
};

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
await cp(path.join(webDir, 'public'), outDir, { recursive: true });

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  await esbuild.build(options);
}
