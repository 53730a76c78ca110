// Training safety: a diverging run throws DivergenceError naming epoch and step on both
// backends; a NaN put into a weight stops the next step; clip-norm scales the global
// gradient norm to c (direction kept) and leaves smaller norms alone; a mid-epoch
// checkpoint that does not fit the data is refused before training.
import { describe, expect, it } from 'vitest';
import { DivergenceError, FormatError } from '../../src/errors.js';
import { JsKernels } from '../../src/kernels/js.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { Adam, clipGlobalNorm } from '../../src/train/optimizers.js';
import { train, type TrainState } from '../../src/train/trainer.js';
import { put, get, uniform, wasmKernels } from '../helpers.js';
import { smallSplits } from './fixtures.js';

async function backends(): Promise<Kernels[]> {
  return [await wasmKernels(), new JsKernels()];
}

describe('divergence', () => {
  it('vae at lr 10 throws DivergenceError naming epoch and step, on both backends', async () => {
    const splits = await smallSplits(300, 20);
    for (const kernels of await backends()) {
      const model = new Autoencoder(kernels, presetArchitecture('vae')).initialize(0);
      const err = await train(model, splits, { epochs: 2, batchSize: 32, optimizer: new Adam({ learningRate: 10 }) }).catch((e: unknown) => e);
      expect(err, kernels.backend).toBeInstanceOf(DivergenceError);
      const d = err as DivergenceError;
      expect(d.epoch).toBe(1);
      expect(d.quantity).toBe('loss');
      expect(d.step).toBeGreaterThan(1);
      expect(d.globalStep).toBe(d.step);
      expect(d.message).toMatch(new RegExp(`^training diverged at epoch 1, step ${d.step} of 10: the loss is (NaN|Infinity) \\(learning rate 10\\); try a lower`));
    }
  });

  it('a NaN put into a weight stops the next step, whose update is not applied', async () => {
    const splits = await smallSplits(160, 10);
    const kernels = await wasmKernels();
    const model = new Autoencoder(kernels, presetArchitecture('dense')).initialize(0);
    const p = model.params.list[0]!;
    let before: Float32Array | null = null;
    const err = await train(model, splits, {
      epochs: 1, batchSize: 32, progressIntervalMs: 0,
      callbacks: { onBatchEnd: (b) => { if (b.step === 2) { kernels.heap.data[p.value + 7] = NaN; before = model.params.read(model.params.list[1]!).slice(); } } },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as DivergenceError).step).toBe(3);
    expect((err as DivergenceError).globalStep).toBe(3);
    expect(Buffer.from(model.params.read(model.params.list[1]!).buffer).equals(Buffer.from(before!.buffer))).toBe(true);
  });

  it('a NaN weight after the last step is found at the epoch end, before onEpochEnd', async () => {
    const splits = await smallSplits(64, 10);
    const kernels = await wasmKernels();
    const model = new Autoencoder(kernels, presetArchitecture('dense')).initialize(0);
    let ended = 0;
    const err = await train(model, splits, {
      epochs: 1, batchSize: 32, evaluateTest: false, progressIntervalMs: 0,
      callbacks: { onBatchEnd: (b) => { if (b.step === 2) kernels.heap.data[model.params.list[2]!.value] = Infinity; }, onEpochEnd: () => void ended++ },
    }).catch((e: unknown) => e);
    expect((err as DivergenceError).quantity).toBe('weights');
    expect((err as DivergenceError).message).toMatch(/after step 2 of 2: the weights hold NaN or infinite values/);
    expect(ended).toBe(0);
  });
});

