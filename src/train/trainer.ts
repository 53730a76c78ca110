// The training loop: seeded shuffling each epoch, a fixed sequence of kernel calls per
// step on one compiled graph (no heap allocation, no per-step JS arrays), the
// optimizer update, test evaluation after each epoch, an optional validation split with
// early stopping, callbacks, and a history. Same seed, backend and build: same weights,
// bit for bit. train() is startTraining, then runEpoch and endEpoch (epoch.ts) in turn;
// a step is trainStep (step.ts).

import type { Dataset, Splits } from '../data/dataset.js';
import { subset, validateDataset } from '../data/dataset.js';
import { ArgumentError, FormatError } from '../errors.js';
import { RandomPurpose, RandomStream, streamKey } from '../random/streams.js';
import type { LossKind } from '../nn/losses.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { endEpoch, runEpoch } from './epoch.js';
import type { NoiseKind } from './noise.js';
import { Adam, type Optimizer } from './optimizers.js';
import { planStep, releaseStep, type StepPlan } from './step.js';
import { checkMemoryBudget, memoryNeeds } from './stream-budget.js';
import { validateTrainOptions, type ResolvedTrainOptions } from './train-options.js';

export interface EpochRecord {
  epoch: number;
  /** Mean training objective over the epoch's samples. */
  loss: number;
  /** MSE per pixel on the clean test split after this epoch. */
  test_mse: number;
  val_loss?: number;
  seconds: number;
  samples_per_sec: number;
  /**
   * Models with a classifier (models/classifier.ts) only, measured after the epoch with its
   * final weights on clean inputs: reconstruction MSE per value and accuracy on the training
   * split (Keras reports running means over the epoch's batches instead), on the validation
   * split, and accuracy on the test split.
   */
  mse?: number;
  accuracy?: number;
  val_mse?: number;
  val_accuracy?: number;
  test_accuracy?: number;
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
  /**
   * Denoising (target clean): the level of input noise of `noiseKind` — Gaussian stddev (input
   * clipped to [0, 1] for pixel models), or the share of values replaced (src/train/noise.ts).
   */
  noise?: number;
  /** 'gaussian' (default), 'salt-pepper' or 'mask'. */
  noiseKind?: NoiseKind;
  /** Sparse: L1 activity penalty on the code. */
  l1?: number;
  /** VAE: weight of the KL term. */
  beta?: number;
  /** Fraction of the training split held out (its last samples, as Keras does). */
  validationSplit?: number;
  /** Early stopping: epochs without a val_loss improvement before stopping. */
  patience?: number;
  /**
   * Clips the global L2 norm of all gradients to this before each update (Keras'
   * `global_clipnorm`, PyTorch's clip_grad_norm_); a non-finite norm stops training.
   */
  clipNorm?: number;
  /** Evaluate test MSE after each epoch (default true). */
  evaluateTest?: boolean;
  callbacks?: Callbacks;
  progressIntervalMs?: number;
  /** Continue from a checkpoint's state (weights and optimizer slots already loaded). */
  resume?: TrainState;
  /** Where `resume` came from (a checkpoint file), to name it in errors. */
  resumeSource?: string;
  /** Stops training after the current step; the history's state resumes from there. */
  signal?: AbortSignal;
  /**
   * Caps the heap (bytes): a run whose parameters, optimizer slots, activations, batch ring
   * and evaluation cannot fit fails before training with a HeapError naming each part.
   */
  maxMemory?: number;
  /**
   * Upload the training set into the heap as float32 instead of streaming batches from host
   * memory (same weights bit for bit; 4 bytes of heap per value). Default false.
   */
  dataInHeap?: boolean;
}

/** A training run set up by startTraining: what runEpoch and endEpoch work on. */
export interface TrainRun {
  readonly model: Autoencoder;
  readonly options: ResolvedTrainOptions;
  readonly loss: LossKind;
  readonly optimizer: Optimizer;
  readonly trainSet: Dataset;
  /** The held-out end of the training split, or null without a validation split. */
  readonly valSet: Dataset | null;
  readonly test: Dataset;
  /** The batch size, at most the training set's size. */
  readonly batch: number;
  /** Steps per epoch (the last batch may be smaller). */
  readonly steps: number;
  readonly plan: StepPlan;
  readonly shuffle: RandomStream;
  readonly noise: RandomStream;
  readonly state: TrainState;
  readonly history: History;
  /** The heap's cap before this run set maxMemory (restored by finishTraining). */
  readonly heapCap: number;
}

/**
 * Checks the options and data (and the heap budget, with maxMemory), compiles the training
 * graph and sets up the stream of the training set, and calls onTrainBegin. Free the run
 * with finishTraining.
 */
