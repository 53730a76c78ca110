// Every layer and loss, through small whole models on the JS spec in float64: the
// parameter gradients of backward() match central finite differences of loss().
import { describe, expect, it } from 'vitest';
import type { LayerSpec } from '../../src/nn/layer.js';
import { LAYER_CLASSES } from '../../src/nn/registry.js';
import type { Architecture } from '../../src/models/architecture.js';
import type { GraphOptions } from '../../src/models/graph.js';
import { checkModelGradients } from './model-gradients.js';

const L = (class_name: string, config: Record<string, unknown> = {}): LayerSpec => ({ class_name, config });

interface Case {
  name: string;
  arch: Architecture;
  options: Omit<GraphOptions, 'batch' | 'training'>;
}

const ae = (input: number[], encoder: LayerSpec[], decoder: LayerSpec[]): Architecture => ({
  kind: 'autoencoder',
  input_shape: input,
  parts: { encoder, decoder },
});

const cases: Case[] = [
  {
    name: 'dense relu/sigmoid with MSE',
    arch: ae([4, 4, 1], [L('Flatten'), L('Dense', { units: 5, activation: 'relu' })], [L('Dense', { units: 16, activation: 'sigmoid' }), L('Reshape', { target_shape: [4, 4, 1] })]),
    options: { loss: 'mse' },
  },
  {
    name: 'dense tanh/sigmoid with fused BCE (logits) and an L1 code penalty',
    arch: ae([4, 4, 1], [L('Flatten'), L('Dense', { units: 5, activation: 'tanh' })], [L('Dense', { units: 16, activation: 'sigmoid' }), L('Reshape', { target_shape: [4, 4, 1] })]),
    options: { loss: 'bce', l1: 0.05 },
  },
  {
    name: 'linear dense with BCE on probabilities (no sigmoid to fuse), exponential activation',
    arch: ae([2, 3, 1], [L('Flatten'), L('Dense', { units: 3, activation: 'exponential' })], [L('Dense', { units: 6, activation: 'linear', use_bias: false }), L('Activation', { activation: 'tanh' }), L('Reshape', { target_shape: [2, 3, 1] })]),
    options: { loss: 'mse' },
  },
  {
    name: 'Activation, LeakyReLU, GaussianNoise layers; fused BCE through an Activation(sigmoid)',
    arch: ae(
      [4, 4, 1],
      [L('Flatten'), L('Dense', { units: 6 }), L('LeakyReLU', { alpha: 0.1 }), L('GaussianNoise', { stddev: 0.5 }), L('Activation', { activation: 'tanh' })],
      [L('Dense', { units: 16, activation: 'leaky_relu' }), L('Activation', { activation: 'sigmoid' }), L('Reshape', { target_shape: [4, 4, 1] })],
    ),
    options: { loss: 'bce' },
  },
  {
    name: 'Dropout after a Dense and on the code, SpatialDropout2D between convs (masks fixed by the noise counter)',
    arch: ae(
      [4, 4, 2],
      [L('Conv2D', { filters: 3, kernel_size: 3, padding: 'same', activation: 'tanh' }), L('SpatialDropout2D', { rate: 0.4 }), L('Flatten'), L('Dense', { units: 5, activation: 'tanh' }), L('Dropout', { rate: 0.3 })],
      [L('Dense', { units: 32, activation: 'sigmoid' }), L('Reshape', { target_shape: [4, 4, 2] })],
    ),
    options: { loss: 'mse' },
  },
  {
    name: 'Conv2D stride 2 same, Conv2DTranspose, Conv2D sigmoid (the denoiser in small)',
    arch: ae(
      [6, 6, 1],
      [L('Conv2D', { filters: 3, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'tanh' })],
      [
        L('Conv2DTranspose', { filters: 2, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu' }),
        L('Conv2D', { filters: 1, kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'sigmoid' }),
      ],
    ),
    options: { loss: 'mse' },
  },
  {
    name: 'MaxPooling2D same, UpSampling2D, valid Conv2D, Conv2DTranspose valid',
    arch: ae(
      [5, 5, 1],
      [L('Conv2D', { filters: 2, kernel_size: 3, padding: 'same', activation: 'tanh' }), L('MaxPooling2D', { pool_size: 2, padding: 'same' })],
      [
        L('UpSampling2D', { size: 2 }),
        L('Conv2D', { filters: 2, kernel_size: [3, 3], padding: 'valid', activation: 'tanh' }),
        L('Conv2DTranspose', { filters: 1, kernel_size: [2, 2], strides: [1, 1], padding: 'valid', activation: 'sigmoid' }),
        L('Reshape', { target_shape: [5, 5, 1] }),
      ],
    ),
    options: { loss: 'bce' },
  },
  {
    name: 'BatchNormalization after Dense (features; batch statistics) and with center / scale off',
    arch: ae(
      [4, 4, 1],
      [L('Flatten'), L('Dense', { units: 5 }), L('BatchNormalization'), L('Activation', { activation: 'tanh' })],
      [L('Dense', { units: 6, activation: 'relu' }), L('BatchNormalization', { center: false, scale: false, epsilon: 0.01 }), L('Dense', { units: 16, activation: 'sigmoid' }), L('Reshape', { target_shape: [4, 4, 1] })],
    ),
    options: { loss: 'mse' },
  },
  {
    name: 'BatchNormalization per channel after Conv2D and Conv2DTranspose (NHWC), scale only',
    arch: ae(
      [6, 6, 1],
      [L('Conv2D', { filters: 3, kernel_size: 3, strides: 2, padding: 'same' }), L('BatchNormalization', { momentum: 0.9 }), L('Activation', { activation: 'tanh' })],
      [
        L('Conv2DTranspose', { filters: 2, kernel_size: 3, strides: 2, padding: 'same' }),
        L('BatchNormalization', { center: false }),
        L('Conv2D', { filters: 1, kernel_size: 3, padding: 'same', activation: 'sigmoid' }),
      ],
    ),
    options: { loss: 'bce' },
  },
  {
    name: 'VAE: heads, reparameterisation, KL (beta 0.5), summed BCE',
    arch: {
      kind: 'vae',
      input_shape: [4, 4, 1],
      parts: {
        encoder: [L('Flatten'), L('Dense', { units: 6, activation: 'relu' })],
        z_mean: [L('Dense', { units: 2 })],
        z_log_var: [L('Dense', { units: 2 })],
        decoder: [L('Dense', { units: 6, activation: 'relu' }), L('Dense', { units: 16, activation: 'sigmoid' }), L('Reshape', { target_shape: [4, 4, 1] })],
      },
    },
    options: { loss: 'bce', beta: 0.5 },
  },
  {
    name: 'ELU layer (alpha 0.5) after a linear Dense (more activations: activation-gradients.test.ts)',
    arch: ae([2, 3, 1], [L('Flatten'), L('Dense', { units: 4 }), L('ELU', { alpha: 0.5 })], [L('Dense', { units: 6, activation: 'sigmoid' }), L('Reshape', { target_shape: [2, 3, 1] })]),
    options: { loss: 'mse' },
  },
];

describe('whole-model gradients vs central finite differences (JS spec, float64)', () => {
  it('covers every layer class and loss', () => {
    const used = new Set(cases.flatMap((c) => Object.values(c.arch.parts).flat().map((l) => l!.class_name)));
    expect([...Object.keys(LAYER_CLASSES)].filter((n) => !used.has(n))).toEqual([]);
    expect(new Set(cases.map((c) => c.options.loss))).toEqual(new Set(['mse', 'bce']));
  });

  it.each(cases)('$name', ({ arch, options }) => {
    expect(checkModelGradients(arch, options)).toBeGreaterThan(10);
  });
});
