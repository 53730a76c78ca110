// TF.js peers (tfjs-core, tfjs-layers 4.22.0) on the `cpu` and `wasm` backends: the same
// architectures, built from the preset's own layer records (Keras class names and
// configs map one to one onto tfjs-layers: same layers, activations, padding, strides,
// glorot-uniform kernels and zero biases), trained as PERF-NOTES.md found fastest:
// `optimizer.minimize` over batches sliced into tensors beforehand (model.fit was
// about 25% slower), with the same objective and Adam settings as ours.
//
// In Node the wasm backend finds its .wasm files next to its own module in
// node_modules (no setWasmPaths needed), picks the SIMD build when the engine
// validates it, and runs one thread (its thread pool needs a browser's workers).

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { Dataset } from '../src/data/dataset.js';
import type { LayerSpec } from '../src/nn/layer.js';
import { ADAM, type ModelCase } from './model-cases.js';
import type { InferSubject, TrainSubject } from './model-ours.js';

export type TfjsBackend = 'cpu' | 'wasm';

export interface TfjsRuntime {
  name: 'tfjs-cpu' | 'tfjs-wasm';
  build: string;
  threads: number;
  train(mc: ModelCase, batch: number, train: Dataset): TrainSubject;
  infer(mc: ModelCase, batch: number, images: Dataset): InferSubject;
}

/** Keras' epsilon: probabilities are clipped to [EPS, 1 - EPS] before the logs of BCE. */
const EPS = 1e-7;

