// One epoch of training: its steps over a fresh permutation (picked up mid-epoch from
// TrainState.partial after an interruption), then its bookkeeping — test MSE, validation
// loss, early stopping, the best epoch, the history record and the callbacks.
//
// Divergence stops training at once with a DivergenceError: a step's non-finite loss (or
// gradient norm, with clip-norm) before that step's update, and at the epoch's end (and
// at an interruption) non-finite weights, test MSE or validation loss, before the history
// record and onEpochEnd — so no callback ever checkpoints a diverged model. When it is
// thrown the model holds the weights of the last update taken: for a step's loss they are
// the weights that produced it (finite or not — an earlier step without clip-norm may have
// applied a non-finite gradient), for a gradient norm the last finite ones; either way not
// a model to keep, and the CLI writes none of a failed run's files.

import type { Dataset } from '../data/dataset.js';
import { DivergenceError, type DivergedQuantity } from '../errors.js';
import { shuffledIndices } from '../data/shuffle.js';
import { RandomPurpose, RandomStream, streamKey } from '../random/streams.js';
import type { RunContext } from '../nn/layer.js';
import type { LossKind } from '../nn/losses.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { evaluate, type Metrics, reconstructs } from './evaluate.js';
import { addInputNoise, type InputNoise } from './noise.js';
import { labelData, stepDivergence, trainStep } from './step.js';
import { StreamData, type BatchData } from './stream.js';
import type { EpochRecord, History, TrainRun, TrainState } from './trainer.js';

/** What an epoch's steps add up to. */
export interface EpochTotals {
  /** Σ over steps of the batch's mean objective times its size. */
  lossSum: number;
  seen: number;
  seconds: number;
}

/** setImmediate in Node; a zero timeout where there is none (the demo's training worker). */
function yieldToEventLoop(fn: () => void): void {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (immediate) immediate(fn);
  else setTimeout(fn, 0);
}

/**
 * The error for a non-finite `quantity` at step `step` (1-based) of the current epoch:
 * `during` for a step's own loss or gradient norm, else found after it. `globalStep`
 * counts optimizer steps from the start of training.
 */
function divergence(run: TrainRun, step: number, globalStep: number, during: boolean, quantity: DivergedQuantity, value: number): DivergenceError {
  const epoch = run.state.epoch + 1;
  const what = quantity === 'weights' ? 'the weights hold NaN or infinite values' : `the ${quantity} is ${value}`;
  const clip = run.options.clipNorm;
  // Clipping already on (it bounds the gradient, not Adam's step): only a lower rate is left to suggest.
  const advice = clip === undefined ? 'try a lower learning rate (--lr) or gradient clipping (--clip-norm)' : 'try a lower learning rate (--lr)';
  return new DivergenceError(
    `training diverged at epoch ${epoch}, ${during ? '' : 'after '}step ${step} of ${run.steps}: ${what} ` +
      `(learning rate ${run.optimizer.learningRate}${clip === undefined ? '' : `, clip norm ${clip}`}); ${advice}`,
    epoch, step, globalStep, quantity, value,
  );
}

/** Throws when a weight is NaN or infinite (one sumSquares pass: finite exactly when every element is). */
function checkWeights(run: TrainRun, step: number): void {
  const kernels = run.model.kernels;
  let total = 0;
  // Every parameter, non-trainable state (moving statistics) included.
  for (const p of run.model.params.list) total += kernels.sumSquares(p.value, p.size);
  if (!Number.isFinite(total)) throw divergence(run, step, run.state.step, false, 'weights', total);
}

/** The stream positions into the state, so it resumes from exactly here. */
function saveStreams(run: TrainRun): void {
  run.state.shuffle.counter = run.shuffle.counter;
  run.state.noise.counter = run.noise.counter;
}

/**
 * Runs the steps of epoch state.epoch + 1 (from state.partial's step when set). Returns
 * null when the abort signal stopped it inside the epoch; state.partial then says where to
 * pick it up.
 */
