// TF.js 4.22 on the benchmark page: the wasm backend (its SIMD build, threaded where the page
// is cross-origin isolated), and WebGL / WebGPU where this browser has them. Every case
// loads the preset's TF.js Layers export (exportTfjs: the very weights ae-wasm runs) with
// tf.loadLayersModel on the backend it times. Inference is predict plus reading the result
// back (on a GPU backend the numbers exist only then); training is trainOnBatch with Adam
// and the preset's Keras loss.

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { ADAM, modelCase, type ModelPreset } from '../bench/model-cases.js';
import { modelUrl, PEERS_URL, reasonOf, type Case, type Engine, type InferCase, type Probe } from './bench-engine.js';
import type { DigitPack } from './digit-pack.js';

export type TfjsBackendName = 'wasm' | 'webgl' | 'webgpu';
export const TFJS_BACKENDS: readonly TfjsBackendName[] = ['wasm', 'webgl', 'webgpu'];

const input = (data: Float32Array, batch: number) => tf.tensor(data.subarray(0, batch * 784), [batch, 28, 28, 1]);

async function use(backend: TfjsBackendName): Promise<void> {
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} failed to initialise`);
  await tf.ready();
}

/** Why this browser cannot run a GPU backend, before TF.js tries (its own failure is less clear). */
async function gpuMissing(backend: TfjsBackendName): Promise<string | null> {
  if (backend === 'webgl') {
    const canvas = document.createElement('canvas');
    return canvas.getContext('webgl2') || canvas.getContext('webgl') ? null : 'this browser gives no WebGL context (no GPU, or WebGL disabled)';
  }
  if (backend === 'webgpu') {
    const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) return 'navigator.gpu is absent: this browser has no WebGPU';
    return (await gpu.requestAdapter()) ? null : 'navigator.gpu.requestAdapter() found no adapter (no usable GPU)';
  }
  return null;
}

async function facts(backend: TfjsBackendName): Promise<string> {
  const version = `tfjs ${tf.version_core}`;
  if (backend === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    // TF.js' own default thread count (setThreadsCount not called): what a page using it gets.
    const threads = getThreadsCount();
    return `${version}, tfjs-backend-wasm${mt ? '-threaded' : ''}${simd ? '-simd' : ''}.wasm, ${threads} thread${threads > 1 ? 's' : ''} (TF.js' default)`;
  }
  if (backend === 'webgl') {
    const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
    const debug = gl?.getExtension('WEBGL_debug_renderer_info');
    const renderer = gl ? String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) : 'unknown';
    return `${version}, WebGL ${tf.env().getNumber('WEBGL_VERSION')}, renderer ${renderer}${/swiftshader|llvmpipe|software/i.test(renderer) ? ' (software: the CPU emulates the GPU)' : ''}`;
  }
  return `${version}, WebGPU`;
}

const KERAS_LOSS = { mse: 'meanSquaredError', bce: 'binaryCrossentropy' } as const;

async function trainCase(backend: TfjsBackendName, preset: ModelPreset, batch: number, data: DigitPack): Promise<Case> {
  await use(backend);
  const mc = modelCase(preset);
  const model = await tfl.loadLayersModel(modelUrl(preset, 'tfjs'));
  const optimizer = tf.train.adam(ADAM.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon);
  model.compile({ optimizer, loss: KERAS_LOSS[mc.loss] });
  const steps = Math.floor(data.n / batch);
  const batches = Array.from({ length: Math.min(steps, 8) }, (_, b) => input(data.images.subarray(b * batch * 784), batch));
  let s = 0;
  const dispose = () => {
    tf.dispose(batches);
    optimizer.dispose();
    model.dispose();
  };
  const run = async () => {
    const x = batches[s++ % batches.length]!;
    const loss = (await model.trainOnBatch(x, x)) as number;
    if (!Number.isFinite(loss)) throw new Error(`TF.js ${backend} ${preset} training: the loss became ${loss} at step ${s}`);
  };
  try {
    await run(); // a backend without a gradient kernel fails here, before timing
  } catch (err) {
    dispose();
    throw err;
  }
  return { run, dispose };
}

export async function tfjsEngine(backend: TfjsBackendName): Promise<Probe> {
  const id = `tfjs-${backend}`;
  const label = `TF.js ${backend}`;
  if (backend === 'wasm') setWasmPaths(PEERS_URL());
  const missing = await gpuMissing(backend);
  if (missing) return { id, label, reason: missing };
  try {
    await use(backend);
  } catch (err) {
    return { id, label, reason: reasonOf(err) };
  }
  const engine: Engine = {
    id,
    label,
    facts: await facts(backend),
    async infer(preset, batch, x): Promise<InferCase> {
      await use(backend);
      const model = await tfl.loadLayersModel(modelUrl(preset, 'tfjs'));
      const xt = input(x, batch);
      const run = async () => {
        const y = model.predict(xt) as tf.Tensor;
        try {
          return await y.data();
        } finally {
          y.dispose();
        }
      };
      return {
        output: (await run()) as Float32Array,
        run,
        dispose() {
          xt.dispose();
          model.dispose();
        },
      };
    },
    train: (preset, batch, data) =>
      modelCase(preset).arch.kind === 'vae'
        ? 'a VAE trains on BCE + KL with sampled codes, no Keras loss trainOnBatch takes (the Node bench times it with optimizer.minimize)'
        : trainCase(backend, preset, batch, data),
  };
  return engine;
}
