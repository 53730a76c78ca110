// Keras 2 / Keras 3 dialects and .keras files, built from their documented formats
// (keras-fixtures.ts): weights must land in the parameter the layer maps to (bit for bit),
// and the imported model must reconstruct as the same layers with the same weights do in
// TF.js (max abs difference <= 1e-5). Then the refusals: each names the file, the layer and
// what was expected.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { FormatError, ShapeError, UnsupportedError, ArgumentError } from '../../src/errors.js';
import { importKerasModel, type ImportOptions } from '../../src/interop/import-model.js';
import { readKerasFile } from '../../src/interop/keras-file.js';
import { readTfjsModel, type KerasArtifacts } from '../../src/interop/tfjs-import.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { jsKernels, maxAbsDiff, uniform, wasmKernels } from '../helpers.js';
import { functionalJson, kerasZip, sequentialJson, writeH5, type Json } from './keras-fixtures.js';

const TOL = 1e-5;
let kernels: Kernels[];
beforeAll(async () => {
  await tf.setBackend('cpu');
  kernels = [await wasmKernels(), jsKernels()];
});

const rand = (shape: number[], seed: number, lo = -0.5, hi = 0.5) => Float32Array.from(uniform(shape.reduce((a, b) => a * b, 1), seed, lo, hi));
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const noShards = async (): Promise<Uint8Array> => {
  throw new Error('no shard expected');
};

/** Strips what tensorflowjs_converter strips from a Keras 3 config (module, registered_name). */
function converterV3(config: unknown): unknown {
  if (Array.isArray(config)) return config.map(converterV3);
  if (typeof config !== 'object' || config === null) return config;
  return Object.fromEntries(Object.entries(config).filter(([k]) => k !== 'module' && k !== 'registered_name').map(([k, v]) => [k, converterV3(v)]));
}

/** model.json of tensorflowjs_converter with one shard of float32 weights, and a reader serving it. */
function converterModelJson(modelConfig: unknown, version: string, weights: [string, number[], Float32Array][], trainingConfig?: Json) {
  const shard = new Uint8Array(weights.reduce((n, w) => n + 4 * w[2].length, 0));
  const view = new DataView(shard.buffer);
  let at = 0;
  for (const [, , d] of weights) for (const v of d) (view.setFloat32(at, v, true), (at += 4));
  const json = {
    format: 'layers-model',
    generatedBy: `keras v${version}`,
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { keras_version: version, backend: 'tensorflow', model_config: modelConfig, ...(trainingConfig ? { training_config: trainingConfig } : {}) },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: weights.map(([name, shape]) => ({ name, shape, dtype: 'float32' })) }],
  };
  return { json, read: async (p: string, max: number) => (p === 'group1-shard1of1.bin' && shard.length <= max ? shard : fail(p)) };
}
/** Random Dense weights named "<layer>/kernel", "<layer>/bias" (Keras 2 / TF.js names), in order. */
function denseWeights(layers: [string, number[]][], seed: number): [string, number[], Float32Array][] {
  return layers.flatMap(([n, s], i): [string, number[], Float32Array][] => [[`${n}/kernel`, s, rand(s, seed + i)], [`${n}/bias`, [s[1]!], rand([s[1]!], seed + 10 + i)]]);
}

/** The Keras 2 converter's model.json of `config` with `weights`, read. */
function converterArtifacts(config: unknown, weights: [string, number[], Float32Array][], source: string): Promise<KerasArtifacts> {
  const { json, read } = converterModelJson(config, '2.15.0', weights);
  return readTfjsModel(enc(json), source, read);
}
const fail = (p: string): never => {
  throw new FormatError(`unexpected shard ${p}`);
};

/** Imports on every backend; checks the reconstruction against `oracle` and hands each model to `check`. */
function expectImport(a: KerasArtifacts, source: string, input: Float32Array, want: Float32Array, check: (m: ReturnType<typeof importKerasModel>) => void, options: ImportOptions = {}) {
  for (const k of kernels) {
    const imported = importKerasModel(k, a, source, options);
    try {
      expect(maxAbsDiff(imported.model.reconstruct(input), want), `${k.constructor.name}: max abs difference`).toBeLessThanOrEqual(TOL);
      check(imported);
    } finally {
      imported.model.dispose();
    }
  }
}

const param = (m: ReturnType<typeof importKerasModel>, name: string) => Array.from(m.model.params.read(m.model.params.get(name)!));

function predict(tm: tfl.LayersModel, input: Float32Array, shape: number[], output = 0): Float32Array {
  const x = tf.tensor(input, [input.length / shape.reduce((a, b) => a * b, 1), ...shape]);
  const y = tm.predict(x);
  const out = (Array.isArray(y) ? y[output]! : y).dataSync() as Float32Array;
  tf.dispose([x, ...(Array.isArray(y) ? y : [y])]);
  return out;
}