export async function runEpoch(run: TrainRun): Promise<EpochTotals | null> {
  const { state, shuffle, plan, steps, batch, options } = run;
  const n = run.trainSet.n;
  const epoch = state.epoch + 1;
  const partial = state.partial;
  delete state.partial;
  // A resumed epoch draws its permutation again from the same stream position.
  if (partial) shuffle.counter = partial.epochShuffleCounter;
  const epochShuffleCounter = shuffle.counter;
  const order = shuffledIndices(n, shuffle);
  let lossSum = partial?.lossSum ?? 0;
  let seen = partial?.seen ?? 0;
  const t0 = performance.now() - (partial?.seconds ?? 0) * 1000;
  let lastReport = performance.now();
  for (let s = partial?.stepInEpoch ?? 0; s < steps; s++) {
    const start = s * batch;
    const m = Math.min(batch, n - start);
    const loss = trainStep(plan, order, start, m);
    const diverged = stepDivergence(plan, loss);
    if (diverged) throw divergence(run, s + 1, state.step + 1, true, diverged, diverged === 'loss' ? loss : plan.gradNorm);
    lossSum += loss * m;
    state.step++;
    seen += m;
    const now = performance.now();
    if (now - lastReport >= options.progressIntervalMs || s === steps - 1) {
      lastReport = now;
      options.callbacks?.onBatchEnd?.({ epoch, epochs: options.epochs, step: s + 1, steps, loss: lossSum / seen, samplesPerSec: seen / ((now - t0) / 1000) });
      // Let timers, signals and I/O run between reports.
      await new Promise<void>((r) => yieldToEventLoop(r));
    }
    if (options.signal?.aborted && s < steps - 1) {
      checkWeights(run, s + 1);
      state.partial = { stepInEpoch: s + 1, epochShuffleCounter, lossSum, seen, seconds: (performance.now() - t0) / 1000 };
      saveStreams(run);
      return null;
    }
  }
  return { lossSum, seen, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Closes the epoch runEpoch just ran: counts it in the state, records it in the history
 * (with test MSE and validation loss), tracks the best epoch and calls onEpochEnd. Returns
 * why training stops here, or null to go on.
 */
export async function endEpoch(run: TrainRun, totals: EpochTotals): Promise<Exclude<History['stopped'], 'completed'> | null> {
  const { state, history, options } = run;
  checkWeights(run, run.steps);
  const epoch = state.epoch + 1;
  const test = options.evaluateTest ? evaluate(run.model, run.test) : null;
  const record: EpochRecord = {
    epoch,
    loss: totals.lossSum / totals.seen,
    test_mse: test ? test.mse : NaN,
    seconds: totals.seconds,
    samples_per_sec: totals.seen / totals.seconds,
  };
  let stopEarly = false;
  if (run.valSet) {
    record.val_loss = validationLoss(run.model, run.valSet, { ...options, batch: run.batch, loss: run.loss, noise: run.plan.noise });
  }
  if (run.model.classifier !== null) Object.assign(record, classifierFigures(run, test));
  // A classifier's output has no test MSE (NaN): its divergence shows in its weights and loss.
  if (options.evaluateTest && reconstructs(run.model) && !Number.isFinite(record.test_mse)) throw divergence(run, run.steps, state.step, false, 'test MSE', record.test_mse);
  if (record.val_loss !== undefined) {
    if (!Number.isFinite(record.val_loss)) throw divergence(run, run.steps, state.step, false, 'validation loss', record.val_loss);
    stopEarly = trackBest(state, epoch, record.val_loss, options.patience);
  }
  state.epoch = epoch;
  saveStreams(run);
  history.epochs.push(record);
  if (state.bestEpoch !== undefined) history.bestEpoch = state.bestEpoch;
  const verdict = await options.callbacks?.onEpochEnd?.(record, state);
  if (verdict === 'stop') return 'callback';
  if (stopEarly) return 'early_stopping';
  if (options.signal?.aborted && state.epoch < options.epochs) return 'interrupted';
  return null;
}

/** A classifier's reconstruction MSE and accuracy after the epoch (EpochRecord): training split, validation split, test split. */
function classifierFigures(run: TrainRun, test: Metrics | null): Partial<EpochRecord> {
  const train = evaluate(run.model, run.trainSet);
  const out: Partial<EpochRecord> = { mse: train.mse, accuracy: train.accuracy! };
  if (run.valSet) {
    const val = evaluate(run.model, run.valSet);
    out.val_mse = val.mse;
    out.val_accuracy = val.accuracy!;
  }
  if (test) out.test_accuracy = test.accuracy!;
  return out;
}

/** Updates the best validation loss and epoch; true when patience has run out. */
function trackBest(state: TrainState, epoch: number, valLoss: number, patience: number | undefined): boolean {
  if (state.bestValLoss === undefined || valLoss < state.bestValLoss) {
    state.bestValLoss = valLoss;
    state.bestEpoch = epoch;
    state.epochsWithoutImprovement = 0;
    return false;
  }
  state.epochsWithoutImprovement = (state.epochsWithoutImprovement ?? 0) + 1;
  return patience !== undefined && state.epochsWithoutImprovement >= patience;
}

/**
 * The training objective on the validation split in inference mode, with noise and eps
 * from a stream reset for every evaluation, so epochs compare like with like.
 */
function validationLoss(
  model: Autoencoder, ds: Dataset,
  o: { batch: number; loss: LossKind; l1: number; beta: number; noise: InputNoise | null; seed: number },
): number {
  const kernels = model.kernels;
  const batch = Math.min(o.batch, ds.n);
  const g = model.compile({ batch, training: false, loss: o.loss, l1: o.l1, beta: o.beta, separateInput: o.noise !== null });
  const data = new StreamData(kernels, ds, model.inputShape, 'validation data', batch);
  let labels: BatchData | null = null;
  const stream = new RandomStream(streamKey(o.seed, RandomPurpose.sample));
  const ctx: RunContext = { kernels, training: false, noise: stream };
  let total = 0;
  try {
    labels = g.label ? labelData(kernels, ds, model.labelCount!, 'validation data') : null;
    for (let start = 0; start < ds.n; start += batch) {
      const n = Math.min(batch, ds.n - start);
      data.gather(null, start, n, g.target.offset);
      labels?.gather(null, start, n, g.label!.offset);
      if (o.noise) addInputNoise(kernels, g.target.offset, g.input.offset, n * data.size, o.noise, stream);
      g.forward(ctx, n, true);
      total += g.loss(n) * n;
    }
  } finally {
    g.release();
    data.free();
    labels?.free();
  }
  return total / ds.n;
}
