// One SGD training step against TF.js (tfjs-layers 4.22, cpu backend) as the oracle: the
// same weights (ours, exported with exportTfjs, or set layer by layer for a graph of parts),
// the same batch, one step of plain SGD in each; the updated weights (and BatchNormalization's
// moving statistics) agree within 1e-5. The step is large enough (learning rate 0.5) that
// every weight moves and the largest change is over 100 times the tolerance, so a wrong gradient cannot pass.
//   MSE:  Keras 'meanSquaredError' (mean over the last axis, then over the batch).
//   BCE:  Keras 'binaryCrossentropy' (probabilities clipped to [1e-7, 1 - 1e-7]); ours fuses
//         with the sigmoid, which is the same where nothing is clipped.
//   VAE:  the Keras VAE tutorial's loss: sum of BCE over the pixels + KL, both means over
//         the batch; eps is read back from our step (z - mu) / exp(lv / 2).
//   SCE:  a classifier on the reconstruction: MSE + sparse categorical cross-entropy from
//         logits (tf.losses.softmaxCrossEntropy on one-hot labels, mean over the batch).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { exportTfjs } from '../../src/interop/export-tfjs.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import type { Architecture } from '../../src/models/architecture.js';
import type { Autoencoder } from '../../src/models/autoencoder.js';
import { presetArchitecture } from '../../src/models/presets.js';
import type { LossKind } from '../../src/nn/losses.js';
import { RandomStream } from '../../src/random/streams.js';
import { SGD } from '../../src/train/optimizers.js';
import { planStep, releaseStep, trainStep } from '../../src/train/step.js';
import { jsKernels, maxAbsDiff, uniform, wasmKernels } from '../helpers.js';
import { classifierOnReconstruction, CLASSES } from '../models/graph-fixtures.js';
import { randomModel } from './export-fixtures.js';
import { memoryHandler } from './tfjs-memory.js';

const TOL = 1e-5;
const LR = 0.5;
const N = 8;

let backends: [string, () => Promise<Kernels> | Kernels][];

beforeAll(async () => {
  await tf.setBackend('cpu');
  backends = [
    ['wasm', wasmKernels],
    ['js', () => jsKernels('f32')],
  ];
});

function batchOf(shape: readonly number[], seed: number, labelled = false): Dataset {
  const size = shape.reduce((a, b) => a * b, 1);
  const labels = Uint8Array.from({ length: N }, (_, i) => (i * 7 + seed) % CLASSES);
  // Inputs in (0.05, 0.95): BCE targets away from 0 and 1 keep Keras' clipping out of play.
  return { images: Float32Array.from(uniform(N * size, seed, 0.05, 0.95)), labels: labelled ? labels : new Uint8Array(N), n: N, shape: [...shape] };
}

/** One SGD step of ours on the whole batch (in order); returns the plan's graph values read afterwards. */
function ourStep(model: Autoencoder, data: Dataset, loss: LossKind, read: (g: ReturnType<typeof planStep>['graph']) => void = () => {}): void {
  const plan = planStep(model, data, { batch: N, loss, noise: 0, optimizer: new SGD({ learningRate: LR }), noiseStream: new RandomStream(99) });
  try {
    const value = trainStep(plan, Uint32Array.from({ length: N }, (_, i) => i), 0, N);
    expect(Number.isFinite(value)).toBe(true);
    read(plan.graph);
  } finally {
    releaseStep(plan);
  }
}

/** Our weights by their TF.js names ({part}_{i}/{param}), from the exporter's manifest and shard. */
function weightsByName(model: Autoencoder, part: 'all' | 'encoder' | 'decoder' = 'all'): Map<string, Float32Array> {
  const e = exportTfjs(model, { part });
  const out = new Map<string, Float32Array>();
  const all = new Float32Array(e.weights.slice().buffer);
  let at = 0;
  for (const w of e.modelJson.weightsManifest.flatMap((g) => g.weights)) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    out.set(w.name, all.slice(at, at + size));
    at += size;
  }
  return out;
}

function compareWeights(ours: Map<string, Float32Array>, before: Map<string, Float32Array>, theirs: tfl.LayerVariable[]): void {
  expect(theirs.length, 'TF.js weight count').toBe(ours.size);
  let moved = 0;
  for (const v of theirs) {
    const name = v.originalName;
    const mine = ours.get(name);
    expect(mine, `our weight ${name}`).toBeDefined();
    const got = v.read().dataSync() as Float32Array;
    const d = maxAbsDiff(mine!, got);
    expect(d, `${name}: max abs difference after one step`).toBeLessThanOrEqual(TOL);
    // The step moved every trainable weight, and some by far more than the tolerance.
    const step = maxAbsDiff(before.get(name)!, mine!);
    if (v.trainable) expect(step, `${name} moved`).toBeGreaterThan(0);
    moved = Math.max(moved, step);
  }
  expect(moved, 'largest change of a weight in the step').toBeGreaterThan(100 * TOL);
}