describe('Keras 3: a flat Sequential as a .keras file and as the converter\'s model.json', () => {
  const w = { k0: rand([12, 5], 1), b0: rand([5], 2), k1: rand([5, 12], 3), b1: rand([12], 4) };
  const config = sequentialJson('sequential', [12], [
    { cls: 'Dense', name: 'dense', config: { units: 5, activation: 'relu', use_bias: true, kernel_regularizer: { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.01 }, registered_name: null } } },
    { cls: 'Dropout', name: 'dropout', config: { rate: 0.2, seed: null, noise_shape: null } },
    { cls: 'Dense', name: 'dense_1', config: { units: 12, activation: 'sigmoid', use_bias: true } },
  ], true);
  const input = rand([3 * 12], 9, 0, 1);
  const oracle = () => {
    const tm = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [12], units: 5, activation: 'relu' }), tfl.layers.dropout({ rate: 0.2 }), tfl.layers.dense({ units: 12, activation: 'sigmoid' })] });
    tm.setWeights([tf.tensor(w.k0, [12, 5]), tf.tensor(w.b0), tf.tensor(w.k1, [5, 12]), tf.tensor(w.b1)]);
    return predict(tm, input, [12]);
  };
  const check = (m: ReturnType<typeof importKerasModel>) => {
    expect(Object.fromEntries(Object.entries(m.model.architecture.parts).map(([k, v]) => [k, v!.map((l) => l.class_name)]))).toEqual({ encoder: ['Dense', 'Dropout'], decoder: ['Dense'] });
    expect(m.code).toEqual({ layer: 'dropout', rule: 'the narrowest layer' });
    expect(param(m, 'encoder.0.kernel')).toEqual(Array.from(w.k0));
    expect(param(m, 'decoder.0.bias')).toEqual(Array.from(w.b1));
    expect(m.notes.join('\n')).toMatch(/kernel_regularizer dropped/);
  };

  it('.keras: weights from layers/<snake class>/vars/<i>; seed generator and optimizer state ignored', async () => {
    const h5 = await writeH5({
      'layers/dense/vars/0': { data: w.k0, shape: [12, 5] },
      'layers/dense/vars/1': { data: w.b0, shape: [5] },
      'layers/dropout/seed_generator/vars/0': { data: new Uint32Array([7, 0]), shape: [2] },
      'layers/dense_1/vars/0': { data: w.k1, shape: [5, 12] },
      'layers/dense_1/vars/1': { data: w.b1, shape: [12] },
      'optimizer/vars/0': { data: new Float32Array([3]), shape: [1] },
    });
    const a = await readKerasFile(kerasZip(config, h5), 'ae.keras');
    expect(a.kerasVersion).toBe('3.6.0');
    expectImport(a, 'ae.keras', input, oracle(), (m) => {
      check(m);
      // compile_config's loss names the reconstruction loss.
      expect(m.model.training!.loss).toBe('bce');
      expect(m.model.training!['imported']).toMatchObject({ from: 'Keras 3 .keras', file: 'ae.keras', keras_version: '3.6.0' });
    });
  });

  it('converter model.json (Keras 3): weights named by the same state paths', async () => {
    const { json, read } = converterModelJson(converterV3(config), '3.6.0', [
      ['layers/dense/vars/0', [12, 5], w.k0], ['layers/dense/vars/1', [5], w.b0], ['layers/dense_1/vars/0', [5, 12], w.k1], ['layers/dense_1/vars/1', [12], w.b1],
    ]);
    const a = await readTfjsModel(enc(json), 'model.json', read);
    expect(a.dialect).toBe('keras3');
    expectImport(a, 'model.json', input, oracle(), check);
  });
});

