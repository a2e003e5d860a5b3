import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type BuildFailure,
  type BuildOptions,
  build,
  type Loader,
  type Message,
  type Metafile,
} from 'esbuild';
import type { FunctionModel, StackModel } from '../template/types';

export interface BuiltFunction {
  logicalId: string;
  /** Absolute path of the module Lambda would load for the handler. */
  entryFile: string;
  handlerExport: string;
  format: 'esm' | 'cjs';
  /** Bytes of JavaScript output (bundle files, without source maps). */
  bundleBytes: number;
  /** The folder that plays the role of LAMBDA_TASK_ROOT. */
  taskRoot: string;
  buildMs: number;
}

export interface BuildFunctionsOptions {
  /** Where bundles go, one folder per function. Keep it inside the project so `External` packages resolve. */
  outDir: string;
}

/** A function that `sam build` (or Lambda loading the result) would reject; names the function and the file. */
export class BuildError extends Error {
  override readonly name = 'BuildError';
  constructor(
    message: string,
    readonly failures: { logicalId: string; message: string }[] = [],
  ) {
    super(message);
  }
}

class FunctionBuildError extends Error {}

/**
 * Builds every function of the model as `sam build` would: esbuild bundles for `BuildMethod: esbuild`,
 * the code folder as it is otherwise. Then checks what Lambda checks on a cold start: that the handler
 * file exists, is loaded in the format its extension implies, and exports the handler.
 */
export async function buildFunctions(
  model: StackModel,
  options: BuildFunctionsOptions,
): Promise<Map<string, BuiltFunction>> {
  const outDir = path.resolve(options.outDir);
  const results = await Promise.allSettled(model.functions.map((fn) => buildOne(fn, outDir)));
  const built = new Map<string, BuiltFunction>();
  const failures: { logicalId: string; message: string }[] = [];
  results.forEach((r, i) => {
    const fn = model.functions[i] as FunctionModel;
    if (r.status === 'fulfilled') built.set(fn.logicalId, r.value);
    else {
      const err = r.reason as Error;
      if (!(err instanceof FunctionBuildError)) throw err;
      failures.push({ logicalId: fn.logicalId, message: err.message });
    }
  });
  if (failures.length) {
    throw new BuildError(failures.map((f) => `${f.logicalId}: ${f.message}`).join('\n'), failures);
  }
  return built;
}

/** 'handler.handler' -> module 'handler', export 'handler'; 'src/app.lambda.main' -> 'src/app.lambda', 'main'. */
export function splitHandler(handler: string): { module: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1) {
    throw new FunctionBuildError(`Handler "${handler}" is not of the form <file>.<export>`);
  }
  return { module: handler.slice(0, dot), exportName: handler.slice(dot + 1) };
}

async function buildOne(fn: FunctionModel, outDir: string): Promise<BuiltFunction> {
  const started = performance.now();
  const { module, exportName } = splitHandler(fn.handler);
  const fnOut = path.join(outDir, fn.logicalId);
  if (fn.inlineCode !== undefined) {
    // Lambda stores ZipFile/InlineCode as index.js: CommonJS.
    await rm(fnOut, { recursive: true, force: true });
    await mkdir(fnOut, { recursive: true });
    const file = path.join(fnOut, `${module}.js`);
    await writeFile(file, fn.inlineCode);
    return finish(fn, fnOut, module, exportName, undefined, started);
  }
  if (fn.buildMethod === undefined) return finish(fn, fn.codeUri, module, exportName, undefined, started);
  if (fn.buildMethod !== 'esbuild') {
    throw new FunctionBuildError(`BuildMethod ${fn.buildMethod} is not supported locally (esbuild only)`);
  }
  const props = fn.buildProperties ?? {};
  const options = esbuildOptions(fn, props, module, fnOut);
  await rm(fnOut, { recursive: true, force: true });
  let metafile: Metafile;
  try {
    metafile = (await build(options)).metafile as Metafile;
  } catch (err) {
    throw new FunctionBuildError(`esbuild failed:\n${formatEsbuild(err)}`);
  }
  // sam build's artifacts folder has no package.json, so Lambda loads a .js bundle as CommonJS; this one
  // keeps a project-level "type": "module" from changing that locally.
  await writeFile(path.join(fnOut, 'package.json'), '{ "type": "commonjs" }\n');
  return finish(fn, fnOut, module, exportName, metafile, started);
}