/** Switches TF.js to `backend` and describes it. */
export async function tfjsRuntime(backend: TfjsBackend): Promise<TfjsRuntime> {
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} failed to initialise`);
  await tf.ready();
  let build = `tfjs-backend-cpu@${tf.version_core}`;
  let threads = 1;
  if (backend === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    build = `tfjs-backend-wasm${mt ? '-threaded' : ''}${simd ? '-simd' : ''}.wasm@${tf.version_core}`;
    // The thread pool exists only where workers and SharedArrayBuffer are usable.
    if (mt) threads = Math.max(1, (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ?? 1);
  }
  return {
    name: backend === 'cpu' ? 'tfjs-cpu' : 'tfjs-wasm',
    build,
    threads,
    train: (mc, batch, data) => trainSubject(mc, batch, data),
    infer: (mc, batch, images) => inferSubject(mc, batch, images),
  };
}

/** One Keras layer record as a tfjs-layers layer (the first one gets the input shape). */
function tfLayer(spec: LayerSpec, inputShape: number[] | null): tfl.layers.Layer {
  const c = spec.config as Record<string, any>;
  const first = inputShape ? { inputShape } : {};
  const conv = { ...first, filters: c.filters, kernelSize: c.kernel_size, strides: c.strides, padding: c.padding, activation: c.activation ?? 'linear' };
  switch (spec.class_name) {
    case 'Flatten':
      return tfl.layers.flatten(first);
    case 'Dense':
      return tfl.layers.dense({ ...first, units: c.units, activation: c.activation ?? 'linear' });
    case 'Reshape':
      return tfl.layers.reshape({ ...first, targetShape: c.target_shape });
    case 'Conv2D':
      return tfl.layers.conv2d(conv);
    case 'Conv2DTranspose':
      return tfl.layers.conv2dTranspose(conv);
    case 'MaxPooling2D':
      return tfl.layers.maxPooling2d({ ...first, poolSize: c.pool_size, strides: c.strides, padding: c.padding });
    case 'UpSampling2D':
      return tfl.layers.upSampling2d({ ...first, size: c.size, interpolation: c.interpolation ?? 'nearest' });
    default:
      throw new Error(`no tfjs-layers equivalent wired up for ${spec.class_name}`);
  }
}

function sequential(specs: LayerSpec[], inputShape: number[]): tfl.Sequential {
  return tfl.sequential({ layers: specs.map((s, i) => tfLayer(s, i === 0 ? inputShape : null)) });
}

const outShape = (m: tfl.LayersModel): number[] => (m.outputs[0]!.shape as number[]).slice(1);

/** The parts of a model: the whole autoencoder as one Sequential, or a VAE's four parts. */
interface Parts {
  models: tfl.Sequential[];
  /** Inference: reconstruct (a VAE decodes z = z_mean). */
  reconstruct(x: tf.Tensor): tf.Tensor;
  /** The training objective on (input, clean target). */
  objective(input: tf.Tensor, target: tf.Tensor): tf.Scalar;
}

/** Element-wise binary cross-entropy of probabilities, as Keras computes it. */
function bce(target: tf.Tensor, p: tf.Tensor): tf.Tensor {
  const q = tf.clipByValue(p, EPS, 1 - EPS);
  return tf.neg(tf.add(tf.mul(target, tf.log(q)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, q)))));
}

function buildParts(mc: ModelCase): Parts {
  const { arch } = mc;
  if (arch.kind !== 'vae') {
    const m = sequential([...arch.parts.encoder, ...arch.parts.decoder], arch.input_shape);
    const apply = (x: tf.Tensor, training: boolean) => m.apply(x, { training }) as tf.Tensor;
    return {
      models: [m],
      reconstruct: (x) => apply(x, false),
      objective(input, target) {
        const out = apply(input, true);
        return (mc.loss === 'mse' ? tf.mean(tf.squaredDifference(out, target)) : tf.mean(bce(target, out))) as tf.Scalar;
      },
    };
  }
  const enc = sequential(arch.parts.encoder, arch.input_shape);
  const zMean = sequential(arch.parts.z_mean!, outShape(enc));
  const zLogVar = sequential(arch.parts.z_log_var!, outShape(enc));
  const dec = sequential(arch.parts.decoder, outShape(zMean));
  const ap = (m: tfl.Sequential, x: tf.Tensor, training = true) => m.apply(x, { training }) as tf.Tensor;
  const axes = arch.input_shape.map((_, i) => i + 1);
  return {
    models: [enc, zMean, zLogVar, dec],
    reconstruct: (x) => ap(dec, ap(zMean, ap(enc, x, false), false), false),
    objective(input, target) {
      const h = ap(enc, input);
      const mu = ap(zMean, h);
      const lv = ap(zLogVar, h);
      const z = tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, lv)), tf.randomNormal(mu.shape)));
      const out = ap(dec, z);
      // Reconstruction summed per image, KL summed over the code; both averaged over the batch.
      const recon = tf.mean(tf.sum(mc.loss === 'bce' ? bce(target, out) : tf.squaredDifference(out, target), axes));
      const kl = tf.mean(tf.sum(tf.mul(0.5, tf.sub(tf.add(tf.exp(lv), tf.square(mu)), tf.add(1, lv))), 1));
      return tf.add(recon, tf.mul(mc.beta, kl)) as tf.Scalar;
    },
  };
}

/** Consecutive full batches of the training images, as [batch, ...input_shape] tensors. */
function sliceBatches(data: Dataset, batch: number, shape: number[]): tf.Tensor[] {
  const size = shape.reduce((a, b) => a * b, 1);
  const out: tf.Tensor[] = [];
  for (let b = 0; (b + 1) * batch <= data.n; b++) {
    out.push(tf.tensor(data.images.subarray(b * batch * size, (b + 1) * batch * size), [batch, ...shape]));
  }
  return out;
}

function trainSubject(mc: ModelCase, batch: number, data: Dataset): TrainSubject {
  const parts = buildParts(mc);
  const batches = sliceBatches(data, batch, mc.arch.input_shape);
  const optimizer = tf.train.adam(ADAM.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon);
  const vars = parts.models.flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
  let s = 0;
  let loss = NaN;
  let firstLoss = NaN;
  return {
    step() {
      const x = batches[s++ % batches.length]!;
      const cost = tf.tidy(() => {
        const input = mc.noise > 0 ? tf.clipByValue(tf.add(x, tf.randomNormal(x.shape, 0, mc.noise)), 0, 1) : x;
        return optimizer.minimize(() => parts.objective(input, x), true, vars)!;
      });
      loss = cost.dataSync()[0]!;
      cost.dispose();
      if (s === 1) firstLoss = loss;
    },
    get loss() {
      return loss;
    },
    get firstLoss() {
      return firstLoss;
    },
    dispose() {
      tf.dispose(batches);
      optimizer.dispose();
      for (const m of parts.models) m.dispose();
    },
  };
}

function inferSubject(mc: ModelCase, batch: number, images: Dataset): InferSubject {
  const parts = buildParts(mc);
  const size = mc.arch.input_shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(images.images.subarray(0, batch * size), [batch, ...mc.arch.input_shape]);
  return {
    // The cpu and wasm backends compute eagerly: the output exists when apply returns.
    run: () => tf.tidy(() => void parts.reconstruct(x)),
    dispose() {
      x.dispose();
      for (const m of parts.models) m.dispose();
    },
  };
}

/** Tensors alive in TF.js (a leak check between cases). */
export const tfjsTensorCount = (): number => tf.memory().numTensors;