const BN_CHAIN: Architecture = {
  kind: 'autoencoder',
  input_shape: [4, 4, 1],
  parts: {
    encoder: [
      { class_name: 'Flatten', config: {} },
      { class_name: 'Dense', config: { units: 6, activation: 'linear', use_bias: false } },
      { class_name: 'BatchNormalization', config: {} },
      { class_name: 'Activation', config: { activation: 'relu' } },
      { class_name: 'Dense', config: { units: 3, activation: 'tanh' } },
    ],
    decoder: [{ class_name: 'Dense', config: { units: 16, activation: 'sigmoid' } }, { class_name: 'Reshape', config: { target_shape: [4, 4, 1] } }],
  },
};

const KERAS_CASES: { name: string; arch: Architecture; loss: LossKind }[] = [
  { name: 'dense, MSE', arch: presetArchitecture('dense', { inputShape: [6, 6, 1], latent: 5 }), loss: 'mse' },
  { name: 'dense, BCE', arch: presetArchitecture('dense', { inputShape: [6, 6, 1], latent: 5 }), loss: 'bce' },
  { name: 'deep, BCE', arch: presetArchitecture('deep', { inputShape: [6, 6, 1], latent: 4 }), loss: 'bce' },
  { name: 'conv 8x8x1, MSE', arch: presetArchitecture('conv', { inputShape: [8, 8, 1] }), loss: 'mse' },
  { name: 'conv 8x8x3, BCE', arch: presetArchitecture('conv', { inputShape: [8, 8, 3] }), loss: 'bce' },
  { name: 'Dense -> BatchNormalization -> relu (moving statistics too), MSE', arch: BN_CHAIN, loss: 'mse' },
];

describe('one SGD step: ae-wasm and TF.js trainOnBatch give the same weights', () => {
  for (const c of KERAS_CASES) {
    it.each([0, 1])(`${c.name} (%#: wasm, js)`, async (bi) => {
      const kernels = await backends[bi]![1]();
      const model = randomModel(kernels, c.arch, 5);
      try {
        const data = batchOf(c.arch.input_shape, 11);
        const tm = await tfl.loadLayersModel(memoryHandler(exportTfjs(model)), { strict: true });
        const before = weightsByName(model);
        tm.compile({ optimizer: tf.train.sgd(LR), loss: c.loss === 'mse' ? 'meanSquaredError' : 'binaryCrossentropy' });
        const x = tf.tensor(data.images, [N, ...data.shape]);
        await tm.trainOnBatch(x, x);
        ourStep(model, data, c.loss);
        compareWeights(weightsByName(model), before, tm.weights);
        tf.dispose(x);
        tm.dispose();
      } finally {
        model.dispose();
      }
    });
  }
});

describe('one SGD step of the VAE loss (reconstruction BCE summed per sample + KL)', () => {
  it.each([0, 1])('vae 6x6x1, latent 2 (%#: wasm, js)', async (bi) => {
    const kernels = await backends[bi]![1]();
    const arch = presetArchitecture('vae', { inputShape: [6, 6, 1], latent: 2 });
    const model = randomModel(kernels, arch, 6);
    try {
      const data = batchOf(arch.input_shape, 12);
      const enc = await tfl.loadLayersModel(memoryHandler(exportTfjs(model, { part: 'encoder' })), { strict: true });
      const dec = await tfl.loadLayersModel(memoryHandler(exportTfjs(model, { part: 'decoder' })), { strict: true });
      const before = new Map([...weightsByName(model, 'encoder'), ...weightsByName(model, 'decoder')]);
      let eps: Float32Array | null = null;
      ourStep(model, data, 'bce', (g) => {
        const read = (name: string) => kernels.heap.read(g.valueOf(name).offset, N * 2);
        const mu = read('z_mean');
        const lv = read('z_log_var');
        const z = read('sample(z_mean,z_log_var)');
        eps = Float32Array.from(z, (v, i) => (v - mu[i]!) / Math.exp(lv[i]! / 2));
      });
      const x = tf.tensor(data.images, [N, ...data.shape]);
      const e = tf.tensor(eps!, [N, 2]);
      const vars = [...enc.trainableWeights, ...dec.trainableWeights].map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => {
        const [mu, lv] = enc.apply(x, { training: true }) as tf.Tensor[];
        const z = tf.add(mu!, tf.mul(tf.exp(tf.div(lv!, 2)), e));
        const p = tf.clipByValue(dec.apply(z, { training: true }) as tf.Tensor, 1e-7, 1 - 1e-7);
        const bce = tf.neg(tf.add(tf.mul(x, tf.log(p)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, p)))));
        const recon = tf.mean(tf.sum(tf.reshape(bce, [N, -1]), 1));
        const kl = tf.mean(tf.sum(tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, lv!), tf.square(mu!)), tf.exp(lv!))), 1));
        return tf.add(recon, kl) as tf.Scalar;
      }, vars);
      for (const v of vars) v.assign(tf.sub(v, tf.mul(LR, grads[v.name]!)));
      compareWeights(new Map([...weightsByName(model, 'encoder'), ...weightsByName(model, 'decoder')]), before, [...enc.weights, ...dec.weights.filter((w) => !w.originalName.startsWith('encoder'))]);
      tf.dispose([x, e]);
      enc.dispose();
      dec.dispose();
    } finally {
      model.dispose();
    }
  });
});

