// Models the export oracle tests run in ONNX Runtime and TF.js: every preset, odd shapes
// (non-square, RGB, even kernels, k < stride transposed convs), BatchNormalization after a
// Conv, the identity layers, and each activation in a small model. Every parameter is
// random (biases and moving statistics too), so a dropped bias or a swapped kernel axis shows.
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

/** n random inputs of a part (values in [0, 1): valid for a sigmoid model's range check) and our outputs for them. */
export function reference(model: Autoencoder, part: ExportPart, n: number, seed: number): { input: Float32Array; inShape: readonly number[]; outputs: Record<string, Float32Array> } {
  const inShape = part === 'decoder' ? model.codeShape : model.inputShape;
  const size = inShape.reduce((a, b) => a * b, 1);
  const input = Float32Array.from(uniform(n * size, seed, part === 'decoder' ? -1 : 0, 1));
  if (part === 'all') return { input, inShape, outputs: { reconstruction: model.reconstruct(input) } };
  if (part === 'decoder') return { input, inShape, outputs: { reconstruction: model.decode(input) } };
  const { codes, logVar } = model.encodeWithLogVar(input);
  return { input, inShape, outputs: model.kind === 'vae' ? { z_mean: codes, z_log_var: logVar! } : { code: codes } };
}

export const PARTS: ExportPart[] = ['all', 'encoder', 'decoder'];