describe('Keras 3: the TensorFlow tutorial\'s Sequential([encoder, decoder])', () => {
  it('splits between the nested models; inner state paths count classes per model (the decoder\'s dense_1 is layers/sequential_1/layers/dense)', async () => {
    const w = { k0: rand([16, 3], 11), b0: rand([3], 12), k1: rand([3, 16], 13), b1: rand([16], 14) };
    const encoder = sequentialJson('encoder', [4, 4, 1], [{ cls: 'Flatten', name: 'flatten', config: { data_format: 'channels_last' } }, { cls: 'Dense', name: 'dense', config: { units: 3, activation: 'relu' } }], true);
    const decoder = sequentialJson('decoder', [3], [{ cls: 'Dense', name: 'dense_1', config: { units: 16, activation: 'sigmoid' } }, { cls: 'Reshape', name: 'reshape', config: { target_shape: [4, 4, 1] } }], true);
    const config = sequentialJson('autoencoder', null, [encoder, decoder], true);
    const h5 = await writeH5({
      'layers/sequential/layers/dense/vars/0': { data: w.k0, shape: [16, 3] },
      'layers/sequential/layers/dense/vars/1': { data: w.b0, shape: [3] },
      'layers/sequential_1/layers/dense/vars/0': { data: w.k1, shape: [3, 16] },
      'layers/sequential_1/layers/dense/vars/1': { data: w.b1, shape: [16] },
    });
    const input = rand([2 * 16], 15, 0, 1);
    const tm = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [4, 4, 1] }), tfl.layers.dense({ units: 3, activation: 'relu' }), tfl.layers.dense({ units: 16, activation: 'sigmoid' }), tfl.layers.reshape({ targetShape: [4, 4, 1] })] });
    tm.setWeights([tf.tensor(w.k0, [16, 3]), tf.tensor(w.b0), tf.tensor(w.k1, [3, 16]), tf.tensor(w.b1)]);
    expectImport(await readKerasFile(kerasZip(config, h5), 'tutorial.keras'), 'tutorial.keras', input, predict(tm, input, [4, 4, 1]), (m) => {
      expect(m.code.rule).toBe('the boundary between the two nested models');
      expect(m.model.architecture.parts.encoder!.map((l) => l.class_name)).toEqual(['Flatten', 'Dense']);
      expect(param(m, 'decoder.0.kernel')).toEqual(Array.from(w.k1));
    });
  });
});

