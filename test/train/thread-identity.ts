// The thread-identity check shared by the preset, dropout and BatchNormalization tests:
// one epoch on 1 and on 2 kernel threads must give the same weights bit for bit, the same
// loss and test MSE, and the 2-thread run must really have split work.
import { expect } from 'vitest';
import type { Splits } from '../../src/data/dataset.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import type { ThreadedKernels } from '../../src/kernels/threads/pool.js';
import type { Architecture } from '../../src/models/architecture.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { train, type TrainOptions } from '../../src/train/trainer.js';

/** Every parameter's bytes, base64: equal arrays mean bit-identical weights. */
export function weightBits(model: Autoencoder): string[] {
  return model.params.list.map((p) => Buffer.from(model.params.read(p).buffer).toString('base64'));
}

/** Trains one epoch from initialize(seed) on 1 and 2 threads and asserts identical results. */
export async function expectThreadIdentical(arch: Architecture, splits: Splits, options: TrainOptions, seed = 3): Promise<void> {
  const weights: string[][] = [];
  const losses: number[] = [];
  for (const threads of [1, 2]) {
    const kernels: Kernels = await createKernels({ threads });
    const model = new Autoencoder(kernels, arch).initialize(seed);
    const h = await train(model, splits, { epochs: 1, seed, ...options });
    weights.push(weightBits(model));
    losses.push(h.epochs[0]!.loss, h.epochs[0]!.test_mse);
    if (threads > 1) {
      expect((kernels as unknown as ThreadedKernels).jobs).toBeGreaterThan(0);
      (kernels as unknown as ThreadedKernels).dispose();
    }
  }
  expect(weights[1]).toEqual(weights[0]);
  expect(losses.slice(2)).toEqual(losses.slice(0, 2));
}
