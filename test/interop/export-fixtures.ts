// Models the export oracle tests run in ONNX Runtime and TF.js: every preset, odd shapes
// (non-square, RGB, even kernels, k < stride transposed convs), BatchNormalization after a
// Conv, the identity layers, and each activation in a small model. Every parameter is
// random (biases and moving statistics too), so a dropped bias or a swapped kernel axis shows.
import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import type { Kernels } from '../../src/kernels/kernels.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import type { Architecture } from '../../src/models/architecture.js';
import { presetArchitecture } from '../../src/models/presets.js';
import type { ExportPart } from '../../src/interop/export-parts.js';
import type { LayerSpec } from '../../src/nn/layer.js';
import { ACTIVATION_NAMES } from '../../src/nn/activations.js';
import { uniform } from '../helpers.js';

export interface ExportCase {
  name: string;
  arch: Architecture;
}

const L = (class_name: string, config: Record<string, unknown> = {}): LayerSpec => ({ class_name, config });
const conv = (filters: number, k: number | number[], s: number | number[], padding: string, activation = 'relu'): LayerSpec =>
  L('Conv2D', { filters, kernel_size: k, strides: s, padding, activation });
const deconv = (filters: number, k: number | number[], s: number | number[], padding: string, activation = 'relu'): LayerSpec =>
  L('Conv2DTranspose', { filters, kernel_size: k, strides: s, padding, activation });

const PRESETS = ['dense', 'linear', 'deep', 'deep-bn', 'conv', 'deep-conv', 'vae'];

export const CASES: ExportCase[] = [
  ...PRESETS.map((p) => ({ name: p, arch: presetArchitecture(p) })),
  { name: 'conv 16x16x3 (RGB)', arch: presetArchitecture('conv', { inputShape: [16, 16, 3] }) },
  { name: 'dense 16x16x3 (RGB)', arch: presetArchitecture('dense', { inputShape: [16, 16, 3], latent: 9 }) },
  { name: 'conv 12x20x1 (non-square)', arch: presetArchitecture('conv', { inputShape: [12, 20, 1] }) },
  {
    // Even and non-square kernels with stride 2 'same' (Keras pads more at the bottom / right),
    // 'valid' windows, a same-padded pool on odd sizes, BatchNormalization after a Conv.
    name: 'conv-family 12x20x1: even kernels, valid, odd pool, BN after Conv',
    arch: {
      kind: 'autoencoder',
      input_shape: [12, 20, 1],
      parts: {
        encoder: [
          conv(4, 4, 2, 'same', 'linear'), L('BatchNormalization', { epsilon: 0.01 }), L('Activation', { activation: 'relu' }),
          conv(5, [3, 2], [1, 2], 'valid', 'tanh'), L('MaxPooling2D', { pool_size: 3, strides: 2, padding: 'same' }),
          L('SpatialDropout2D', { rate: 0.3 }),
        ],
        decoder: [
          deconv(6, 2, 2, 'same'), deconv(3, [3, 4], [1, 2], 'valid'), L('GaussianNoise', { stddev: 0.5 }),
          L('UpSampling2D', { size: [2, 1] }), L('Dropout', { rate: 0.2 }),
          conv(1, [5, 5], 1, 'valid', 'sigmoid'), L('Flatten'), L('Dense', { units: 240, activation: 'sigmoid' }), L('Reshape', { target_shape: [12, 20, 1] }),
        ],
      },
    },
  },
  {
    // Transposed convs with k < stride (output_padding), k = stride and k > stride, 'same' and 'valid'.
    name: 'Conv2DTranspose k<s, k=s, k>s; Dense and BatchNormalization on 3-D tensors',
    arch: {
      kind: 'autoencoder',
      input_shape: [9, 6, 2],
      parts: {
        encoder: [conv(3, 3, 3, 'same', 'elu'), L('Dense', { units: 4, activation: 'selu' }), L('BatchNormalization', { center: false })],
        decoder: [deconv(3, 1, 3, 'same', 'softplus'), deconv(2, 2, [1, 2], 'valid', 'linear'), deconv(2, 3, 2, 'same'), L('Flatten'), L('Dense', { units: 108 })],
      },
    },
  },
  ...ACTIVATION_NAMES.map((act) => ({
    name: `activation ${act}`,
    arch: {
      kind: 'autoencoder' as const,
      input_shape: [7],
      parts: { encoder: [L('Dense', { units: 5, activation: act })], decoder: [L('Dense', { units: 6, activation: act, use_bias: false }), L('Activation', { activation: act }), L('Dense', { units: 7 })] },
    },
  })),
  {
    name: 'LeakyReLU, ELU layers; BatchNormalization without scale',
    arch: {
      kind: 'autoencoder',
      input_shape: [8],
      parts: {
        encoder: [L('Dense', { units: 6 }), L('LeakyReLU', { alpha: 0.15 }), L('Dense', { units: 3 }), L('ELU', {})],
        decoder: [L('Dense', { units: 6 }), L('BatchNormalization', { scale: false }), L('LeakyReLU', {}), L('Dense', { units: 8 })],
      },
    },
  },
  {
    name: 'ELU layer with alpha 0.7',
    arch: { kind: 'autoencoder', input_shape: [4], parts: { encoder: [L('Dense', { units: 3 }), L('ELU', { alpha: 0.7 })], decoder: [L('Dense', { units: 4 })] } },
  },
  { name: 'vae 12x20x1 latent 3', arch: presetArchitecture('vae', { inputShape: [12, 20, 1], latent: 3 }) },
];