describe('Keras 3: a functional VAE (z_mean, z_log_var, a Sampling layer)', () => {
  const w = [rand([8, 6], 21), rand([6], 22), rand([6, 2], 23), rand([2], 24), rand([6, 2], 25), rand([2], 26), rand([2, 8], 27), rand([8], 28)];
  const config = functionalJson('vae', [8], [
    { cls: 'Dense', name: 'hidden', config: { units: 6, activation: 'relu' } },
    { cls: 'Dense', name: 'z_mean', config: { units: 2 }, inputs: ['hidden'] },
    { cls: 'Dense', name: 'z_log_var', config: { units: 2 }, inputs: ['hidden'] },
    { cls: 'Sampling', name: 'z', registered: 'Custom>Sampling', inputs: ['z_mean', 'z_log_var'] },
    { cls: 'Dense', name: 'decoded', config: { units: 8, activation: 'sigmoid' }, inputs: ['z'] },
  ], ['decoded'], true);
  const paths = ['dense', 'dense_1', 'dense_2', 'dense_3'];
  const shapes = [[8, 6], [6], [6, 2], [2], [6, 2], [2], [2, 8], [8]];

  it('maps onto kind "vae" in the default wiring; reconstruct decodes z_mean as TF.js does the same layers', async () => {
    const h5 = await writeH5(Object.fromEntries(w.map((d, i) => [`layers/${paths[i >> 1]}/vars/${i & 1}`, { data: d, shape: shapes[i]! }])));
    const input = rand([3 * 8], 29, 0, 1);
    const x = tfl.input({ shape: [8] });
    const h = tfl.layers.dense({ units: 6, activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
    const mean = tfl.layers.dense({ units: 2 }).apply(h) as tfl.SymbolicTensor;
    const y = tfl.layers.dense({ units: 8, activation: 'sigmoid' }).apply(mean) as tfl.SymbolicTensor;
    const tm = tfl.model({ inputs: x, outputs: y });
    tm.setWeights([0, 1, 2, 3, 6, 7].map((i) => tf.tensor(w[i]!, shapes[i]!)));
    const a = await readKerasFile(kerasZip(config, h5), 'vae.keras');
    expectImport(a, 'vae.keras', input, predict(tm, input, [8]), (m) => {
      expect(m.model.kind).toBe('vae');
      expect(m.model.architecture.graph).toBeUndefined();
      expect(Object.keys(m.model.architecture.parts)).toEqual(['encoder', 'z_mean', 'z_log_var', 'decoder']);
      expect(param(m, 'z_log_var.0.kernel')).toEqual(Array.from(w[4]!));
      expect(m.notes.join('\n')).toMatch(/taken as the VAE sampling/);
    });
    expect(() => importKerasModel(kernels[1]!, a, 'vae.keras', { kind: 'autoencoder' })).toThrow(ArgumentError);
  });
});

describe('Keras 3: every conv-family layer class with its Keras 3 config keys, as a .keras file', () => {
  it('Conv2D, BatchNormalization(scale=False), LeakyReLU(negative_slope), SpatialDropout2D, MaxPooling2D, UpSampling2D, Conv2DTranspose, ELU, GaussianNoise, ReLU', async () => {
    const conv = (filters: number, k: number, s: number, act: string) => ({ filters, kernel_size: [k, k], strides: [s, s], padding: 'same', activation: act, use_bias: true });
    const config = sequentialJson('conv_ae', [8, 8, 2], [
      { cls: 'Conv2D', name: 'conv2d', config: conv(4, 3, 2, 'linear') },
      { cls: 'BatchNormalization', name: 'batch_normalization', config: { epsilon: 0.001, center: true, scale: false, synchronized: false } },
      { cls: 'LeakyReLU', name: 'leaky_re_lu', config: { negative_slope: 0.2 } },
      { cls: 'SpatialDropout2D', name: 'spatial_dropout2d', config: { rate: 0.1, seed: null, data_format: 'channels_last' } },
      { cls: 'MaxPooling2D', name: 'max_pooling2d', config: { pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last' } },
      { cls: 'UpSampling2D', name: 'up_sampling2d', config: { size: [2, 2], data_format: 'channels_last', interpolation: 'nearest' } },
      { cls: 'Conv2DTranspose', name: 'conv2d_transpose', config: { ...conv(3, 3, 2, 'linear'), output_padding: null } },
      { cls: 'ELU', name: 'elu', config: { alpha: 1.0 } },
      { cls: 'GaussianNoise', name: 'gaussian_noise', config: { stddev: 0.3, seed: null } },
      { cls: 'Conv2D', name: 'conv2d_1', config: conv(2, 1, 1, 'sigmoid') },
      { cls: 'ReLU', name: 're_lu', config: { max_value: null, negative_slope: 0.0, threshold: 0.0 } },
    ], true);
    const shapes: Record<string, number[]> = {
      'conv2d/vars/0': [3, 3, 2, 4], 'conv2d/vars/1': [4], 'batch_normalization/vars/0': [4], 'batch_normalization/vars/1': [4], 'batch_normalization/vars/2': [4],
      'conv2d_transpose/vars/0': [3, 3, 3, 4], 'conv2d_transpose/vars/1': [3], 'conv2d_1/vars/0': [1, 1, 3, 2], 'conv2d_1/vars/1': [2],
    };
    const w = Object.fromEntries(Object.entries(shapes).map(([p, s], i) => [p, p === 'batch_normalization/vars/2' ? rand(s, 100 + i, 0.5, 1.5) : rand(s, 100 + i)]));
    const h5 = await writeH5(Object.fromEntries(Object.entries(w).map(([p, d]) => [`layers/${p}`, { data: d, shape: shapes[p]! }])));
    const L = tfl.layers;
    const tm = tfl.sequential({ layers: [
      L.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, strides: 2, padding: 'same' }), L.batchNormalization({ scale: false }), L.leakyReLU({ alpha: 0.2 }),
      L.maxPooling2d({ poolSize: 2 }), L.upSampling2d({ size: [2, 2] }), L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }), L.elu(), L.gaussianNoise({ stddev: 0.3 }),
      L.conv2d({ filters: 2, kernelSize: 1, activation: 'sigmoid' }), L.reLU(),
    ] });
    const order = ['conv2d/vars/0', 'conv2d/vars/1', 'batch_normalization/vars/0', 'conv2d_transpose/vars/0', 'conv2d_transpose/vars/1', 'conv2d_1/vars/0', 'conv2d_1/vars/1', 'batch_normalization/vars/1', 'batch_normalization/vars/2'];
    tm.setWeights(order.map((p) => tf.tensor(w[p]!, shapes[p]!)));
    const input = rand([2 * 128], 111, 0, 1);
    expectImport(await readKerasFile(kerasZip(config, h5), 'conv.keras'), 'conv.keras', input, predict(tm, input, [8, 8, 2]), (m) => {
      const classes = Object.values(m.model.architecture.parts).flatMap((l) => l!.map((x) => x.class_name));
      expect(classes).toEqual(['Conv2D', 'BatchNormalization', 'LeakyReLU', 'SpatialDropout2D', 'MaxPooling2D', 'UpSampling2D', 'Conv2DTranspose', 'ELU', 'GaussianNoise', 'Conv2D', 'Activation']);
      const bn = Object.entries(m.model.architecture.parts).find(([, l]) => l![1]?.class_name === 'BatchNormalization')![0];
      expect(param(m, `${bn}.1.moving_variance`)).toEqual(Array.from(w['batch_normalization/vars/2']!));
    });
  });
});