describe('clip-norm', () => {
  const norm = (v: Float64Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  for (const kernels of [new JsKernels('f64'), new JsKernels()]) {
    it(`scales the global norm to c keeping the direction, and leaves smaller norms alone (${kernels.build})`, () => {
      const g = [uniform(37, 1, -3, 3), uniform(100, 2, -3, 3)];
      const params = g.map((v, i) => ({ grad: put(kernels, v), size: v.length, name: `p${i}` })) as never;
      const all = () => Float64Array.from([...get(kernels, (params as { grad: number }[])[0]!.grad, 37), ...get(kernels, (params as { grad: number }[])[1]!.grad, 100)]);
      const start = all();
      const n0 = norm(start);
      expect(clipGlobalNorm(kernels, params, n0 * 2)).toBeCloseTo(n0, 4);
      expect(all()).toEqual(start);
      clipGlobalNorm(kernels, params, 1.5);
      const after = all();
      expect(Math.abs(norm(after) - 1.5)).toBeLessThan(1.5 * 1e-6);
      after.forEach((v, i) => expect(Math.abs(v / 1.5 - start[i]! / n0)).toBeLessThan(1e-6));
    });
  }

  it('a clipped training step agrees on WASM and JS; a huge clip norm is bit-identical to none', async () => {
    const splits = await smallSplits(96, 10);
    const run = async (kernels: Kernels, clipNorm?: number) => {
      const model = new Autoencoder(kernels, presetArchitecture('dense')).initialize(3);
      const h = await train(model, splits, { epochs: 1, batchSize: 32, seed: 3, evaluateTest: false, clipNorm });
      return { loss: h.epochs[0]!.loss, w: model.params.list.map((p) => model.params.read(p)) };
    };
    const w = await run(await wasmKernels(), 0.01);
    const j = await run(new JsKernels(), 0.01);
    const free = await run(await wasmKernels());
    expect(Math.abs(w.loss - j.loss)).toBeLessThan(1e-5 * j.loss);
    w.w.forEach((a, i) => a.forEach((v, k) => expect(Math.abs(v - j.w[i]![k]!)).toBeLessThan(2e-5)));
    expect(w.w.some((a, i) => a.some((v, k) => v !== free.w[i]![k]))).toBe(true);
    const huge = await run(await wasmKernels(), 1e30);
    expect(huge.loss).toBe(free.loss);
    huge.w.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(free.w[i]!.buffer))).toBe(true));
  });

  it('rejects a clip norm that is not positive and finite', async () => {
    const splits = await smallSplits(10, 2);
    const model = new Autoencoder(await wasmKernels(), presetArchitecture('dense')).initialize(0);
    for (const c of [0, -1, NaN, Infinity]) await expect(train(model, splits, { clipNorm: c })).rejects.toThrow(/clip norm must be a finite number > 0/);
  });
});

describe('resuming inside an epoch checks the data', () => {
  it('refuses step_in_epoch, seen or the shuffle counter that do not fit, before training', async () => {
    const splits = await smallSplits(100, 10);
    const model = new Autoencoder(await wasmKernels(), presetArchitecture('dense')).initialize(0);
    const state = (partial: Partial<NonNullable<TrainState['partial']>>): TrainState => ({
      epoch: 0, step: 2, shuffle: { key: 1, counter: 99 }, noise: { key: 2, counter: 0 },
      partial: { stepInEpoch: 2, epochShuffleCounter: 0, lossSum: 1, seen: 64, seconds: 1, ...partial },
    });
    const go = (s: TrainState) => train(model, splits, { epochs: 1, batchSize: 32, resume: s, resumeSource: 'ck.safetensors' });
    await expect(go(state({ stepInEpoch: 4, seen: 128 }))).rejects.toThrow(/^ck.safetensors: checkpoint.partial.step_in_epoch must be an integer in \[0, 3\] \(100 training samples in batches of 32: 4 steps per epoch\), got 4/);
    await expect(go(state({ stepInEpoch: 1e9 }))).rejects.toThrow(FormatError);
    await expect(go(state({ seen: 60 }))).rejects.toThrow(/checkpoint.partial.seen must be step_in_epoch x batch = 64 .*got 60/);
    await expect(go(state({ epochShuffleCounter: 5 }))).rejects.toThrow(/epoch_shuffle_counter must be checkpoint.rng.shuffle.counter - 99 = 0 .*got 5/);
    const h = await go(state({}));
    expect(h.epochs.length).toBe(1);
  });
});