/** Where each non-kernel parameter is drawn from, uniformly: [lo, hi). */
const RANGES: Record<string, [number, number]> = {
  bias: [-0.2, 0.2],
  gamma: [0.6, 1.4],
  beta: [-0.2, 0.2],
  moving_mean: [-0.2, 0.2],
  moving_variance: [0.4, 1.6],
};

/**
 * A model with every parameter random: kernels Keras' glorot uniform (so activations stay
 * O(1), as in a trained model, and float32 sums of 784 terms agree to 1e-5), biases and
 * BatchNormalization's four vectors as RANGES says.
 */
export function randomModel(kernels: Kernels, arch: Architecture, seed: number): Autoencoder {
  const model = new Autoencoder(kernels, arch).initialize(seed);
  model.params.list.forEach((p, i) => {
    const range = RANGES[p.name.split('.').pop()!];
    if (range) model.params.write(p, uniform(p.size, seed * 1000 + i, ...range));
  });
  return model;
}

/** One graph input of an export: its name, values and per-sample shape. */
export interface Feed {
  name: string;
  data: Float32Array;
  shape: readonly number[];
}

/**
 * n random inputs of a part (values in [0, 1): valid for a sigmoid model's range check; codes
 * in [-1, 1)), with a random label per sample as a one-hot `label` feed where the pass reads
 * it, and our outputs for them: reconstruct, encode, decode and predict (the class probabilities).
 */
export function graphReference(model: Autoencoder, part: ExportPart, n: number, seed: number): { feeds: Feed[]; labels?: number[]; outputs: Record<string, Float32Array> } {
  const decoder = part === 'decoder';
  const inShape = decoder ? model.codeShape : model.inputShape;
  const size = inShape.reduce((a, b) => a * b, 1);
  const input = Float32Array.from(uniform(n * size, seed, decoder ? -1 : 0, 1));
  const feeds: Feed[] = [{ name: decoder ? 'code' : 'input', data: input, shape: inShape }];
  let labels: number[] | undefined;
  if (decoder ? model.decoderReadsLabels : model.readsLabels) {
    const k = model.labelCount!;
    labels = Array.from(uniform(n, seed + 1, 0, k), (v) => Math.min(k - 1, Math.floor(v)));
    const oneHot = new Float32Array(n * k);
    labels.forEach((l, i) => (oneHot[i * k + l] = 1));
    feeds.push({ name: 'label', data: oneHot, shape: [k] });
  }
  const outputs: Record<string, Float32Array> = {};
  const classifier = model.classifier;
  // A model whose output is its classifier (ae-wasm classify) reconstructs nothing.
  const reconstructs = classifier === null || model.architecture.graph!.output !== classifier;
  if (decoder) outputs['reconstruction'] = model.decode(input, labels);
  else if (part === 'encoder') {
    const { codes, logVar } = model.encodeWithLogVar(input, labels);
    Object.assign(outputs, logVar ? { z_mean: codes, z_log_var: logVar } : { code: codes });
  } else {
    if (part === 'all' && reconstructs) outputs['reconstruction'] = model.reconstruct(input, labels);
    if (classifier) outputs['probabilities'] = model.predict(input, labels);
  }
  return { feeds, ...(labels ? { labels } : {}), outputs };
}

/** n random inputs of a chain model's part (one graph input) and our outputs for them. */
export function reference(model: Autoencoder, part: ExportPart, n: number, seed: number): { input: Float32Array; inShape: readonly number[]; outputs: Record<string, Float32Array> } {
  const { feeds, outputs } = graphReference(model, part, n, seed);
  return { input: feeds[0]!.data, inShape: feeds[0]!.shape, outputs };
}

export const PARTS: ExportPart[] = ['all', 'encoder', 'decoder'];

/** A model with a graph of parts, the parts its export offers, and what re-importing its TF.js export needs. */
export interface GraphCase {
  name: string;
  parts: ExportPart[];
  build: (kernels: Kernels, seed: number) => Promise<Autoencoder>;
  /** The layer the TF.js export names as the code ("ae-wasm.code"), where import splits without --encoder-output. */
  codeLayer?: string;
  /** Why ae-wasm import refuses its TF.js export, when it does (a classifier is no autoencoder). */
  reimportRefused?: RegExp;
}

const fromArch = (arch: Architecture) => async (kernels: Kernels, seed: number) => randomModel(kernels, arch, seed);

