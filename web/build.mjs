// Builds the browser client into web/dist: web/src/main.ts bundled by esbuild into app.js, and
// the static files of web/public copied next to it. Everything the page loads is served locally.
//   node web/build.mjs            one build
//   node web/build.mjs --watch    rebuild on change (development)
// CHAT_WS_URL=wss://{id}.execute-api.{region}.amazonaws.com/production node web/build.mjs
//   builds the page for that chat server: it connects there by default, accepts it in ?ws= without
//   a notice, and the Content-Security-Policy names it (web/src/ws-url.ts has the whole policy).
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(webDir, 'dist');
const watch = process.argv.includes('--watch');

/** The deployed chat server, checked here so a typo fails the build rather than the page. */
function chatServerUrl(value) {
  if (value === undefined || value.trim() === '') return '';
  let url;
  try {
    url = new URL(value.trim());
  } catch {
    throw new Error(`CHAT_WS_URL is not a URL: ${value}`);
  }
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') {
    throw new Error(`CHAT_WS_URL must be a ws:// or wss:// URL: ${value}`);
  }
  return url.href;
}
const chatWsUrl = chatServerUrl(process.env.CHAT_WS_URL);

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
  define: { __CHAT_WS_URL__: JSON.stringify(chatWsUrl) },
  logLevel: 'info',
};

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
await cp(path.join(webDir, 'public'), outDir, { recursive: true });
if (chatWsUrl !== '') {
  // The page may connect to its own server: add it to connect-src (its origin only).
  const indexFile = path.join(outDir, 'index.html');
  const origin = new URL(chatWsUrl).origin;
  const html = await readFile(indexFile, 'utf8');
  const withServer = html.replace("connect-src 'self'", `connect-src 'self' ${origin}`);
  if (withServer === html) throw new Error('web/public/index.html has no "connect-src \'self\'" to extend');
  await writeFile(indexFile, withServer);
}

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  await esbuild.build(options);
}
