// ONNX Runtime peers in the inference suite: onnxruntime-web (its wasm SIMD build, in Node,
// at 1 and 2 threads) and onnxruntime-node when it is installed (it is not a dependency:
// its default post-install fetches a GPU add-on and the package is 290 MB;
// `ONNXRUNTIME_NODE_INSTALL=skip npm i --no-save onnxruntime-node@1.30.0` adds it for a run, or
// ORT_NODE_DIR names a copy installed elsewhere). Each runs the very model ae-wasm times:
// the preset initialised with the same seed and exported with exportOnnx (part "all",
// input -> reconstruction; a VAE decodes z_mean, as our forward pass does), so the table
// compares the same weights on every runtime, and each case's output is checked against
// our reconstruct before it is timed.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ortWeb from 'onnxruntime-web';
import type { Dataset } from '../src/data/dataset.js';
import { exportOnnx } from '../src/interop/export-onnx.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { SEED, type ModelCase, type RuntimeName } from './model-cases.js';

type Ort = typeof ortWeb;

/** An inference case whose call completes through a promise. */
export interface AsyncInferSubject {
  run(): Promise<unknown>;
  dispose(): Promise<void>;
}

export interface OrtRuntime {
  name: Extract<RuntimeName, 'onnxruntime-web' | 'onnxruntime-node'>;
  build: string;
  threads: number;
  infer(mc: ModelCase, batch: number, images: Dataset): Promise<AsyncInferSubject>;
}

/** Largest |ONNX Runtime - ae-wasm| accepted on a reconstruction before a case is timed (the export tests see 1.7e-6). */
const TOLERANCE = 1e-4;

/** onnxruntime-web's wasm backend at `threads` threads (ort.env is global: set before each session is created). */
export function ortWebRuntime(threads: number, kernels: Kernels): OrtRuntime {
  return {
    name: 'onnxruntime-web',
    build: `ort-wasm-simd-threaded.wasm@${ortWeb.env.versions.web}`,
    threads,
    infer: (mc, batch, images) => {
      ortWeb.env.wasm.numThreads = threads;
      ortWeb.env.wasm.simd = true;
      return inferSubject(ortWeb, ['wasm'], kernels, mc, batch, images);
    },
  };
}

/** onnxruntime-node's CPU provider at one intra-op thread, or null (and why) when it is not installed. */
export async function ortNodeRuntime(kernels: Kernels): Promise<OrtRuntime | { missing: string }> {
  let ort: Ort;
  // ORT_NODE_DIR: an onnxruntime-node package directory installed elsewhere (it is 290 MB).
  const dir = process.env['ORT_NODE_DIR'];
  try {
    // A variable specifier: the type checker and bundlers must not require the package.
    const name = dir ? pathToFileURL(path.join(dir, 'dist', 'index.js')).href : 'onnxruntime-node';
    ort = (await import(name)) as Ort;
  } catch (err) {
    return {
      missing: `onnxruntime-node not timed: ${dir ? `ORT_NODE_DIR=${dir} does not load` : 'not installed'} (${(err as Error).message.split('\n')[0]}); ` +
        '`ONNXRUNTIME_NODE_INSTALL=skip npm i --no-save onnxruntime-node@1.30.0`, or that in another directory and ORT_NODE_DIR=DIR/node_modules/onnxruntime-node, adds it',
    };
  }
  return {
    name: 'onnxruntime-node',
    build: `onnxruntime-node@${ort.env.versions.node ?? ort.env.versions.common}`,
    threads: 1,
    infer: (mc, batch, images) => inferSubject(ort, ['cpu'], kernels, mc, batch, images, { intraOpNumThreads: 1, interOpNumThreads: 1 }),
  };
}

async function inferSubject(
  ort: Ort, providers: string[], kernels: Kernels, mc: ModelCase, batch: number, images: Dataset,
  options: Record<string, unknown> = {},
): Promise<AsyncInferSubject> {
  const model = new Autoencoder(kernels, mc.arch).initialize(SEED);
  try {
    const session = await ort.InferenceSession.create(exportOnnx(model), { executionProviders: providers, graphOptimizationLevel: 'all', ...options });
    try {
      const x = images.images.slice(0, batch * model.inputSize);
      const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', x, [batch, ...mc.arch.input_shape]) };
      const got = (await session.run(feeds))[session.outputNames[0]!]!.data as Float32Array;
      const want = model.reconstruct(x);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      if (!(worst <= TOLERANCE)) throw new Error(`its reconstruction differs from ae-wasm's by up to ${worst} (tolerance ${TOLERANCE})`);
      return { run: () => session.run(feeds), dispose: () => session.release() };
    } catch (err) {
      await session.release();
      throw err;
    }
  } finally {
    model.dispose();
  }
}