export function startTraining(model: Autoencoder, splits: Splits, options: TrainOptions = {}): TrainRun {
  const o = validateTrainOptions(options);
  const loss: LossKind = o.loss ?? (model.kind === 'vae' ? 'bce' : 'mse');
  const optimizer = o.optimizer ?? new Adam();

  // BCE needs targets in [0, 1]; MSE takes any finite value (standardised data).
  const range = loss === 'bce' ? 'unit' : 'finite';
  validateDataset(splits.train, 'training data', range);
  validateDataset(splits.test, 'test data', range);
  const nVal = Math.floor(splits.train.n * o.validationSplit);
  const trainSet: Dataset = subset(splits.train, 0, splits.train.n - nVal);
  const valSet: Dataset | null = nVal > 0 ? subset(splits.train, trainSet.n, nVal) : null;
  if (trainSet.n === 0) throw new ArgumentError('no training samples left after the validation split');

  const state: TrainState = o.resume
    ? structuredClone(o.resume)
    : {
        epoch: 0,
        step: 0,
        shuffle: { key: streamKey(o.seed, RandomPurpose.shuffle), counter: 0 },
        noise: { key: streamKey(o.seed, RandomPurpose.noise), counter: 0 },
      };
  optimizer.iterations = state.step;
  const shuffle = new RandomStream(state.shuffle.key, state.shuffle.counter);
  const noise = new RandomStream(state.noise.key, state.noise.counter);

  const batch = Math.min(o.batchSize, trainSet.n);
  const steps = Math.ceil(trainSet.n / batch);
  if (state.partial) checkPartialEpoch(state, trainSet.n, batch, steps, o.resumeSource ?? 'the resume state');
  const dataInHeap = options.dataInHeap ?? false;
  const heap = model.kernels.heap;
  const heapCap = heap.maxBytes;
  const maxMemory = options.maxMemory;
  if (maxMemory !== undefined) {
    if (!(Number.isSafeInteger(maxMemory) && maxMemory > 0)) throw new ArgumentError(`maxMemory must be a positive integer number of bytes, got ${JSON.stringify(maxMemory)}`);
    const graph = { training: true, loss, l1: o.l1, beta: o.beta, separateInput: o.noise > 0 };
    const evaluations = [
      ...(o.evaluateTest ? [{ ds: splits.test, batch: Math.min(256, Math.max(1, splits.test.n)), graph: { training: false, loss: 'bce' as const, separateInput: o.noise > 0 } }] : []),
      ...(valSet ? [{ ds: valSet, batch: Math.min(batch, valSet.n), graph: { ...graph, training: false } }] : []),
      // A classifier's figures after each epoch evaluate the training and validation splits too (epoch.ts).
      ...(model.classifier !== null
        ? [trainSet, ...(valSet ? [valSet] : [])].map((ds) => ({ ds, batch: Math.min(256, ds.n), graph: { training: false, loss: 'bce' as const, separateInput: o.noise > 0 } }))
        : []),
    ];
    checkMemoryBudget(memoryNeeds(model, trainSet, { batch, graph, optimizer, dataInHeap, evaluations }), maxMemory, batch, dataInHeap);
    heap.maxBytes = Math.min(heapCap, maxMemory);
  }
  let plan: StepPlan;
  try {
    plan = planStep(model, trainSet, { batch, loss, l1: o.l1, beta: o.beta, noise: o.noise, noiseKind: o.noiseKind, optimizer, noiseStream: noise, clipNorm: o.clipNorm, dataInHeap });
  } catch (err) {
    heap.maxBytes = heapCap;
    throw err;
  }
  const history: History = { epochs: [], stopped: 'completed', state };
  o.callbacks?.onTrainBegin?.({ epochs: o.epochs, stepsPerEpoch: steps, trainSamples: trainSet.n, startEpoch: state.epoch });
  return { model, options: o, loss, optimizer, trainSet, valSet, test: splits.test, batch, steps, plan, shuffle, noise, state, history, heapCap };
}

/** Frees the run's graph and data and lifts its heap cap. */
export function finishTraining(run: TrainRun): void {
  releaseStep(run.plan);
  run.model.kernels.heap.maxBytes = run.heapCap;
}

/**
 * A checkpoint taken inside an epoch must fit the data and batch size it resumes with:
 * its step is one of this epoch's (never the last, which ends the epoch instead), the
 * samples seen are that many full batches, and the epoch's permutation drew n - 1 values
 * from the shuffle stream. The record's own validation (models/training-record.ts) cannot
 * know n; without this a step past the data would read outside it.
 */
function checkPartialEpoch(state: TrainState, n: number, batch: number, steps: number, source: string): void {
  const p = state.partial!;
  const data = `${n} training samples in batches of ${batch}: ${steps} steps per epoch`;
  const fail = (field: string, expected: string, found: number) => {
    throw new FormatError(`${source}: checkpoint.partial.${field} must be ${expected} (${data}), got ${found}; was it written for other data or another batch size?`);
  };
  if (!(Number.isInteger(p.stepInEpoch) && p.stepInEpoch >= 0 && p.stepInEpoch < steps)) fail('step_in_epoch', `an integer in [0, ${steps - 1}]`, p.stepInEpoch);
  if (p.seen !== p.stepInEpoch * batch) fail('seen', `step_in_epoch x batch = ${p.stepInEpoch * batch}`, p.seen);
  const drawn = state.shuffle.counter - p.epochShuffleCounter;
  if (drawn !== n - 1) fail('epoch_shuffle_counter', `checkpoint.rng.shuffle.counter - ${n - 1} = ${state.shuffle.counter - (n - 1)}`, p.epochShuffleCounter);
}

/** Trains `model` in place on splits.train; returns the history. */
export async function train(model: Autoencoder, splits: Splits, options: TrainOptions = {}): Promise<History> {
  const run = startTraining(model, splits, options);
  try {
    while (run.state.epoch < run.options.epochs) {
      const totals = await runEpoch(run);
      const stopped = totals ? await endEpoch(run, totals) : 'interrupted';
      if (stopped) {
        run.history.stopped = stopped;
        break;
      }
    }
  } finally {
    finishTraining(run);
  }
  return run.history;
}
