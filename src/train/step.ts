// One training step, the trainer's and the benchmark's alike: fill a batch into the heap
// (streamed from host memory, stream.ts; or copied from an in-heap upload), add input noise when denoising, forward, loss, backward and
// the optimizer update (after clipping the gradients' global norm, when asked). Everything
// a step touches is planned by planStep, so trainStep allocates nothing on the heap and
// creates no JS objects.
//
// Divergence is checked where it is cheap: the batch loss is one number the loss kernels
// already return, so a NaN or infinite loss costs one comparison to find; the gradients
// are read (one sumSquares pass) only when clip-norm needs their norm anyway. A step whose
// loss or gradient norm is non-finite applies no update: the weights stay those the step
// started from (stepDivergence says why, and the caller stops).

import type { Dataset } from '../data/dataset.js';
import { DataError } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import type { RandomStream } from '../random/streams.js';
import type { Param, RunContext } from '../nn/layer.js';
import type { LossKind } from '../nn/losses.js';
import type { Autoencoder } from '../models/autoencoder.js';
import type { ModelGraph } from '../models/graph.js';
import { DeviceData } from './device-data.js';
import { LabelStream, StreamData, type BatchData } from './stream.js';
import { addInputNoise, inputNoiseFor, type InputNoise, type NoiseKind } from './noise.js';
import type { DivergedQuantity } from '../errors.js';
import { clipGlobalNorm, type Optimizer } from './optimizers.js';

export interface StepOptions {
  /** The largest batch a step takes. */
  batch: number;
  loss: LossKind;
  l1?: number;
  beta?: number;
  /** The input noise level (0: none): Gaussian stddev, or the replaced share for salt-pepper / mask. */
  noise: number;
  /** Default gaussian (src/train/noise.ts). */
  noiseKind?: NoiseKind;
  optimizer: Optimizer;
  /** Draws the input noise (and a VAE's eps). */
  noiseStream: RandomStream;
  /** Clip the gradients' global L2 norm to this before each update (undefined: never). */
  clipNorm?: number;
  /** Upload the whole set into the heap instead of streaming batches (same results, more heap). */
  dataInHeap?: boolean;
}

/** A compiled training graph with its data and optimizer: what trainStep runs on. */
export interface StepPlan {
  readonly graph: ModelGraph;
  readonly data: BatchData;
  /** The one-hot labels, when the model's graph reads them. */
  readonly labels: BatchData | null;
  readonly ctx: RunContext;
  readonly optimizer: Optimizer;
  /** The trainable parameters (what the optimizer and clip-norm see; non-trainable state is not). */
  readonly params: readonly Param[];
  /** The input noise, null for none. */
  readonly noise: InputNoise | null;
  readonly clipNorm: number | undefined;
  /** The last step's global gradient norm before clipping (NaN without clip-norm). */
  gradNorm: number;
}

/** Reserves the optimizer's slots, compiles the training graph and sets up the stream of `train` (or its upload). */
export function planStep(model: Autoencoder, train: Dataset, o: StepOptions): StepPlan {
  const kernels = model.kernels;
  model.params.ensureTraining(o.optimizer.slots);
  const noise = inputNoiseFor(model, o.noiseKind ?? 'gaussian', o.noise, train);
  const graph = model.compile({ batch: o.batch, training: true, loss: o.loss, l1: o.l1, beta: o.beta, separateInput: noise !== null });
  let data: BatchData | null = null;
  let labels: BatchData | null = null;
  try {
    data = o.dataInHeap ? new DeviceData(kernels, train, model.inputShape, 'training data') : new StreamData(kernels, train, model.inputShape, 'training data', o.batch);
    labels = graph.label ? labelData(kernels, train, model.labelCount!, 'training data') : null;
  } catch (err) {
    graph.release();
    data?.free();
    throw err;
  }
  return {
    graph, data, labels, ctx: { kernels, training: true, noise: o.noiseStream }, optimizer: o.optimizer, params: model.params.trainable, noise,
    clipNorm: o.clipNorm, gradNorm: NaN,
  };
}

/**
 * One optimizer step on samples order[start .. start + n); returns the batch's mean
 * objective. When stepDivergence(plan, value) is not null the step applied no update.
 */
export function trainStep(plan: StepPlan, order: Uint32Array, start: number, n: number): number {
  const { graph, ctx, data } = plan;
  data.gather(order, start, n, graph.target.offset);
  plan.labels?.gather(order, start, n, graph.label!.offset);
  if (plan.noise) addInputNoise(ctx.kernels, graph.target.offset, graph.input.offset, n * data.size, plan.noise, ctx.noise);
  graph.forward(ctx, n);
  const value = graph.loss(n);
  if (!Number.isFinite(value)) return value;
  graph.backward(ctx, n);
  if (plan.clipNorm !== undefined) {
    plan.gradNorm = clipGlobalNorm(ctx.kernels, plan.params, plan.clipNorm);
    if (!Number.isFinite(plan.gradNorm)) return value;
  }
  plan.optimizer.step(ctx.kernels, plan.params);
  graph.commitState(ctx);
  return value;
}

/** What made the step that returned `loss` stop short of its update, or null when it did not. */
export function stepDivergence(plan: StepPlan, loss: number): DivergedQuantity | null {
  if (!Number.isFinite(loss)) return 'loss';
  if (plan.clipNorm !== undefined && !Number.isFinite(plan.gradNorm)) return 'gradient norm';
  return null;
}

/** Frees the plan's graph and data. */
export function releaseStep(plan: StepPlan): void {
  plan.graph.release();
  plan.data.free();
  plan.labels?.free();
}

/**
 * A data set's labels as one-hot rows [n, classes] for a graph that reads "label", written
 * into each batch with the samples' order (LabelStream: validated first, no heap of its own).
 */
export function labelData(kernels: Kernels, ds: Dataset, classes: number, what: string): BatchData {
  return new LabelStream(kernels, ds.labels, ds.n, classes, what);
}
