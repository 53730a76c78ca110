// Inference plans skip what only training needs: Dropout, SpatialDropout2D and
// GaussianNoise become views of their input (no buffer, no copy), no gradients and no saved
// pre-activations are planned, and the outputs equal those of a model without those layers
// bit for bit; a training plan still owns their buffers.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import type { LayerSpec, RunContext } from '../../src/nn/layer.js';
import { Planner } from '../../src/nn/planner.js';
import { createLayer } from '../../src/nn/registry.js';
import type { Architecture } from '../../src/models/architecture.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { RandomStream } from '../../src/random/streams.js';
import { expectBitIdentical, uniform, wasmKernels } from '../helpers.js';

const L = (class_name: string, config: Record<string, unknown> = {}): LayerSpec => ({ class_name, config });

function arch(withIdentities: boolean): Architecture {
  const extra = (l: LayerSpec) => (withIdentities ? [l] : []);
  return {
    kind: 'autoencoder',
    input_shape: [8, 8, 2],
    parts: {
      encoder: [
        ...extra(L('GaussianNoise', { stddev: 0.3 })),
        L('Conv2D', { filters: 4, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' }),
        ...extra(L('SpatialDropout2D', { rate: 0.5 })),
        L('Flatten'),
        L('Dense', { units: 6, activation: 'gelu' }),
        ...extra(L('Dropout', { rate: 0.4 })),
      ],
      decoder: [L('Dense', { units: 128, activation: 'sigmoid' }), L('Reshape', { target_shape: [8, 8, 2] })],
    },
  };
}

let wasm: Kernels;
beforeAll(async () => {
  wasm = await wasmKernels();
});

describe('forward-only (inference) plans', () => {
  it.each([
    ['Dropout', { rate: 0.5 }, [10]],
    ['SpatialDropout2D', { rate: 0.5 }, [4, 4, 3]],
    ['GaussianNoise', { stddev: 0.2 }, [10]],
  ] as const)('%s: y is a view of x in an inference plan, its own buffer in a training plan', (cls, config, shape) => {
    const layer = createLayer(L(cls, config), cls);
    layer.build([...shape]);
    const pl = new Planner(wasm);
    const x = pl.tensor([3, ...shape]);
    const used = wasm.heap.used;
    const inference = layer.plan(pl, x, null, 3, false);
    expect(inference.y.offset).toBe(x.offset);
    expect(wasm.heap.used).toBe(used);
    const training = layer.plan(pl, x, pl.tensor([3, ...shape]), 3, true);
    expect(training.y.offset).not.toBe(x.offset);
    // The identity: forward over the view leaves x as it was, even with a training context.
    const values = Float32Array.from(uniform(x.shape.reduce((a, b) => a * b, 1), 5));
    wasm.heap.write(x.offset, values);
    const ctx: RunContext = { kernels: wasm, training: true, noise: new RandomStream(1) };
    layer.forward(ctx, inference, 3);
    expectBitIdentical(wasm.heap.read(x.offset, values.length), values, 'x after forward');
    pl.release();
  });

  it('a model with dropout and noise layers plans no more memory for inference than one without, and reconstructs the same bits', () => {
    const images = Float32Array.from(uniform(5 * 128, 11, 0, 1));
    const heapOf = (withIdentities: boolean, training: boolean) => {
      const model = new Autoencoder(wasm, arch(withIdentities)).initialize(4);
      const before = wasm.heap.used;
      const g = model.compile({ batch: 5, training, loss: 'mse' });
      const planned = wasm.heap.used - before;
      g.release();
      const out = model.reconstruct(images);
      model.dispose();
      return { planned, out };
    };
    const bare = heapOf(false, false);
    const full = heapOf(true, false);
    expect(full.planned).toBe(bare.planned);
    expectBitIdentical(full.out, bare.out, 'reconstruct');
    // Training plans do own those buffers (and gradients, and gelu's saved input).
    expect(heapOf(true, true).planned).toBeGreaterThan(heapOf(false, true).planned);
    expect(heapOf(false, true).planned).toBeGreaterThan(bare.planned);
  });
});