describe('one SGD step of MSE + sparse categorical cross-entropy (classifier on the reconstruction)', () => {
  it.each([0, 1])('4x4x1, %s classes (%#: wasm, js)'.replace('%s', String(CLASSES)), async (bi) => {
    const kernels = await backends[bi]![1]();
    const arch = classifierOnReconstruction([4, 4, 1]);
    const model = randomModel(kernels, arch, 7);
    try {
      const data = batchOf(arch.input_shape, 13, true);
      // The same parts in TF.js, their weights set from ours (Keras layout on both sides).
      const param = (name: string) => tf.tensor(model.params.read(model.params.list.find((p) => p.name === name)!), model.params.list.find((p) => p.name === name)!.shape as number[]);
      const encoder = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [4, 4, 1] }), tfl.layers.dense({ units: 3, activation: 'relu' })] });
      const decoder = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 16, activation: 'sigmoid' }), tfl.layers.reshape({ targetShape: [4, 4, 1] })] });
      const classifier = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [4, 4, 1] }), tfl.layers.dense({ units: CLASSES, activation: 'linear' })] });
      const dense = [
        ['encoder.1', encoder.layers[1]!],
        ['decoder.0', decoder.layers[0]!],
        ['classifier.1', classifier.layers[1]!],
      ] as const;
      for (const [ours, layer] of dense) layer.setWeights([param(`${ours}.kernel`), param(`${ours}.bias`)]);
      const before = new Map(dense.flatMap(([ours]) => [`${ours}.kernel`, `${ours}.bias`].map((n) => [n, model.params.read(model.params.list.find((p) => p.name === n)!)] as const)));

      const x = tf.tensor(data.images, [N, 4, 4, 1]);
      const onehot = tf.oneHot(tf.tensor1d(Array.from(data.labels), 'int32'), CLASSES);
      const vars = dense.flatMap(([, layer]) => layer.trainableWeights.map((w) => w.read() as tf.Variable));
      const { grads } = tf.variableGrads(() => {
        const r = decoder.apply(encoder.apply(x)) as tf.Tensor;
        const mse = tf.mean(tf.square(tf.sub(r, x)));
        const ce = tf.losses.softmaxCrossEntropy(onehot, classifier.apply(r) as tf.Tensor, undefined, 0, tf.Reduction.MEAN);
        return tf.add(mse, ce) as tf.Scalar;
      }, vars);
      for (const v of vars) v.assign(tf.sub(v, tf.mul(LR, grads[v.name]!)));
      ourStep(model, data, 'mse');
      for (const [ours, layer] of dense) {
        const [k, b] = layer.getWeights();
        for (const [name, t] of [[`${ours}.kernel`, k!], [`${ours}.bias`, b!]] as const) {
          const mine = model.params.read(model.params.list.find((p) => p.name === name)!);
          expect(maxAbsDiff(mine, t.dataSync()), `${name}: max abs difference after one step`).toBeLessThanOrEqual(TOL);
          expect(maxAbsDiff(mine, before.get(name)!), `${name} moved`).toBeGreaterThan(10 * TOL);
        }
      }
      tf.dispose([x, onehot]);
      for (const m of [encoder, decoder, classifier]) m.dispose();
    } finally {
      model.dispose();
    }
  });
});
