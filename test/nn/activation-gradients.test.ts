// Every new activation (elu, selu, gelu, gelu_approximate, softplus, silu / swish) through
// a Dense, a Conv2D and a Conv2DTranspose layer and as an Activation layer, on the JS spec
// in float64: parameter gradients against central finite differences. gelu, gelu tanh and
// silu take their slope from the pre-activation, which a training plan keeps in z (Dense,
// Conv2D) or reads from the layer's input (Activation); the rest recover it from y.
import { describe, expect, it } from 'vitest';
import { JsKernels } from '../../src/kernels/js.js';
import { Act, actBackwardReadsInput } from '../../src/kernels/kernels.js';
import { ACTIVATION_NAMES, activationCode } from '../../src/nn/activations.js';
import type { LayerSpec } from '../../src/nn/layer.js';
import { Planner } from '../../src/nn/planner.js';
import { createLayer } from '../../src/nn/registry.js';
import type { Architecture } from '../../src/models/architecture.js';
import { checkModelGradients } from './model-gradients.js';

const L = (class_name: string, config: Record<string, unknown> = {}): LayerSpec => ({ class_name, config });

const NEW = ['elu', 'selu', 'gelu', 'gelu_approximate', 'softplus', 'silu', 'swish'] as const;

const dense = (activation: string): Architecture => ({
  kind: 'autoencoder',
  input_shape: [4, 4, 1],
  parts: {
    encoder: [L('Flatten'), L('Dense', { units: 5, activation })],
    decoder: [L('Dense', { units: 16, activation }), L('Dense', { units: 16, activation: 'sigmoid' }), L('Reshape', { target_shape: [4, 4, 1] })],
  },
});

const conv = (activation: string): Architecture => ({
  kind: 'autoencoder',
  input_shape: [6, 6, 1],
  parts: {
    encoder: [L('Conv2D', { filters: 3, kernel_size: 3, strides: 2, padding: 'same', activation })],
    decoder: [
      L('Conv2DTranspose', { filters: 2, kernel_size: 3, strides: 2, padding: 'same', activation }),
      L('Conv2D', { filters: 1, kernel_size: 3, padding: 'same', activation }),
    ],
  },
});

const activationLayer = (activation: string): Architecture => ({
  kind: 'autoencoder',
  input_shape: [2, 3, 1],
  parts: {
    encoder: [L('Flatten'), L('Dense', { units: 4 }), L('Activation', { activation })],
    decoder: [L('Dense', { units: 6 }), L('Activation', { activation }), L('Reshape', { target_shape: [2, 3, 1] })],
  },
});

describe('new activations: gradients vs central finite differences (JS spec, float64)', () => {
  it('every activation name is either checked here or an older one', () => {
    const old = ['linear', 'relu', 'leaky_relu', 'sigmoid', 'tanh', 'exponential'];
    expect(ACTIVATION_NAMES.filter((n) => !old.includes(n)).sort()).toEqual([...NEW].sort());
  });

  it.each(NEW)('%s through Dense layers, MSE and fused BCE (sigmoid logits next to a kept pre-activation)', (activation) => {
    expect(checkModelGradients(dense(activation), { loss: 'mse' })).toBeGreaterThan(10);
    expect(checkModelGradients(dense(activation), { loss: 'bce', l1: 0.05 })).toBeGreaterThan(10);
  });

  it.each(NEW)('%s through Conv2D, Conv2DTranspose and an output Conv2D', (activation) => {
    expect(checkModelGradients(conv(activation), { loss: 'mse' })).toBeGreaterThan(10);
  });

  it.each(NEW)('%s as Activation layers', (activation) => {
    expect(checkModelGradients(activationLayer(activation), { loss: 'mse' })).toBeGreaterThan(10);
  });

  it('ELU layer alpha 0.7 and a VAE with gelu everywhere', () => {
    const elu: Architecture = {
      kind: 'autoencoder',
      input_shape: [2, 3, 1],
      parts: { encoder: [L('Flatten'), L('Dense', { units: 4 }), L('ELU', { alpha: 0.7 })], decoder: [L('Dense', { units: 6 }), L('ELU'), L('Reshape', { target_shape: [2, 3, 1] })] },
    };
    expect(checkModelGradients(elu, { loss: 'mse' })).toBeGreaterThan(10);
    const vae: Architecture = {
      kind: 'vae',
      input_shape: [4, 4, 1],
      parts: {
        encoder: [L('Flatten'), L('Dense', { units: 6, activation: 'gelu' })],
        z_mean: [L('Dense', { units: 2, activation: 'silu' })],
        z_log_var: [L('Dense', { units: 2, activation: 'softplus' })],
        decoder: [L('Dense', { units: 6, activation: 'selu' }), L('Dense', { units: 16, activation: 'sigmoid' }), L('Reshape', { target_shape: [4, 4, 1] })],
      },
    };
    expect(checkModelGradients(vae, { loss: 'bce', beta: 0.5 })).toBeGreaterThan(10);
  });
});

describe('new activations: what the plans keep', () => {
  it('training plans keep a pre-activation only for gelu, gelu tanh and silu, and only in Dense / Conv layers', () => {
    const pl = new Planner(new JsKernels('f64'));
    const x = pl.tensor([2, 6, 6, 1]);
    const keptBy = (spec: LayerSpec, training: boolean): boolean => {
      const layer = createLayer(spec, 'test');
      layer.build([6, 6, 1]);
      return layer.plan(pl, x, null, 2, training).z !== null;
    };
    for (const activation of NEW) {
      const keeps = ['gelu', 'gelu_approximate', 'silu', 'swish'].includes(activation);
      expect(actBackwardReadsInput(activationCode(activation, 'test'))).toBe(keeps);
      for (const spec of [L('Dense', { units: 3, activation }), L('Conv2D', { filters: 2, kernel_size: 3, activation }), L('Conv2DTranspose', { filters: 2, kernel_size: 3, activation })]) {
        expect(keptBy(spec, true), `${spec.class_name} ${activation} training`).toBe(keeps);
        expect(keptBy(spec, false), `${spec.class_name} ${activation} inference`).toBe(false);
      }
      // The Activation layer's pre-activation is its input, which stays in place.
      expect(keptBy(L('Activation', { activation }), true)).toBe(false);
    }
    pl.release();
  });

  it('swish and silu are one code; gelu is exact and gelu_approximate the tanh form (Keras)', () => {
    expect(activationCode('swish', 'x')).toBe(Act.silu);
    expect(activationCode('silu', 'x')).toBe(Act.silu);
    expect(activationCode('gelu', 'x')).toBe(Act.gelu);
    expect(activationCode('gelu_approximate', 'x')).toBe(Act.geluTanh);
  });
});
