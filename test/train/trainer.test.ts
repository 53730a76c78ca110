// The training loop on real digits: each preset's loss falls; same seed -> same weights
// bit for bit; WASM and the JS baseline agree over a few steps; a step allocates nothing.
import { describe, expect, it } from 'vitest';
import { JsKernels } from '../../src/kernels/js.js';
import { RandomStream } from '../../src/random/streams.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { PRESET_NAMES, presetArchitecture, PRESETS } from '../../src/models/presets.js';
import { Adam, SGD } from '../../src/train/optimizers.js';
import { train } from '../../src/train/trainer.js';
import { maxAbsDiff, wasmKernels } from '../helpers.js';
import { smallSplits } from './fixtures.js';

function weights(model: Autoencoder): Float32Array[] {
  return model.params.list.map((p) => model.params.read(p));
}

describe('trainer', () => {
  it.each(PRESET_NAMES)('preset %s: the loss falls clearly on a small slice', async (preset) => {
    const splits = await smallSplits(512, 64);
    const kernels = await wasmKernels();
    const model = new Autoencoder(kernels, presetArchitecture(preset)).initialize(1);
    const h = await train(model, splits, { epochs: 4, batchSize: 32, noise: PRESETS[preset]!.defaults.noise, seed: 1 });
    const first = h.epochs[0]!;
    const last = h.epochs[h.epochs.length - 1]!;
    expect(last.loss).toBeLessThan(first.loss * 0.85);
    expect(last.test_mse).toBeLessThan(h.epochs[0]!.test_mse);
    expect(Number.isFinite(last.test_mse)).toBe(true);
  });

  it('is reproducible: the same seed gives the same weights bit for bit; another seed does not', async () => {
    const splits = await smallSplits(256, 32);
    const run = async (seed: number) => {
      const kernels = await wasmKernels();
      const model = new Autoencoder(kernels, presetArchitecture('conv')).initialize(seed);
      await train(model, splits, { epochs: 2, batchSize: 50, noise: 0.2, seed });
      return weights(model);
    };
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    a.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(b[i]!.buffer))).toBe(true));
    expect(a.some((w, i) => !Buffer.from(w.buffer).equals(Buffer.from(c[i]!.buffer)))).toBe(true);
  });

  it('WASM and the JS baseline agree over a few training steps', async () => {
    const splits = await smallSplits(96, 16);
    for (const preset of ['dense', 'conv', 'vae']) {
      const kw = await wasmKernels();
      const kj = new JsKernels();
      const mw = new Autoencoder(kw, presetArchitecture(preset)).initialize(5);
      const mj = new Autoencoder(kj, presetArchitecture(preset)).initialize(5);
      // Same initialisation on both: the PRNG is bit-identical across backends.
      weights(mw).forEach((w, i) => expect(maxAbsDiff(w, weights(mj)[i]!)).toBe(0));
      const opts = { epochs: 1, batchSize: 32, seed: 5, noise: preset === 'conv' ? 0.2 : 0, evaluateTest: false };
      const hw = await train(mw, splits, opts);
      const hj = await train(mj, splits, opts);
      // Three Adam steps: float32 rounding differs between the backends' kernels.
      expect(Math.abs(hw.epochs[0]!.loss - hj.epochs[0]!.loss)).toBeLessThan(1e-4 * Math.abs(hj.epochs[0]!.loss) + 1e-6);
      weights(mw).forEach((w, i) => expect(maxAbsDiff(w, weights(mj)[i]!), `${preset} ${mw.params.list[i]!.name}`).toBeLessThan(2e-5));
    }
  });

  it('a training step allocates nothing: heap use is unchanged over 100 steps', async () => {
    const splits = await smallSplits(32 * 50, 8);
    const kernels = await wasmKernels();
    const model = new Autoencoder(kernels, presetArchitecture('deep')).initialize(0);
    const usage: number[] = [];
    await train(model, splits, {
      epochs: 2,
      batchSize: 32,
      evaluateTest: false,
      progressIntervalMs: 0,
      callbacks: { onBatchEnd: () => void usage.push(kernels.heap.used, kernels.heap.capacity) },
    });
    expect(usage.length).toBe(200);
    expect(new Set(usage.filter((_, i) => i % 2 === 0)).size).toBe(1);
    expect(new Set(usage.filter((_, i) => i % 2 === 1)).size).toBe(1);
  });

  it('handles a last batch smaller than the batch size, and batch larger than the data', async () => {
    const splits = await smallSplits(70, 8);
    const kernels = await wasmKernels();
    const model = new Autoencoder(kernels, presetArchitecture('dense')).initialize(0);
    const steps: number[] = [];
    await train(model, splits, { epochs: 1, batchSize: 32, evaluateTest: false, progressIntervalMs: 0, callbacks: { onBatchEnd: (b) => void steps.push(b.step) } });
    expect(steps).toEqual([1, 2, 3]);
    const h = await train(model, splits, { epochs: 1, batchSize: 1000, evaluateTest: false });
    expect(h.epochs[0]!.samples_per_sec).toBeGreaterThan(0);
  });

  it('early stopping ends training when val_loss stops improving', async () => {
    const splits = await smallSplits(200, 8);
    const kernels = await wasmKernels();
    const model = new Autoencoder(kernels, presetArchitecture('dense')).initialize(0);
    // A learning rate this large makes the validation loss get worse at once.
    const h = await train(model, splits, { epochs: 30, batchSize: 20, optimizer: new SGD({ learningRate: 50 }), validationSplit: 0.25, patience: 2, evaluateTest: false });
    expect(h.stopped).toBe('early_stopping');
    expect(h.epochs.length).toBeLessThan(30);
    expect(h.epochs.every((e) => e.val_loss !== undefined)).toBe(true);
  });

  it('a validation split is carved from the training data and never from the test split', async () => {
    const splits = await smallSplits(100, 8);
    const kernels = await wasmKernels();
    const model = new Autoencoder(kernels, presetArchitecture('dense')).initialize(0);
    const begin: number[] = [];
    await train(model, splits, { epochs: 1, batchSize: 10, validationSplit: 0.2, evaluateTest: false, callbacks: { onTrainBegin: (i) => void begin.push(i.trainSamples, i.stepsPerEpoch) } });
    expect(begin).toEqual([80, 8]);
  });

  it('rejects bad options with clear errors', async () => {
    const splits = await smallSplits(10, 2);
    const kernels = await wasmKernels();
    const model = new Autoencoder(kernels, presetArchitecture('dense')).initialize(0);
    await expect(train(model, splits, { epochs: 0 })).rejects.toThrow(/epochs must be an integer >= 1/);
    await expect(train(model, splits, { patience: 2 })).rejects.toThrow(/needs a validation split/);
    await expect(train(model, splits, { validationSplit: 1 })).rejects.toThrow(/validation split/);
    expect(() => new Adam({ learningRate: -1 })).toThrow(/learning rate/);
    const bad = { ...splits, train: { ...splits.train, images: splits.train.images.slice() } };
    bad.train.images[5] = NaN;
    await expect(train(model, bad, {})).rejects.toThrow(/training data: image 0, pixel 5/);
  });

  it('noise streams are seeded: GaussianNoise draws reproduce', () => {
    const a = new RandomStream(9);
    expect(a.take(5)).toBe(0);
    expect(a.take(1)).toBe(5);
  });
});