const list = (value: unknown, key: string): string[] => {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new FunctionBuildError(`BuildProperties.${key} must be a list (sam build rejects a map)`);
  return value.map(String);
};

/** `["k=v", ...]` (how sam passes `--flag:k=v`) to `{ k: v }`. */
const pairs = (value: unknown, key: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const item of list(value, key)) {
    const eq = item.indexOf('=');
    if (eq <= 0)
      throw new FunctionBuildError(`BuildProperties.${key} item "${item}" is not of the form key=value`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
};

const bool = (value: unknown, fallback: boolean): boolean =>
  value === undefined ? fallback : value === true || String(value).toLowerCase() === 'true';

/** The esbuild options `sam build` derives from Metadata.BuildProperties (it passes them as CLI flags). */
export function esbuildOptions(
  fn: FunctionModel,
  props: Record<string, unknown>,
  module: string,
  fnOut: string,
): BuildOptions & { metafile: true } {
  const entries = props.EntryPoints === undefined ? [module] : list(props.EntryPoints, 'EntryPoints');
  if (!entries.length) throw new FunctionBuildError('BuildProperties.EntryPoints must not be empty');
  const entryPoints = entries.map((entry) => {
    const full = path.resolve(fn.codeUri, entry);
    if (path.extname(entry)) {
      if (existsSync(full)) return full;
    } else {
      // Like sam: an entry point without an extension may be a .ts or .js file.
      for (const ext of ['.ts', '.js']) if (existsSync(full + ext)) return full + ext;
    }
    throw new FunctionBuildError(`entry point ${full} does not exist`);
  });
  const loader = pairs(props.Loader, 'Loader') as Record<string, Loader>;
  const mainFields = props.MainFields === undefined ? undefined : String(props.MainFields).split(',');
  return {
    entryPoints,
    bundle: true,
    platform: 'node',
    outdir: fnOut,
    absWorkingDir: fn.codeUri,
    target: props.Target === undefined ? 'es2020' : String(props.Target),
    format: props.Format === undefined ? 'cjs' : (String(props.Format) as 'esm' | 'cjs'),
    minify: bool(props.Minify, true),
    sourcemap: bool(props.Sourcemap, false),
    ...(props.SourcesContent === undefined ? {} : { sourcesContent: bool(props.SourcesContent, true) }),
    ...(props.KeepNames === undefined ? {} : { keepNames: bool(props.KeepNames, false) }),
    external: list(props.External, 'External'),
    ...(mainFields ? { mainFields } : {}),
    ...(Object.keys(loader).length ? { loader } : {}),
    outExtension: pairs(props.OutExtension, 'OutExtension'),
    banner: pairs(props.Banner, 'Banner'),
    footer: pairs(props.Footer, 'Footer'),
    ...(props.Tsconfig === undefined ? {} : { tsconfig: path.resolve(fn.codeUri, String(props.Tsconfig)) }),
    metafile: true,
    logLevel: 'silent',
  };
}

function formatEsbuild(err: unknown): string {
  const messages: Message[] = (err as BuildFailure).errors ?? [];
  if (!messages.length) return String((err as Error).message ?? err);
  return messages
    .map((m) =>
      m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text,
    )
    .join('\n');
}

/** Lambda's Node.js runtime looks for `<module>.js`, then `.mjs`, then `.cjs`. */
function findHandlerFile(root: string, module: string): string | undefined {
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = path.join(root, module + ext);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** How Node (and so Lambda) loads a file: by extension, and for .js by the nearest package.json "type". */
function formatOf(file: string): 'esm' | 'cjs' {
  if (file.endsWith('.mjs')) return 'esm';
  if (file.endsWith('.cjs')) return 'cjs';
  let dir = path.dirname(file);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return JSON.parse(readFileSync(pkg, 'utf8')).type === 'module' ? 'esm' : 'cjs';
      } catch {
        return 'cjs';
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'cjs';
    dir = parent;
  }
}

async function finish(
  fn: FunctionModel,
  root: string,
  module: string,
  exportName: string,
  metafile: Metafile | undefined,
  started: number,
): Promise<BuiltFunction> {
  const entryFile = findHandlerFile(root, module);
  if (!entryFile) {
    const built = metafile
      ? ` (esbuild wrote: ${Object.keys(metafile.outputs).join(', ') || 'nothing'})`
      : '';
    const ts = existsSync(path.join(root, `${module}.ts`))
      ? ': Lambda cannot run TypeScript, add BuildMethod: esbuild'
      : '';
    throw new FunctionBuildError(
      `handler ${fn.handler}: no ${module}.js, .mjs or .cjs in ${root}${built}${ts}`,
    );
  }
  const format = formatOf(entryFile);
  const declared = metafile ? String(fn.buildProperties?.Format ?? 'cjs') : undefined;
  if (declared && declared !== format) {
    throw new FunctionBuildError(
      `${entryFile}: esbuild wrote ${declared === 'esm' ? 'an ES module' : 'CommonJS'} but Node loads this file as ${
        format === 'esm' ? 'an ES module' : 'CommonJS'
      }${declared === 'esm' ? " (add OutExtension: ['.js=.mjs'])" : ' (remove the .mjs OutExtension)'}`,
    );
  }
  const exportsOf = await exportedNames(entryFile, metafile, fn.codeUri);
  if (exportsOf && !exportsOf.includes(exportName)) {
    throw new FunctionBuildError(
      `${entryFile} does not export "${exportName}" (exports: ${exportsOf.join(', ') || 'none'}); Lambda fails with Runtime.HandlerNotFound`,
    );
  }
  let bundleBytes = 0;
  if (metafile) {
    for (const [out, info] of Object.entries(metafile.outputs))
      if (!out.endsWith('.map')) bundleBytes += info.bytes;
  } else bundleBytes = (await stat(entryFile)).size;
  return {
    logicalId: fn.logicalId,
    entryFile,
    handlerExport: exportName,
    format,
    bundleBytes,
    taskRoot: root,
    buildMs: Math.round(performance.now() - started),
  };
}

/**
 * The names a module exports, without running it. esbuild reports them for ES module output; for
 * CommonJS it analyses the module as ESM instead. Undefined when they cannot be known statically
 * (a CommonJS source assigning module.exports), and then the first invocation reports it.
 */
async function exportedNames(
  entryFile: string,
  metafile: Metafile | undefined,
  workingDir: string,
): Promise<string[] | undefined> {
  const own =
    metafile &&
    Object.entries(metafile.outputs).find(([out]) => path.resolve(workingDir, out) === entryFile)?.[1];
  if (own?.exports.length) return own.exports;
  // A CommonJS bundle hides its exports behind module.exports: ask about its source entry point instead.
  const source = own?.entryPoint ? path.resolve(workingDir, own.entryPoint) : entryFile;
  try {
    if (statSync(source).size > 20_000_000) return undefined;
    const result = await build({
      entryPoints: [source],
      bundle: false,
      write: false,
      format: 'esm',
      platform: 'node',
      metafile: true,
      logLevel: 'silent',
      outdir: '/tmp/local-build-analysis',
    });
    const names = Object.values(result.metafile?.outputs ?? {})[0]?.exports ?? [];
    // A CommonJS module analysed as ESM only has `default`: its real exports are not known statically.
    return names.length === 0 || (names.length === 1 && names[0] === 'default') ? undefined : names;
  } catch (err) {
    throw new FunctionBuildError(`${source} does not parse:\n${formatEsbuild(err)}`);
  }
}