describe('Keras 3: the functional VAE of the Keras examples (encoder model with outputs [z_mean, z_log_var, z], decoder model)', () => {
  it('inlines both nested Functional models, reads encoder output 2 (z) through keras_history, and finds the weights under layers/functional[_1]/layers/...', async () => {
    const enc = functionalJson('encoder', [8], [
      { cls: 'Dense', name: 'hidden', config: { units: 5, activation: 'relu' } },
      { cls: 'Dense', name: 'z_mean', config: { units: 2 }, inputs: ['hidden'] },
      { cls: 'Dense', name: 'z_log_var', config: { units: 2 }, inputs: ['hidden'] },
      { cls: 'Sampling', name: 'z', inputs: ['z_mean', 'z_log_var'] },
    ], ['z_mean', 'z_log_var', 'z'], true);
    const dec = functionalJson('decoder', [2], [{ cls: 'Dense', name: 'dec_hidden', config: { units: 5, activation: 'relu' } }, { cls: 'Dense', name: 'dec_out', config: { units: 8, activation: 'sigmoid' } }], ['dec_out'], true);
    const history = (name: string, node: number, t: number) => ({ class_name: '__keras_tensor__', config: { shape: [null], dtype: 'float32', keras_history: [name, node, t] } });
    const outer = {
      module: 'keras', class_name: 'Functional', registered_name: 'Functional',
      config: {
        name: 'vae',
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 8], dtype: 'float32', sparse: false, name: 'input_layer' }, registered_name: null, name: 'input_layer', inbound_nodes: [] },
          { ...enc, name: 'encoder', inbound_nodes: [{ args: [history('input_layer', 0, 0)], kwargs: {} }] },
          { ...dec, name: 'decoder', inbound_nodes: [{ args: [history('encoder', 1, 2)], kwargs: {} }] },
        ],
        input_layers: [['input_layer', 0, 0]],
        output_layers: [['decoder', 1, 0]],
      },
    };
    const shapes = [[8, 5], [5], [5, 2], [2], [5, 2], [2], [2, 5], [5], [5, 8], [8]];
    const w = shapes.map((s, i) => rand(s, 80 + i));
    const paths = ['functional/layers/dense', 'functional/layers/dense_1', 'functional/layers/dense_2', 'functional_1/layers/dense', 'functional_1/layers/dense_1'];
    const h5 = await writeH5(Object.fromEntries(w.map((d, i) => [`layers/${paths[i >> 1]}/vars/${i & 1}`, { data: d, shape: shapes[i]! }])));
    const input = rand([2 * 8], 91, 0, 1);
    const tm = tfl.sequential({ layers: [5, 2, 5, 8].map((units, i) => tfl.layers.dense({ units, activation: i === 1 ? 'linear' : i === 3 ? 'sigmoid' : 'relu', ...(i === 0 ? { inputShape: [8] } : {}) })) });
    tm.setWeights([0, 1, 2, 3, 6, 7, 8, 9].map((i) => tf.tensor(w[i]!, shapes[i]!)));
    expectImport(await readKerasFile(kerasZip(outer, h5), 'vae-examples.keras'), 'vae-examples.keras', input, predict(tm, input, [8]), (m) => {
      expect(m.model.kind).toBe('vae');
      expect(Object.keys(m.model.architecture.parts)).toEqual(['encoder', 'z_mean', 'z_log_var', 'decoder']);
      expect(param(m, 'z_log_var.0.bias')).toEqual(Array.from(w[5]!));
      expect(param(m, 'decoder.1.kernel')).toEqual(Array.from(w[8]!));
    });
  });
});

describe('a VAE whose heads are not one Dense each', () => {
  it('becomes a graph of parts with a sample edge and a KL term; reconstruct decodes the mean', async () => {
    const config = functionalJson('vae2', [6], [
      { cls: 'Dense', name: 'h', config: { units: 4, activation: 'relu' } },
      { cls: 'Dense', name: 'm1', config: { units: 3, activation: 'tanh' }, inputs: ['h'] },
      { cls: 'Dense', name: 'mu', config: { units: 2 } },
      { cls: 'Dense', name: 'lv', config: { units: 2 }, inputs: ['h'] },
      { cls: 'Lambda', name: 'z', config: { function: { class_name: '__lambda__', config: { code: '4wEAAA==' } } }, inputs: ['mu', 'lv'] },
      { cls: 'Dense', name: 'out', config: { units: 6, activation: 'sigmoid' }, inputs: ['z'] },
    ], ['out'], false);
    const w = denseWeights([['h', [6, 4]], ['m1', [4, 3]], ['mu', [3, 2]], ['lv', [4, 2]], ['out', [2, 6]]], 140);
    const a = await converterArtifacts(config, w, 'vae2/model.json');
    const tm = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [6], units: 4, activation: 'relu' }), tfl.layers.dense({ units: 3, activation: 'tanh' }), tfl.layers.dense({ units: 2 }), tfl.layers.dense({ units: 6, activation: 'sigmoid' })] });
    tm.setWeights([0, 1, 2, 3, 4, 5, 8, 9].map((i) => tf.tensor(w[i]![2], w[i]![1])));
    const input = rand([3 * 6], 159, 0, 1);
    expectImport(a, 'vae2/model.json', input, predict(tm, input, [6]), (m) => {
      expect(m.model.kind).toBe('vae');
      const g = m.model.architecture.graph!;
      expect(g.inputs['out']).toEqual({ sample: ['mu', 'lv'] });
      expect(g.code).toBe('mu');
      expect(g.losses).toContainEqual({ kind: 'kl', mean: 'mu', log_var: 'lv', weight: 1 });
      expect(m.model.architecture.parts['mu']!.length).toBe(2);
    });
  });
});

