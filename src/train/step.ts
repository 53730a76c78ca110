// One training step, the trainer's and the benchmark's alike: gather a batch from the data
// set uploaded into the heap, add input noise when denoising, forward, loss, backward and
// the optimizer update. Everything a step touches is planned by planStep, so trainStep
// allocates nothing on the heap and creates no JS objects.

import type { Dataset } from '../data/dataset.js';
import type { RandomStream } from '../random/streams.js';
import type { Param, RunContext } from '../nn/layer.js';
import type { LossKind } from '../nn/losses.js';
import type { Autoencoder } from '../models/autoencoder.js';
import type { ModelGraph } from '../models/graph.js';
import { DeviceData } from './device-data.js';
import { addInputNoise } from './noise.js';
import type { Optimizer } from './optimizers.js';

export interface StepOptions {
  /** The largest batch a step takes. */
  batch: number;
  loss: LossKind;
  l1?: number;
  beta?: number;
  /** Stddev of the Gaussian input noise (0: none). */
  noise: number;
  optimizer: Optimizer;
  /** Draws the input noise (and a VAE's eps). */
  noiseStream: RandomStream;
}

/** A compiled training graph with its data and optimizer: what trainStep runs on. */
export interface StepPlan {
  readonly graph: ModelGraph;
  readonly data: DeviceData;
  readonly ctx: RunContext;
  readonly optimizer: Optimizer;
  readonly params: readonly Param[];
  readonly noise: number;
}

/** Reserves the optimizer's slots, compiles the training graph and uploads `train`. */
export function planStep(model: Autoencoder, train: Dataset, o: StepOptions): StepPlan {
  const kernels = model.kernels;
  model.params.ensureTraining(o.optimizer.slots);
  const graph = model.compile({ batch: o.batch, training: true, loss: o.loss, l1: o.l1, beta: o.beta, separateInput: o.noise > 0 });
  const data = new DeviceData(kernels, train, model.inputShape, 'training data');
  return { graph, data, ctx: { kernels, training: true, noise: o.noiseStream }, optimizer: o.optimizer, params: model.params.list, noise: o.noise };
}

/** One optimizer step on samples order[start .. start + n); returns the batch's mean objective. */
export function trainStep(plan: StepPlan, order: Uint32Array, start: number, n: number): number {
  const { graph, ctx, data } = plan;
  data.gather(order, start, n, graph.target.offset);
  if (plan.noise > 0) addInputNoise(ctx.kernels, graph.target.offset, graph.input.offset, n * data.size, plan.noise, ctx.noise);
  graph.forward(ctx, n);
  const value = graph.loss(n);
  graph.backward(ctx, n);
  plan.optimizer.step(ctx.kernels, plan.params);
  return value;
}

/** Frees the plan's graph and data. */
export function releaseStep(plan: StepPlan): void {
  plan.graph.release();
  plan.data.free();
}
