// Training with Dropout and SpatialDropout2D on the bundled digits: the loss falls, the
// weights are bit-identical on 1 and 2 kernel threads, and a run resumed from a
// checkpoint file (after a whole epoch, or interrupted inside one) equals the straight
// run bit for bit: the masks come from the noise stream, whose counter the checkpoint keeps.
import { describe, expect, it } from 'vitest';
import type { Splits } from '../../src/data/dataset.js';
import type { LayerSpec } from '../../src/nn/layer.js';
import type { Architecture } from '../../src/models/architecture.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { decodeModel, encodeModel } from '../../src/models/model-file.js';
import { checkpointFromState, optimizerFromRecord, stateFromCheckpoint } from '../../src/train/checkpoint.js';
import { Adam } from '../../src/train/optimizers.js';
import { train, type History, type TrainOptions } from '../../src/train/trainer.js';
import { wasmKernels } from '../helpers.js';
import { smallSplits } from '../train/fixtures.js';
import { expectThreadIdentical, weightBits } from '../train/thread-identity.js';

const L = (class_name: string, config: Record<string, unknown> = {}): LayerSpec => ({ class_name, config });

/** `dense` with Dropout on the input and on the code. */
const DENSE: Architecture = {
  kind: 'autoencoder',
  input_shape: [28, 28, 1],
  parts: {
    encoder: [L('Flatten'), L('Dropout', { rate: 0.1 }), L('Dense', { units: 128, activation: 'relu' }), L('Dropout', { rate: 0.2 }), L('Dense', { units: 32, activation: 'relu' })],
    decoder: [L('Dense', { units: 784, activation: 'sigmoid' }), L('Reshape', { target_shape: [28, 28, 1] })],
  },
};

/** `conv` with SpatialDropout2D after each encoder conv and Dropout in the decoder. */
const CONV: Architecture = {
  kind: 'autoencoder',
  input_shape: [28, 28, 1],
  parts: {
    encoder: [
      L('Conv2D', { filters: 16, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' }),
      L('SpatialDropout2D', { rate: 0.2 }),
      L('Conv2D', { filters: 8, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' }),
    ],
    decoder: [
      L('Conv2DTranspose', { filters: 8, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' }),
      L('Dropout', { rate: 0.25 }),
      L('Conv2DTranspose', { filters: 16, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' }),
      L('Conv2D', { filters: 1, kernel_size: 3, padding: 'same', activation: 'sigmoid' }),
    ],
  },
};

const bits = weightBits;

describe('training with dropout', () => {
  it('the loss and the test MSE fall over three epochs on the digits (dense with Dropout)', async () => {
    const splits = await smallSplits(1000, 200);
    const model = new Autoencoder(await wasmKernels(), DENSE).initialize(1);
    const h = await train(model, splits, { epochs: 3, batchSize: 32, seed: 1, optimizer: new Adam({ learningRate: 2e-3 }) });
    const [first, , last] = h.epochs;
    expect(last!.loss).toBeLessThan(0.8 * first!.loss);
    expect(last!.test_mse).toBeLessThan(first!.test_mse);
    model.dispose();
  });

  it.each([['dense', DENSE], ['conv', CONV]] as const)('%s: 1 thread and 2 threads train to identical weights', async (_, arch) => {
    const splits = await smallSplits(192, 40);
    await expectThreadIdentical(arch, splits, { batchSize: 64, noise: 0.2 });
  });

  it.each([['dense', DENSE], ['conv', CONV]] as const)('%s: 2 epochs = 1 epoch, checkpoint file, resume 1 — also from inside an epoch', async (_, arch) => {
    const splits = await smallSplits(200, 20);
    const base: TrainOptions = { batchSize: 32, seed: 11, noise: 0.1, validationSplit: 0.2, evaluateTest: false };
    const straight = new Autoencoder(await wasmKernels(), arch).initialize(11);
    const full = await train(straight, splits, { ...base, epochs: 2, optimizer: new Adam() });

    const first = new Autoencoder(await wasmKernels(), arch).initialize(11);
    const opt = new Adam();
    const h1 = await train(first, splits, { ...base, epochs: 1, optimizer: opt });
    const resumed = await resumeFromFile(first, h1, opt, splits, { ...base, epochs: 2 });
    expect(bits(resumed.model)).toEqual(bits(straight));
    expect(resumed.history.epochs[0]!.loss).toBe(full.epochs[1]!.loss);
    expect(resumed.history.epochs[0]!.val_loss).toBe(full.epochs[1]!.val_loss);

    // Interrupted after the second step of epoch 2 (5 steps an epoch).
    const cut = new Autoencoder(await wasmKernels(), arch).initialize(11);
    const controller = new AbortController();
    let steps = 0;
    const cutOpt = new Adam();
    const hc = await train(cut, splits, {
      ...base, epochs: 2, optimizer: cutOpt, signal: controller.signal, progressIntervalMs: 0,
      callbacks: { onBatchEnd: () => void (++steps === 7 && controller.abort()) },
    });
    expect(hc.state.partial?.stepInEpoch).toBe(2);
    const again = await resumeFromFile(cut, hc, cutOpt, splits, { ...base, epochs: 2 });
    expect(bits(again.model)).toEqual(bits(straight));
    expect(again.history.epochs[0]!.loss).toBe(full.epochs[1]!.loss);
  });
});

/** Saves `model` with the state `h` ended in as checkpoint bytes, loads them on fresh kernels and trains on. */
async function resumeFromFile(model: Autoencoder, h: History, optimizer: Adam, splits: Splits, options: TrainOptions) {
  const record = { loss: 'mse' as const, optimizer: optimizer.config(), noise: options.noise ?? 0, l1: 0, beta: 1, seed: 11, checkpoint: checkpointFromState(h.state, h.epochs) };
  const loaded = decodeModel(encodeModel(model, record, { optimizerState: true }), await wasmKernels(), 'checkpoint');
  const history = await train(loaded.model, splits, { ...options, optimizer: optimizerFromRecord(loaded.training), resume: stateFromCheckpoint(loaded.training.checkpoint!) });
  return { model: loaded.model, history };
}
