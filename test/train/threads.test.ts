// Training gives the same weights, bit for bit, on 1 and on 2 kernel threads, for every
// preset (each output element of a split kernel is computed by one thread in a fixed order).
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import type { ThreadedKernels } from '../../src/kernels/threads/pool.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { PRESET_NAMES, PRESETS, presetArchitecture } from '../../src/models/presets.js';
import { train } from '../../src/train/trainer.js';
import { smallSplits } from './fixtures.js';

describe('threads do not change results', () => {
  it.each(PRESET_NAMES)('preset %s: 1 thread and 2 threads train to identical weights', async (preset) => {
    const splits = await smallSplits(192, 40);
    const weights: string[][] = [];
    const losses: number[] = [];
    for (const threads of [1, 2]) {
      const kernels: Kernels = await createKernels({ threads });
      const model = new Autoencoder(kernels, presetArchitecture(preset)).initialize(3);
      const info = PRESETS[preset]!;
      const h = await train(model, splits, { epochs: 1, batchSize: 64, seed: 3, noise: info.defaults.noise, loss: info.defaults.loss });
      weights.push(model.params.list.map((p) => Buffer.from(model.params.read(p).buffer).toString('base64')));
      losses.push(h.epochs[0]!.loss, h.epochs[0]!.test_mse);
      if (threads > 1) {
        expect((kernels as unknown as ThreadedKernels).jobs).toBeGreaterThan(0);
        (kernels as unknown as ThreadedKernels).dispose();
      }
    }
    expect(weights[1]).toEqual(weights[0]);
    expect(losses.slice(2)).toEqual(losses.slice(0, 2));
  });
});