describe('Keras 2 converter model.json: functional, quantised weights, a classifier output', () => {
  it('Conv2D, BatchNormalization, Conv2DTranspose with a uint8 kernel and a float16 bias, two groups, as TF.js decodes them', async () => {
    const specs: { name: string; shape: number[]; q?: 'uint8' | 'float16' }[] = [
      { name: 'conv2d/kernel', shape: [3, 3, 1, 4] }, { name: 'conv2d/bias', shape: [4] },
      { name: 'batch_normalization/gamma', shape: [4] }, { name: 'batch_normalization/beta', shape: [4] },
      { name: 'batch_normalization/moving_mean', shape: [4] }, { name: 'batch_normalization/moving_variance', shape: [4] },
      { name: 'conv2d_transpose/kernel', shape: [3, 3, 1, 4], q: 'uint8' }, { name: 'conv2d_transpose/bias', shape: [1], q: 'float16' },
    ];
    const groups: { paths: string[]; weights: unknown[] }[] = [{ paths: ['group1-shard1of1.bin'], weights: [] }, { paths: ['group2-shard1of2.bin', 'group2-shard2of2.bin'], weights: [] }];
    const bytes: number[][] = [[], []];
    specs.forEach((s, i) => {
      const g = i < 6 ? 0 : 1;
      const n = s.shape.reduce((a, b) => a * b, 1);
      const values = i === 5 ? rand(s.shape, 40 + i, 0.5, 1.5) : rand(s.shape, 40 + i);
      if (s.q === 'uint8') {
        groups[g]!.weights.push({ name: s.name, shape: s.shape, dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.004, min: -0.5 } });
        for (let k = 0; k < n; k++) bytes[g]!.push((k * 37) % 256);
      } else if (s.q === 'float16') {
        groups[g]!.weights.push({ name: s.name, shape: s.shape, dtype: 'float32', quantization: { dtype: 'float16' } });
        bytes[g]!.push(0x00, 0xb8); // -0.5 in binary16
      } else {
        groups[g]!.weights.push({ name: s.name, shape: s.shape, dtype: 'float32' });
        bytes[g]!.push(...new Uint8Array(values.buffer));
      }
    });
    const g2 = Uint8Array.from(bytes[1]!);
    const files: Record<string, Uint8Array> = { 'group1-shard1of1.bin': Uint8Array.from(bytes[0]!), 'group2-shard1of2.bin': g2.subarray(0, 20), 'group2-shard2of2.bin': g2.subarray(20) };
    const config = functionalJson('model', [6, 6, 1], [
      { cls: 'Conv2D', name: 'conv2d', config: { filters: 4, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu', use_bias: true } },
      { cls: 'BatchNormalization', name: 'batch_normalization', config: { axis: [3], epsilon: 0.001, center: true, scale: true } },
      { cls: 'Conv2DTranspose', name: 'conv2d_transpose', config: { filters: 1, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'sigmoid', use_bias: true, output_padding: null } },
    ], ['conv2d_transpose'], false);
    const json = { format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0', modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: config, training_config: { loss: 'mse' } }, weightsManifest: groups };
    const a = await readTfjsModel(enc(json), 'k2/model.json', async (p, max) => (files[p]!.length <= max ? files[p]! : fail(p)));
    expect(a.dialect).toBe('keras2');
    // The oracle: tfjs-core's own decoding of the same bytes, in a TF.js model of the same layers.
    const all = new Uint8Array([...bytes[0]!, ...bytes[1]!]);
    const decoded = tf.io.decodeWeights(all.buffer, groups.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[]);
    const tm = tfl.sequential({ layers: [
      tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tfl.layers.batchNormalization({ epsilon: 0.001 }),
      tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }),
    ] });
    // TF.js lists trainable weights first: the moving statistics last.
    tm.setWeights([0, 1, 2, 3, 6, 7, 4, 5].map((i) => decoded[specs[i]!.name]!));
    const input = rand([2 * 36], 49, 0, 1);
    expectImport(a, 'k2/model.json', input, predict(tm, input, [6, 6, 1]), (m) => {
      expect(param(m, 'decoder.0.kernel')).toEqual(Array.from(decoded['conv2d_transpose/kernel']!.dataSync()));
      expect(param(m, 'decoder.0.bias')).toEqual([-0.5]);
      expect(m.model.training!.loss).toBe('mse');
    });
  });

  it('a softmax classifier output becomes logits + sparse categorical cross-entropy in a graph of parts', async () => {
    const config = functionalJson('model', [10], [
      { cls: 'Dense', name: 'code', config: { units: 4, activation: 'relu' } },
      { cls: 'Dense', name: 'recon', config: { units: 10, activation: 'sigmoid' }, inputs: ['code'] },
      { cls: 'Dense', name: 'classes', config: { units: 3, activation: 'softmax' }, inputs: ['code'] },
    ], ['recon', 'classes'], false);
    const w: [string, number[], Float32Array][] = [['code/kernel', [10, 4], rand([10, 4], 61)], ['code/bias', [4], rand([4], 62)], ['recon/kernel', [4, 10], rand([4, 10], 63)], ['recon/bias', [10], rand([10], 64)], ['classes/kernel', [4, 3], rand([4, 3], 65)], ['classes/bias', [3], rand([3], 66)]];
    const { json, read } = converterModelJson(config, '2.15.0', w);
    const a = await readTfjsModel(enc(json), 'cls/model.json', read);
    const x = tfl.input({ shape: [10] });
    const c = tfl.layers.dense({ units: 4, activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
    const tm = tfl.model({ inputs: x, outputs: [tfl.layers.dense({ units: 10, activation: 'sigmoid' }).apply(c) as tfl.SymbolicTensor, tfl.layers.dense({ units: 3, activation: 'softmax' }).apply(c) as tfl.SymbolicTensor] });
    tm.setWeights(w.map(([, s, d]) => tf.tensor(d, s)));
    const input = rand([3 * 10], 69, 0, 1);
    expectImport(a, 'cls/model.json', input, predict(tm, input, [10], 0), (m) => {
      const g = m.model.architecture.graph!;
      expect(g).toMatchObject({ inputs: { code: 'input', recon: 'code', classes: 'code' }, code: 'code', output: 'recon', labels: 3 });
      expect(g.losses).toContainEqual({ kind: 'sparse_categorical_crossentropy', output: 'classes', target: 'label', weight: 1 });
      expect(m.model.architecture.parts['classes']![0]!.config['activation']).toBe('linear');
      expect(param(m, 'classes.0.kernel')).toEqual(Array.from(w[4]![2]));
      expect(m.notes.join('\n')).toMatch(/softmax mapped to linear/);
      // predict is the softmax of the logits: TF.js' softmax output.
      expect(maxAbsDiff(m.model.predict(input), predict(tm, input, [10], 1))).toBeLessThanOrEqual(TOL);
    });
  });
});

describe('--encoder-output inside a graph of parts', () => {
  it('splits the part it falls in; the code is that layer; the computation is unchanged', async () => {
    const config = functionalJson('model', [6], [
      { cls: 'Dense', name: 'd1', config: { units: 5, activation: 'relu' } },
      { cls: 'Dense', name: 'd2', config: { units: 4, activation: 'relu' } },
      { cls: 'Dense', name: 'left', config: { units: 2 }, inputs: ['d2'] },
      { cls: 'Dense', name: 'right', config: { units: 3 }, inputs: ['d2'] },
      { cls: 'Concatenate', name: 'concatenate', config: { axis: -1 }, inputs: ['left', 'right'] },
      { cls: 'Dense', name: 'out', config: { units: 6, activation: 'sigmoid' }, inputs: ['concatenate'] },
    ], ['out'], false);
    const w = denseWeights([['d1', [6, 5]], ['d2', [5, 4]], ['left', [4, 2]], ['right', [4, 3]], ['out', [5, 6]]], 120);
    const a = await converterArtifacts(config, w, 'g/model.json');
    const input = rand([3 * 6], 139, 0, 1);
    const plain = importKerasModel(kernels[1]!, a, 'g/model.json');
    const want = plain.model.reconstruct(input);
    expect(plain.model.architecture.graph!.code).toBe('left');
    expect(Object.keys(plain.model.architecture.parts)).toEqual(['d2', 'left', 'right', 'out']);
    plain.model.dispose();
    expectImport(a, 'g/model.json', input, want, (m) => {
      expect(Object.keys(m.model.architecture.parts)).toEqual(['d1', 'd2', 'left', 'right', 'out']);
      expect(m.model.architecture.graph).toMatchObject({ code: 'd1', inputs: { d1: 'input', d2: 'd1', out: { concat: ['left', 'right'] } } });
      expect(m.model.codeShape).toEqual([5]);
      expect(param(m, 'right.0.kernel')).toEqual(Array.from(w[6]![2]));
    }, { encoderOutput: 'd1' });
  });
});

describe('refusals name the file, the layer and what was expected', () => {
  const tiny = (layers: Json[]) => ({ modelTopology: { class_name: 'Sequential', config: { name: 's', layers } }, weightsManifest: [] });
  const dense = (units: number, extra: Json = {}) => ({ class_name: 'Dense', config: { name: `d${units}`, units, ...extra } });
  const importJson = async (json: unknown, read = noShards) => importKerasModel(kernels[1]!, await readTfjsModel(enc(json), 'bad/model.json', read), 'bad/model.json');

  it('an unsupported layer class, with its position', async () => {
    await expect(importJson(tiny([{ class_name: 'LSTM', config: { name: 'lstm', units: 3, batch_input_shape: [null, 4, 2] } }]))).rejects.toThrow(/layer 0 \(lstm, LSTM\): layer class "LSTM" is not supported/);
  });
  it('an unsupported activation and a computation we do not have (dilation)', async () => {
    await expect(importJson(tiny([dense(3, { batch_input_shape: [null, 4], activation: 'hard_sigmoid' })]))).rejects.toThrow(UnsupportedError);
    await expect(importJson(tiny([{ class_name: 'Conv2D', config: { name: 'c', filters: 1, kernel_size: 3, dilation_rate: [2, 2], batch_input_shape: [null, 8, 8, 1] } }]))).rejects.toThrow(/dilation_rate \[2,2\] is not supported/);
  });
  it('softmax inside the model', async () => {
    await expect(importJson(tiny([dense(3, { batch_input_shape: [null, 4], activation: 'softmax' }), dense(4)]))).rejects.toThrow(/softmax inside the model/);
  });
  it('a subclassed model, with how to rebuild it', async () => {
    const zip = kerasZip({ module: 'vae', class_name: 'VAE', config: { latent: 2 }, registered_name: 'VAE' }, await writeH5({}));
    await expect(readKerasFile(zip, 'sub.keras')).rejects.toThrow(/class "VAE", not Sequential or Functional.*keras\.Sequential\(\[enc, dec\]\)/);
  });
  it('shard paths that leave the directory, shard bytes that do not match the manifest', async () => {
    const w = { name: 'd4/kernel', shape: [4, 4], dtype: 'float32' };
    const base = tiny([dense(4, { batch_input_shape: [null, 4] }), dense(4)]);
    await expect(importJson({ ...base, weightsManifest: [{ paths: ['../secret.bin'], weights: [w] }] })).rejects.toThrow(/plain file name/);
    await expect(importJson({ ...base, weightsManifest: [{ paths: ['g.bin'], weights: [w] }] }, async () => new Uint8Array(60))).rejects.toThrow(/shards hold 60 bytes, the manifest's weights 64/);
    await expect(importJson({ ...base, weightsManifest: [{ paths: ['g.bin'], weights: [{ ...w, dtype: 'int32' }] }] })).rejects.toThrow(/dtype "int32"/);
  });
  it('a weight of the wrong shape, a missing one, one that belongs to no layer', async () => {
    const base = tiny([dense(3, { batch_input_shape: [null, 4] }), dense(4)]);
    const spec = (name: string, shape: number[]) => ({ name, shape, dtype: 'float32' });
    const ws = [spec('d3/kernel', [4, 3]), spec('d3/bias', [3]), spec('d4/kernel', [3, 4]), spec('d4/bias', [4])];
    const bytesOf = (list: { shape: number[] }[]) => async () => new Uint8Array(4 * list.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0));
    const withW = (list: typeof ws) => importJson({ ...base, weightsManifest: [{ paths: ['g.bin'], weights: list }] }, bytesOf(list));
    await expect(withW([spec('d3/kernel', [3, 4]), ...ws.slice(1)])).rejects.toThrow(ShapeError);
    await expect(withW(ws.slice(0, 3))).rejects.toThrow(/no weight for its bias/);
    await expect(withW([...ws, spec('d9/kernel', [2])])).rejects.toThrow(/"d9\/kernel" \[2\] belongs to no layer/);
    const ok = await withW(ws);
    expect(ok.model.architecture.parts.encoder!.length).toBe(1);
    ok.model.dispose();
  });
  it('prototype keys, duplicate keys and deep nesting in the JSON', async () => {
    const text = (s: string) => readTfjsModel(new TextEncoder().encode(s), 'p/model.json', noShards);
    await expect(text('{"modelTopology": {"__proto__": {"x": 1}}, "weightsManifest": []}')).rejects.toThrow(/key "__proto__"/);
    await expect(text('{"modelTopology": {}, "modelTopology": {}}')).rejects.toThrow(/twice/);
    await expect(text(`${'['.repeat(200)}${']'.repeat(200)}`)).rejects.toThrow(/nests deeper/);
  });
  it('a zip entry declaring more than the cap is refused before it is inflated (a zip bomb)', async () => {
    const zip = kerasZip(sequentialJson('s', [4], [], true), await writeH5({}));
    // Rewrite model.weights.h5's declared size in the central directory to 2 GiB.
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    for (let i = 0; i + 46 < zip.length; i++) {
      if (view.getUint32(i, true) === 0x02014b50 && new TextDecoder().decode(zip.subarray(i + 46, i + 46 + view.getUint16(i + 28, true))) === 'model.weights.h5') view.setUint32(i + 24, 2 ** 31, true);
    }
    await expect(readKerasFile(zip, 'bomb.keras')).rejects.toThrow(/model.weights.h5 declares 2147483648 bytes, over the/);
    await expect(readKerasFile(new Uint8Array(100), 'junk.keras')).rejects.toThrow(FormatError);
  });
});
