// Named presets, exactly as DESIGN.md's table defines them (all conv kernels 3x3).

import { ArgumentError } from '../errors.js';
import type { LayerSpec } from '../nn/layer.js';
import type { Architecture } from './architecture.js';

const dense = (units: number, activation: string): LayerSpec => ({ class_name: 'Dense', config: { units, activation } });
const flatten = (): LayerSpec => ({ class_name: 'Flatten', config: {} });
const reshape = (...target_shape: number[]): LayerSpec => ({ class_name: 'Reshape', config: { target_shape } });
const conv = (filters: number, strides: number, padding: 'same' | 'valid', activation: string): LayerSpec => ({
  class_name: 'Conv2D',
  config: { filters, kernel_size: [3, 3], strides: [strides, strides], padding, activation },
});
const convT = (filters: number, strides: number, activation: string): LayerSpec => ({
  class_name: 'Conv2DTranspose',
  config: { filters, kernel_size: [3, 3], strides: [strides, strides], padding: 'same', activation },
});
const pool = (): LayerSpec => ({ class_name: 'MaxPooling2D', config: { pool_size: [2, 2], strides: [2, 2], padding: 'same' } });
const up = (): LayerSpec => ({ class_name: 'UpSampling2D', config: { size: [2, 2], interpolation: 'nearest' } });

export const INPUT_SHAPE = [28, 28, 1];

const autoencoder = (encoder: LayerSpec[], decoder: LayerSpec[]): Architecture => ({
  kind: 'autoencoder',
  input_shape: INPUT_SHAPE,
  parts: { encoder, decoder },
});

export interface PresetInfo {
  /** The code size when it is a choice (dense, linear, deep, vae); null when fixed by the layers. */
  defaultLatent: number | null;
  /** Trainer defaults the preset implies. */
  defaults: { loss: 'mse' | 'bce'; noise: number };
  description: string;
  build(latent: number): Architecture;
}

export const PRESETS: Readonly<Record<string, PresetInfo>> = {
  dense: {
    defaultLatent: 64,
    defaults: { loss: 'mse', noise: 0 },
    description: 'the seed model: 784 -> latent (relu) -> 784 (sigmoid)',
    build: (latent) => autoencoder([flatten(), dense(latent, 'relu')], [dense(784, 'sigmoid'), reshape(28, 28, 1)]),
  },
  linear: {
    defaultLatent: 64,
    defaults: { loss: 'mse', noise: 0 },
    description: 'no activations: its code spans the PCA subspace',
    build: (latent) => autoencoder([flatten(), dense(latent, 'linear')], [dense(784, 'linear'), reshape(28, 28, 1)]),
  },
  deep: {
    defaultLatent: 64,
    defaults: { loss: 'mse', noise: 0 },
    description: '784 -> 256 -> 128 -> latent -> 128 -> 256 -> 784',
    build: (latent) => autoencoder(
      [flatten(), dense(256, 'relu'), dense(128, 'relu'), dense(latent, 'relu')],
      [dense(128, 'relu'), dense(256, 'relu'), dense(784, 'sigmoid'), reshape(28, 28, 1)],
    ),
  },
  conv: {
    defaultLatent: null,
    // BCE, not the tutorial's MSE: with MSE this sigmoid-output model collapses to a
    // blank image for most seeds on the 8,000-digit split (TF.js with Keras semantics
    // plateaus the same way); BCE from logits trains it on every seed tried.
    defaults: { loss: 'bce', noise: 0.2 },
    description: "the TensorFlow tutorial's convolutional denoiser; code 7x7x8",
    build: () => autoencoder(
      [conv(16, 2, 'same', 'relu'), conv(8, 2, 'same', 'relu')],
      [convT(8, 2, 'relu'), convT(16, 2, 'relu'), conv(1, 1, 'same', 'sigmoid')],
    ),
  },
  'deep-conv': {
    defaultLatent: null,
    // The Keras blog trains this model with binary cross-entropy (and MSE collapses it).
    defaults: { loss: 'bce', noise: 0 },
    description: 'the Keras blog convolutional autoencoder with pooling and upsampling; code 4x4x8',
    build: () => autoencoder(
      [conv(16, 1, 'same', 'relu'), pool(), conv(8, 1, 'same', 'relu'), pool(), conv(8, 1, 'same', 'relu'), pool()],
      [
        conv(8, 1, 'same', 'relu'), up(), conv(8, 1, 'same', 'relu'), up(), conv(16, 1, 'valid', 'relu'), up(),
        conv(1, 1, 'same', 'sigmoid'),
      ],
    ),
  },
  vae: {
    defaultLatent: 2,
    defaults: { loss: 'bce', noise: 0 },
    description: 'variational: 784 -> 512 -> (z_mean, z_log_var) -> z -> 512 -> 784',
    build: (latent) => ({
      kind: 'vae',
      input_shape: INPUT_SHAPE,
      parts: {
        encoder: [flatten(), dense(512, 'relu')],
        z_mean: [dense(latent, 'linear')],
        z_log_var: [dense(latent, 'linear')],
        decoder: [dense(512, 'relu'), dense(784, 'sigmoid'), reshape(28, 28, 1)],
      },
    }),
  },
};

export const PRESET_NAMES = Object.keys(PRESETS);

/** The architecture of a preset; `latent` only where the preset has a code-size choice. */
export function presetArchitecture(name: string, latent?: number): Architecture {
  const info = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  if (!info) throw new ArgumentError(`unknown preset ${JSON.stringify(name)}; expected one of ${PRESET_NAMES.join(', ')}`);
  if (info.defaultLatent === null) {
    if (latent !== undefined) throw new ArgumentError(`preset ${name} has a fixed code shape (set by its layers); --latent does not apply to it`);
    return info.build(0);
  }
  const size = latent ?? info.defaultLatent;
  if (!Number.isInteger(size) || size < 1) throw new ArgumentError(`latent must be a positive integer, got ${size}`);
  return info.build(size);
}