/**
 * A graph built in TF.js as the import tests build theirs, every weight random, imported:
 * a conv trunk, two conv branches concatenated on the channels, a transposed-conv decoder
 * reading the concatenation, and a softmax classifier on it (logits + softmax once imported).
 */
async function importedBranchy(kernels: Kernels, seed: number): Promise<Autoencoder> {
  const tfl = await import('@tensorflow/tfjs-layers');
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const { randomizeWeights } = await import('./import-fixtures.js');
  const { readTfjsModel } = await import('../../src/interop/tfjs-import.js');
  const { importKerasModel } = await import('../../src/interop/import-model.js');
  await tf.setBackend('cpu');
  const L = tfl.layers;
  const apply = (layer: TFL.layers.Layer, x: TFL.SymbolicTensor | TFL.SymbolicTensor[]) => layer.apply(x) as TFL.SymbolicTensor;
  const x = tfl.input({ shape: [6, 10, 2] });
  const trunk = apply(L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'trunk' }), x);
  const left = apply(L.conv2d({ filters: 3, kernelSize: [3, 2], padding: 'same', activation: 'tanh', name: 'left' }), trunk);
  const right = apply(L.conv2d({ filters: 2, kernelSize: 1, padding: 'valid', name: 'right' }), trunk);
  const both = apply(L.concatenate({ name: 'both' }), [left, right]);
  const up = apply(L.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'up' }), both);
  const recon = apply(L.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'sigmoid', name: 'recon' }), up);
  const flat = apply(L.flatten({ name: 'flat' }), both);
  const classes = apply(L.dense({ units: 3, activation: 'softmax', name: 'classes' }), flat);
  const tm = tfl.model({ inputs: x, outputs: [recon, classes] });
  randomizeWeights(tm, seed);
  let json: unknown;
  let weights = new Uint8Array();
  await tm.save({
    save: async (a: TF.io.ModelArtifacts) => {
      json = { format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }] };
      weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  });
  tm.dispose();
  const artifacts = await readTfjsModel(new TextEncoder().encode(JSON.stringify(json)), 'branchy/model.json', async () => weights);
  return importKerasModel(kernels, artifacts, 'branchy/model.json').model;
}

export const GRAPH_CASES: GraphCase[] = [
  { name: 'ae-classifier', parts: ['all', 'encoder', 'decoder', 'classifier'], build: fromArch(presetArchitecture('ae-classifier')), codeLayer: 'encoder_2' },
  {
    name: 'ae-classifier 12x20x3, 4 classes',
    parts: ['all', 'encoder', 'decoder', 'classifier'],
    build: fromArch(presetArchitecture('ae-classifier', { inputShape: [12, 20, 3], labels: 4 })),
    codeLayer: 'encoder_2',
  },
  { name: 'cvae', parts: ['all', 'encoder', 'decoder'], build: fromArch(presetArchitecture('cvae')) },
  { name: 'cvae 12x20x1 latent 3, 5 classes', parts: ['all', 'encoder', 'decoder'], build: fromArch(presetArchitecture('cvae', { inputShape: [12, 20, 1], latent: 3, labels: 5 })) },
  {
    name: 'classifier on a conv encoder (ae-wasm classify), hidden layer',
    parts: ['all', 'encoder', 'classifier'],
    build: async (kernels, seed) => {
      const { classifierArchitecture } = await import('../../src/train/classify.js');
      return randomModel(kernels, classifierArchitecture(presetArchitecture('conv'), 10, 16).architecture, seed);
    },
    reimportRefused: /the model has 0 outputs that are not classifier logits; ae-wasm needs exactly one reconstruction output/,
  },
  { name: 'imported branchy conv graph (Concatenate on channels, softmax classifier)', parts: ['all', 'encoder', 'classifier'], build: importedBranchy },
  {
    // A VAE whose decoder reads [z, h] (a skip past the sampling): all and encoder, but no
    // decoder part (decode has no code-only input), and z = z_mean inside the concatenation.
    name: 'vae graph, decoder reading [z, encoder output]',
    parts: ['all', 'encoder'],
    build: fromArch({
      kind: 'vae',
      input_shape: [4, 5, 1],
      parts: {
        encoder: [L('Flatten'), L('Dense', { units: 16, activation: 'relu' })],
        z_mean: [L('Dense', { units: 3 })],
        z_log_var: [L('Dense', { units: 3 })],
        decoder: [L('Dense', { units: 16, activation: 'elu' }), L('Dense', { units: 20, activation: 'sigmoid' }), L('Reshape', { target_shape: [4, 5, 1] })],
      },
      graph: {
        inputs: { encoder: 'input', z_mean: 'encoder', z_log_var: 'encoder', decoder: { concat: [{ sample: ['z_mean', 'z_log_var'] }, 'encoder'] } },
        code: 'z_mean',
        output: 'decoder',
        losses: [
          { kind: 'bce', output: 'decoder', target: 'input', weight: 1, reduction: 'sum' },
          { kind: 'kl', mean: 'z_mean', log_var: 'z_log_var', weight: 1 },
        ],
      },
    }),
  },
];
