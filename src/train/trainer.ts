// The training loop: seeded shuffling each epoch, a fixed sequence of kernel calls per
// step on one compiled graph (no heap allocation, no per-step JS arrays), the
// optimizer update, test evaluation after each epoch, an optional validation split with
// early stopping, callbacks, and a history. Same seed, backend and build: same weights,
// bit for bit.

import type { Dataset, Splits } from '../data/dataset.js';
import { subset, validateDataset } from '../data/dataset.js';
import { ArgumentError } from '../errors.js';
import { RandomPurpose, RandomStream, streamKey } from '../random/streams.js';
import type { RunContext } from '../nn/layer.js';
import type { LossKind } from '../nn/losses.js';
import type { Autoencoder } from '../models/autoencoder.js';
import type { ModelGraph } from '../models/graph.js';
import { DeviceData } from './device-data.js';
import { evaluate } from './evaluate.js';
import { addInputNoise } from './noise.js';
import { shuffledIndices } from '../data/shuffle.js';
import { Adam, type Optimizer } from './optimizers.js';

export interface EpochRecord {
  epoch: number;
  /** Mean training objective over the epoch's samples. */
  loss: number;
  /** MSE per pixel on the clean test split after this epoch. */
  test_mse: number;
  val_loss?: number;
  seconds: number;
  samples_per_sec: number;
}

export interface History {
  epochs: EpochRecord[];
  /**
   * Why training ended: all epochs done, early stopping, a callback asked to stop, or
   * the abort signal fired (the returned state then resumes exactly where it stopped).
   */
  stopped: 'completed' | 'early_stopping' | 'callback' | 'interrupted';
  bestEpoch?: number;
  /** The state at the end: pass it back as `resume` (with the same weights) to continue. */
  state: TrainState;
}

export interface BatchInfo {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Running mean of the objective over this epoch so far. */
  loss: number;
  samplesPerSec: number;
}

export interface Callbacks {
  onTrainBegin?(info: { epochs: number; stepsPerEpoch: number; trainSamples: number; startEpoch: number }): void;
  /** Called at most every `progressIntervalMs` and on each epoch's last step. */
  onBatchEnd?(info: BatchInfo): void;
  /** Return 'stop' to end training after this epoch. */
  onEpochEnd?(record: EpochRecord, state: TrainState): void | 'stop' | Promise<void | 'stop'>;
}

/** Everything besides weights and optimizer slots needed to resume bit-identically. */
export interface TrainState {
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  shuffle: { key: number; counter: number };
  noise: { key: number; counter: number };
  bestValLoss?: number;
  bestEpoch?: number;
  epochsWithoutImprovement?: number;
  /** Set when training stopped inside an epoch: where to pick it up. */
  partial?: {
    /** Steps of the epoch already taken. */
    stepInEpoch: number;
    /** Shuffle stream position before this epoch's permutation (to draw it again). */
    epochShuffleCounter: number;
    lossSum: number;
    seen: number;
    seconds: number;
  };
}

export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  optimizer?: Optimizer;
  loss?: LossKind;
  seed?: number;
  /** Denoising: stddev of Gaussian input noise (input clipped to [0, 1]; target clean). */
  noise?: number;
  /** Sparse: L1 activity penalty on the code. */
  l1?: number;
  /** VAE: weight of the KL term. */
  beta?: number;
  /** Fraction of the training split held out (its last samples, as Keras does). */
  validationSplit?: number;
  /** Early stopping: epochs without a val_loss improvement before stopping. */
  patience?: number;
  /** Evaluate test MSE after each epoch (default true). */
  evaluateTest?: boolean;
  callbacks?: Callbacks;
  progressIntervalMs?: number;
  /** Continue from a checkpoint's state (weights and optimizer slots already loaded). */
  resume?: TrainState;
  /** Stops training after the current step; the history's state resumes from there. */
  signal?: AbortSignal;
}

