// Builds the browser entry (src/browser/index.ts) with esbuild into OUT (default
// dist/browser/):
//
//   ae-wasm.js          ESM bundle; fetches kernels*.wasm from its own directory
//   ae-wasm.inline.js   the same with both .wasm builds embedded as base64
//   ae-wasm.worker.js   the compute worker (models with threads > 1 run there)
//   kernels*.wasm       copied from build/ (npm run build:wasm): the two single-threaded
//                       builds, and the threads builds when present (for the worker pool)
//
// Types: dist/browser/index.d.ts, emitted by `npm run build:ts` (tsc). The build fails
// if a bundle pulls in node: modules, the PNG decoder, training or CLI code.
//
//   npx tsx scripts/build-browser.ts [OUT]

import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILDS } from '../src/kernels/builds.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Single-threaded builds: copied and embedded in the inline bundle. */
export const BUILD_FILES = BUILDS.filter((b) => !b.threads).map((b) => b.name);
/** Threads builds: copied when build/ has them, for the worker pool; never inlined. */
export const THREAD_BUILD_FILES = BUILDS.filter((b) => b.threads).map((b) => b.name);
export const BUNDLE = 'ae-wasm.js';
export const INLINE_BUNDLE = 'ae-wasm.inline.js';
/** The compute worker that runs a model on a kernel thread pool (threads > 1). */
export const WORKER_BUNDLE = 'ae-wasm.worker.js';

/** Inputs no browser bundle may contain (paths relative to the package root). */
// src/data is Node's data layer except normalize.ts (and the sample types it uses): model
// files carry their preprocessing, and the browser applies it too.
const FORBIDDEN = [/^node:/, /node_modules\/fast-png\//, /node_modules\/sharp\//, /^src\/(cli|train)\//, /^src\/data\/(?!normalize\.ts$|sources\/types\.ts$)/, /^src\/kernels\/node\.ts$/, /^src\/models\/node\.ts$/, /-node\.ts$/];

/**
 * src/viz/preprocess.ts re-exports the PNG decoder for Node callers; fast-png declares no
 * `sideEffects: false`, so without this esbuild would keep it although nothing calls it.
 */
const pngDecoderIsPure: Plugin = {
  name: 'png-decoder-is-pure',
  setup(b) {
    b.onResolve({ filter: /^fast-png$|\/decode-png\.js$/ }, async (args) => {
      if (args.pluginData === 'pure') return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'pure' });
      return r.errors.length > 0 ? { errors: r.errors } : { path: r.path, sideEffects: false };
    });
  },
};

/** Replaces src/browser/inline-builds.ts with a module returning the builds as base64. */
function inlineBuildsPlugin(builds: Record<string, string>): Plugin {
  return {
    name: 'inline-builds',
    setup(b) {
      b.onLoad({ filter: /src[\\/]browser[\\/]inline-builds\.ts$/ }, () => ({
        contents: `const BUILDS = ${JSON.stringify(builds)};\nexport function inlineBuilds() { return BUILDS; }\n`,
        loader: 'js',
      }));
    },
  };
}

/** Fails when a forbidden module contributes code to the bundle (parsed-then-dropped inputs are fine). */
function checkInputs(meta: Metafile, bundle: string): void {
  const output = Object.entries(meta.outputs).find(([file]) => file.endsWith(bundle));
  if (!output) throw new Error(`esbuild wrote no ${bundle}`);
  const used = Object.entries(output[1].inputs).filter(([, v]) => v.bytesInOutput > 0).map(([input]) => input.replaceAll('\\', '/'));
  const bad = used.filter((input) => FORBIDDEN.some((re) => re.test(input)));
  if (bad.length > 0) throw new Error(`${bundle} must not contain ${bad.join(', ')}`);
}

export interface BrowserBuild {
  outDir: string;
  files: string[];
}

export async function buildBrowser(outDir = path.join(ROOT, 'dist', 'browser')): Promise<BrowserBuild> {
  await mkdir(outDir, { recursive: true });
  const builds: Record<string, string> = {};
  for (const file of BUILD_FILES) {
    const from = path.join(ROOT, 'build', file);
    const bytes = await readFile(from).catch(() => {
      throw new Error(`cannot read ${from}: run \`npm run build:wasm\` first`);
    });
    builds[file] = bytes.toString('base64');
    await copyFile(from, path.join(outDir, file));
  }
  const copied: string[] = [...BUILD_FILES];
  for (const file of THREAD_BUILD_FILES) {
    const ok = await copyFile(path.join(ROOT, 'build', file), path.join(outDir, file)).then(() => true, () => false);
    if (ok) copied.push(file);
  }
  const common: BuildOptions = {
    absWorkingDir: ROOT,
    entryPoints: ['src/browser/index.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: true,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  };
  for (const [file, plugins] of [
    [BUNDLE, [pngDecoderIsPure]],
    [INLINE_BUNDLE, [pngDecoderIsPure, inlineBuildsPlugin(builds)]],
  ] as const) {
    const result = await build({ ...common, outfile: path.join(outDir, file), plugins: [...plugins] });
    checkInputs(result.metafile!, file);
  }
  const worker = await build({ ...common, entryPoints: ['src/browser/compute-worker.ts'], outfile: path.join(outDir, WORKER_BUNDLE), plugins: [pngDecoderIsPure] });
  checkInputs(worker.metafile!, WORKER_BUNDLE);
  return { outDir, files: [BUNDLE, INLINE_BUNDLE, WORKER_BUNDLE, ...copied] };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildBrowser(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  console.log(`built ${out.files.map((f) => path.relative(ROOT, path.join(out.outDir, f))).join(', ')}`);
}
