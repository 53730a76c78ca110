// Resume equivalence: training N epochs in one go equals training, checkpointing
// through a model file, and resuming — bit for bit, also from inside an epoch.
import { describe, expect, it } from 'vitest';
import type { Splits } from '../../src/data/dataset.js';
import { decodeModel, encodeModel, type TrainingRecord } from '../../src/models/model-file.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { checkpointFromState, optimizerFromRecord, stateFromCheckpoint } from '../../src/train/checkpoint.js';
import { Adam, SGD, type Optimizer } from '../../src/train/optimizers.js';
import { train, type History, type TrainOptions } from '../../src/train/trainer.js';
import { wasmKernels } from '../helpers.js';
import { smallSplits } from './fixtures.js';

function bits(model: Autoencoder): string[] {
  return model.params.list.map((p) => Buffer.from(model.params.read(p).buffer).toString('base64'));
}

const record = (o: Optimizer, noise: number): TrainingRecord => ({ loss: 'mse', optimizer: o.config(), noise, l1: 0, beta: 1, seed: 11 });

/**
 * Writes `model` and the state `h` ended in to a checkpoint file's bytes, loads them on
 * fresh kernels (as a new process would) and trains on with `options`.
 */
async function resumeFromFile(
  model: Autoencoder, h: History, optimizer: Optimizer, noise: number, label: string, splits: Splits, options: TrainOptions,
): Promise<{ model: Autoencoder; history: History }> {
  const optimizerRecord = { ...optimizer.config(), ...(options.clipNorm ? { global_clipnorm: options.clipNorm } : {}) };
  const bytes = encodeModel(model, { ...record(optimizer, noise), optimizer: optimizerRecord, checkpoint: checkpointFromState(h.state, h.epochs) }, { optimizerState: true });
  const kernels = await wasmKernels();
  const loaded = decodeModel(bytes, kernels, label);
  const history = await train(loaded.model, splits, {
    ...options,
    // The clip norm comes back from the file's optimizer record, as --resume takes it.
    clipNorm: loaded.training.optimizer['global_clipnorm'] as number | undefined,
    optimizer: optimizerFromRecord(loaded.training),
    resume: stateFromCheckpoint(loaded.training.checkpoint!),
  });
  return { model: loaded.model, history };
}

describe('checkpoint and resume', () => {
  for (const [preset, noise, makeOpt, clipNorm] of [
    ['conv', 0.2, () => new Adam(), undefined],
    ['vae', 0, () => new Adam({ learningRate: 2e-3 })],
    ['dense', 0, () => new SGD({ learningRate: 0.5, momentum: 0.9 }), undefined],
    // A clip norm below the gradients' norm, so every step is clipped.
    ['dense', 0, () => new SGD({ learningRate: 0.5, momentum: 0.9 }), 0.05],
  ] as const) {
    it(`${preset}${clipNorm ? ` clip-norm ${clipNorm}` : ''}: 2 epochs = 1 epoch, save, load, resume 1 — and an interruption inside an epoch resumes exactly`, async () => {
      const splits = await smallSplits(200, 20);
      const base: TrainOptions = { batchSize: 32, seed: 11, noise, validationSplit: 0.2, evaluateTest: false, loss: preset === 'vae' ? 'bce' : 'mse', clipNorm };

      const k1 = await wasmKernels();
      const straight = new Autoencoder(k1, presetArchitecture(preset)).initialize(11);
      const full = await train(straight, splits, { ...base, epochs: 2, optimizer: makeOpt() });

      // One epoch, then a checkpoint file, then a fresh process-like load and resume.
      const k2 = await wasmKernels();
      const first = new Autoencoder(k2, presetArchitecture(preset)).initialize(11);
      const opt = makeOpt();
      const h1 = await train(first, splits, { ...base, epochs: 1, optimizer: opt });
      const loaded = await resumeFromFile(first, h1, opt, noise, 'checkpoint', splits, { ...base, epochs: 2 });
      const h2 = loaded.history;
      expect(bits(loaded.model)).toEqual(bits(straight));
      expect(h2.epochs[0]!.loss).toBe(full.epochs[1]!.loss);
      expect(h2.epochs[0]!.val_loss).toBe(full.epochs[1]!.val_loss);

      // Interrupt inside epoch 2 (after its second step), checkpoint, resume.
      const k4 = await wasmKernels();
      const cut = new Autoencoder(k4, presetArchitecture(preset)).initialize(11);
      const controller = new AbortController();
      let steps = 0;
      const hc = await train(cut, splits, {
        ...base,
        epochs: 2,
        optimizer: makeOpt(),
        signal: controller.signal,
        progressIntervalMs: 0,
        callbacks: { onBatchEnd: (b) => void (++steps === 7 && controller.abort()) },
      });
      expect(hc.stopped).toBe('interrupted');
      expect(hc.state.partial?.stepInEpoch).toBe(2);
      const again = await resumeFromFile(cut, hc, makeOpt(), noise, 'interrupted', splits, { ...base, epochs: 2 });
      const hr = again.history;
      expect(bits(again.model)).toEqual(bits(straight));
      expect(hr.epochs[0]!.loss).toBe(full.epochs[1]!.loss);
    });
  }
});