function checkInt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new ArgumentError(`${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

function checkNumber(name: string, v: number, min: number, max: number, maxInclusive = true): number {
  if (!Number.isFinite(v) || v < min || (maxInclusive ? v > max : v >= max)) {
    throw new ArgumentError(`${name} must be in [${min}, ${max}${maxInclusive ? ']' : ')'}, got ${v}`);
  }
  return v;
}

/** setImmediate in Node; a zero timeout where there is none (the demo's training worker). */
function yieldToEventLoop(fn: () => void): void {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (immediate) immediate(fn);
  else setTimeout(fn, 0);
}

export const TRAIN_DEFAULTS = { epochs: 10, batchSize: 32, seed: 0 } as const;

/** Trains `model` in place on splits.train; returns the history. */
export async function train(model: Autoencoder, splits: Splits, options: TrainOptions = {}): Promise<History> {
  const kernels = model.kernels;
  const epochs = checkInt('epochs', options.epochs ?? TRAIN_DEFAULTS.epochs, 1);
  const batchSize = checkInt('batch size', options.batchSize ?? TRAIN_DEFAULTS.batchSize, 1);
  const seed = checkInt('seed', options.seed ?? TRAIN_DEFAULTS.seed, 0);
  const noise = checkNumber('noise', options.noise ?? 0, 0, 10);
  const l1 = checkNumber('l1', options.l1 ?? 0, 0, 1e6);
  const beta = checkNumber('beta', options.beta ?? 1, 0, 1e6);
  const valSplit = checkNumber('validation split', options.validationSplit ?? 0, 0, 1, false);
  const patience = options.patience === undefined ? undefined : checkInt('patience', options.patience, 1);
  if (patience !== undefined && valSplit === 0) throw new ArgumentError('early stopping (patience) needs a validation split');
  const loss: LossKind = options.loss ?? (model.kind === 'vae' ? 'bce' : 'mse');
  const optimizer = options.optimizer ?? new Adam();
  const evaluateTest = options.evaluateTest ?? true;
  const interval = options.progressIntervalMs ?? 100;

  validateDataset(splits.train, 'training data');
  validateDataset(splits.test, 'test data');
  const nVal = Math.floor(splits.train.n * valSplit);
  const trainSet: Dataset = subset(splits.train, 0, splits.train.n - nVal);
  const valSet: Dataset | null = nVal > 0 ? subset(splits.train, trainSet.n, nVal) : null;
  if (trainSet.n === 0) throw new ArgumentError('no training samples left after the validation split');

  const state: TrainState = options.resume
    ? structuredClone(options.resume)
    : {
        epoch: 0,
        step: 0,
        shuffle: { key: streamKey(seed, RandomPurpose.shuffle), counter: 0 },
        noise: { key: streamKey(seed, RandomPurpose.noise), counter: 0 },
      };
  optimizer.iterations = state.step;
  const shuffleStream = new RandomStream(state.shuffle.key, state.shuffle.counter);
  const noiseStream = new RandomStream(state.noise.key, state.noise.counter);

  model.params.ensureTraining(optimizer.slots);
  const batch = Math.min(batchSize, trainSet.n);
  const graph = model.compile({ batch, training: true, loss, l1, beta, separateInput: noise > 0 });
  const data = new DeviceData(kernels, trainSet, model.inputShape, 'training data');
  const ctx: RunContext = { kernels, training: true, noise: noiseStream };
  const params = model.params.list;
  const steps = Math.ceil(trainSet.n / batch);
  const history: History = { epochs: [], stopped: 'completed', state };
  const signal = options.signal;
  options.callbacks?.onTrainBegin?.({ epochs, stepsPerEpoch: steps, trainSamples: trainSet.n, startEpoch: state.epoch });

  try {
    while (state.epoch < epochs) {
      const epoch = state.epoch + 1;
      const partial = state.partial;
      delete state.partial;
      // A resumed epoch draws its permutation again from the same stream position.
      if (partial) shuffleStream.counter = partial.epochShuffleCounter;
      const epochShuffleCounter = shuffleStream.counter;
      const order = shuffledIndices(trainSet.n, shuffleStream);
      let lossSum = partial?.lossSum ?? 0;
      let seen = partial?.seen ?? 0;
      const t0 = performance.now() - (partial?.seconds ?? 0) * 1000;
      let lastReport = performance.now();
      for (let s = partial?.stepInEpoch ?? 0; s < steps; s++) {
        const start = s * batch;
        const n = Math.min(batch, trainSet.n - start);
        lossSum += step(graph, ctx, data, order, start, n, noise, noiseStream) * n;
        optimizer.step(kernels, params);
        state.step++;
        seen += n;
        const now = performance.now();
        if (now - lastReport >= interval || s === steps - 1) {
          lastReport = now;
          options.callbacks?.onBatchEnd?.({ epoch, epochs, step: s + 1, steps, loss: lossSum / seen, samplesPerSec: seen / ((now - t0) / 1000) });
          // Let timers, signals and I/O run between reports.
          await new Promise<void>((r) => yieldToEventLoop(r));
        }
        if (signal?.aborted && s < steps - 1) {
          state.partial = { stepInEpoch: s + 1, epochShuffleCounter, lossSum, seen, seconds: (performance.now() - t0) / 1000 };
          state.shuffle.counter = shuffleStream.counter;
          state.noise.counter = noiseStream.counter;
          history.stopped = 'interrupted';
          return history;
        }
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      state.epoch = epoch;
      state.shuffle.counter = shuffleStream.counter;
      state.noise.counter = noiseStream.counter;
      const record: EpochRecord = {
        epoch,
        loss: lossSum / seen,
        test_mse: evaluateTest ? evaluate(model, splits.test).mse : NaN,
        seconds: trainSeconds,
        samples_per_sec: seen / trainSeconds,
      };
      let stopEarly = false;
      if (valSet) {
        record.val_loss = validationLoss(model, valSet, { batch, loss, l1, beta, noise, seed });
        if (state.bestValLoss === undefined || record.val_loss < state.bestValLoss) {
          state.bestValLoss = record.val_loss;
          state.bestEpoch = epoch;
          state.epochsWithoutImprovement = 0;
        } else {
          state.epochsWithoutImprovement = (state.epochsWithoutImprovement ?? 0) + 1;
          if (patience !== undefined && state.epochsWithoutImprovement >= patience) stopEarly = true;
        }
      }
      history.epochs.push(record);
      if (state.bestEpoch !== undefined) history.bestEpoch = state.bestEpoch;
      const verdict = await options.callbacks?.onEpochEnd?.(record, state);
      if (verdict === 'stop') {
        history.stopped = 'callback';
        break;
      }
      if (stopEarly) {
        history.stopped = 'early_stopping';
        break;
      }
      if (signal?.aborted && state.epoch < epochs) {
        history.stopped = 'interrupted';
        break;
      }
    }
  } finally {
    graph.release();
    data.free();
  }
  return history;
}

/** One step's forward, loss and backward on samples order[start .. start + n). */
function step(
  g: ModelGraph, ctx: RunContext, data: DeviceData, order: Uint32Array, start: number, n: number,
  noise: number, noiseStream: RandomStream,
): number {
  data.gather(order, start, n, g.target.offset);
  if (noise > 0) addInputNoise(ctx.kernels, g.target.offset, g.input.offset, n * data.size, noise, noiseStream);
  g.forward(ctx, n);
  const value = g.loss(n);
  g.backward(ctx, n);
  return value;
}

/**
 * The training objective on the validation split in inference mode, with noise and eps
 * from a stream reset for every evaluation, so epochs compare like with like.
 */
function validationLoss(
  model: Autoencoder, ds: Dataset,
  o: { batch: number; loss: LossKind; l1: number; beta: number; noise: number; seed: number },
): number {
  const kernels = model.kernels;
  const batch = Math.min(o.batch, ds.n);
  const g = model.compile({ batch, training: false, loss: o.loss, l1: o.l1, beta: o.beta, separateInput: o.noise > 0 });
  const data = new DeviceData(kernels, ds, model.inputShape, 'validation data');
  const stream = new RandomStream(streamKey(o.seed, RandomPurpose.sample));
  const ctx: RunContext = { kernels, training: false, noise: stream };
  let total = 0;
  try {
    for (let start = 0; start < ds.n; start += batch) {
      const n = Math.min(batch, ds.n - start);
      data.gather(null, start, n, g.target.offset);
      if (o.noise > 0) addInputNoise(kernels, g.target.offset, g.input.offset, n * data.size, o.noise, stream);
      g.forward(ctx, n, true);
      total += g.loss(n) * n;
    }
  } finally {
    g.release();
    data.free();
  }
  return total / ds.n;
}
