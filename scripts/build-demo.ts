// Builds the demo page (web/) into OUT (default dist/web/), a self-contained static site:
//
//   index.html, style.css   copied from web/
//   demo.js                 web/main.ts bundled; imports the library from ./browser/
//   browser/                the library bundles and .wasm builds (scripts/build-browser.ts)
//   train-worker.js         src/browser/train-worker.ts bundled: training in a Web Worker
//   digits.bin              the first DIGITS test digits of the bundled split (generated, never committed)
//   train-digits.bin        the first TRAIN_DIGITS training digits, for the training worker
//   bench.html, bench.js    the benchmark page (web/bench*.ts): ae-wasm against TF.js and ONNX Runtime Web
//   bench-models/           per timed preset, the same initial weights three ways: PRESET.safetensors,
//                           PRESET.onnx (exportOnnx) and PRESET/model.json + shard (exportTfjs)
//   peers/                  the peers' own files, copied from node_modules (no CDN: the page works offline):
//                           TF.js' wasm builds, ONNX Runtime Web's ESM entry, glue and wasm build
//
// The models are not part of the site: scripts/demo-server.ts serves them from runs/.
//
//   npx tsx scripts/build-demo.ts [OUT]

import { build, type BuildOptions, type Plugin } from 'esbuild';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_PRESETS, SEED, modelCase } from '../bench/model-cases.js';
import { loadBundledSplits } from '../src/data/bundled.js';
import type { Dataset } from '../src/data/dataset.js';
import { exportOnnx } from '../src/interop/export-onnx.js';
import { exportTfjs, TFJS_WEIGHTS_FILE } from '../src/interop/export-tfjs.js';
import { JsKernels } from '../src/kernels/js.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { encodeModel } from '../src/models/model-file.js';
import { encodeDigitPack } from '../web/digit-pack.js';
import { buildBrowser, BUNDLE } from './build-browser.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO_DIR = path.join(ROOT, 'dist', 'web');
/** Test digits shipped with the page: 500 x 785 bytes = 383 KB. */
export const DIGITS = 500;
/** Training digits for the page's training worker, fetched only when training starts (2.2 MB). */
export const TRAIN_DIGITS = 3000;

/** Files of the peers the benchmark page loads, by package directory under node_modules. */
const PEER_FILES: Record<string, string[]> = {
  '@tensorflow/tfjs-backend-wasm/dist': ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'],
  // Loaded at run time, not bundled: ONNX Runtime's threads start workers from its own script's URL.
  'onnxruntime-web/dist': ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'],
};

/**
 * The benchmark page's models: each timed preset initialised with the Node bench's seed and
 * written as a model file, an ONNX graph and a TF.js Layers model, so every runtime on the
 * page computes with the same weights (the page checks their outputs agree before timing).
 */
async function writeBenchModels(dir: string): Promise<void> {
  const kernels = new JsKernels();
  for (const preset of MODEL_PRESETS) {
    const mc = modelCase(preset);
    const model = new Autoencoder(kernels, mc.arch).initialize(SEED);
    try {
      const record = { preset, loss: mc.loss, optimizer: { name: 'adam', learning_rate: 0.001 }, noise: mc.noise, l1: 0, beta: mc.beta, seed: SEED, data: 'initial weights (benchmark page)' };
      const tfjs = exportTfjs(model);
      await mkdir(path.join(dir, preset), { recursive: true });
      await writeFile(path.join(dir, `${preset}.safetensors`), encodeModel(model, record));
      await writeFile(path.join(dir, `${preset}.onnx`), exportOnnx(model));
      await writeFile(path.join(dir, preset, 'model.json'), JSON.stringify(tfjs.modelJson));
      await writeFile(path.join(dir, preset, TFJS_WEIGHTS_FILE), tfjs.weights);
    } finally {
      model.dispose();
    }
  }
}

/** The page imports src/browser/index.js for its types; at run time it gets the shipped bundle. */
const libraryFromBundle: Plugin = {
  name: 'library-from-bundle',
  setup(b) {
    b.onResolve({ filter: /[\\/]src[\\/]browser[\\/]index\.js$/ }, () => ({ path: `./browser/${BUNDLE}`, external: true }));
  },
};

/** The first `count` digits of a split as a digit pack. */
function digitPack(ds: Dataset, count: number): Uint8Array {
  const n = Math.min(count, ds.n);
  const levels = new Uint8Array(n * 784);
  // Bundled pixels are round(level / 255, 3), so rounding value * 255 recovers the level exactly.
  for (let i = 0; i < levels.length; i++) levels[i] = Math.round(ds.images[i]! * 255);
  return encodeDigitPack(levels, ds.labels.slice(0, n));
}

export async function buildDemo(outDir = DEMO_DIR): Promise<string> {
  await mkdir(outDir, { recursive: true });
  await buildBrowser(path.join(outDir, 'browser'));
  const common: BuildOptions = { absWorkingDir: ROOT, bundle: true, format: 'esm', platform: 'browser', target: ['es2022'], minify: true, sourcemap: true, logLevel: 'warning' };
  await build({ ...common, entryPoints: ['web/main.ts'], outfile: path.join(outDir, 'demo.js'), plugins: [libraryFromBundle] });
  // The training worker carries its own copy of the kernels and train/: only this page loads it.
  await build({ ...common, entryPoints: ['src/browser/train-worker.ts'], outfile: path.join(outDir, 'train-worker.js') });
  // The benchmark page bundles TF.js and its own copy of the training step (it times training
  // on the page's thread, as TF.js trains there); inference goes through the shipped bundle.
  await build({ ...common, entryPoints: ['web/bench.ts'], outfile: path.join(outDir, 'bench.js'), plugins: [libraryFromBundle] });
  for (const file of ['index.html', 'bench.html', 'style.css']) await copyFile(path.join(ROOT, 'web', file), path.join(outDir, file));
  await mkdir(path.join(outDir, 'peers'), { recursive: true });
  for (const [dir, files] of Object.entries(PEER_FILES)) {
    for (const file of files) await copyFile(path.join(ROOT, 'node_modules', dir, file), path.join(outDir, 'peers', file));
  }
  await writeBenchModels(path.join(outDir, 'bench-models'));
  const splits = await loadBundledSplits();
  await writeFile(path.join(outDir, 'digits.bin'), digitPack(splits.test, DIGITS));
  await writeFile(path.join(outDir, 'train-digits.bin'), digitPack(splits.train, TRAIN_DIGITS));
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildDemo(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  console.log(`built the demo page in ${path.relative(ROOT, out) || '.'}`);
}
