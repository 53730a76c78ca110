// The heap budget of a training run (TrainOptions.maxMemory, train's --max-memory): what
// the run will hold in WASM memory — parameters, gradients and optimizer slots, the
// training graph's activations, the batch ring (or the whole set, in-heap), the evaluation
// graph of the epoch's end, and what the runtime already holds — checked against the cap
// before anything large is allocated. The heap is then capped (Heap.maxBytes), so an
// estimate that fell short still fails while planning, never in the middle of training.
//
// Activations are measured, not modelled: a graph compiled at batch 4 and at batch 8 gives
// the fixed and the per-sample parts (every planned tensor is [batch, ...], so its size is
// linear in a batch that is a multiple of the 4-element alignment), and a batch rounded up
// to a multiple of 4 bounds any other.
import type { Dataset } from '../data/dataset.js';
import { imageSize } from '../data/dataset.js';
import { ArgumentError, HeapError } from '../errors.js';
import type { Autoencoder } from '../models/autoencoder.js';
import type { GraphOptions } from '../models/graph.js';
import type { Optimizer } from './optimizers.js';
import { streamFloats } from './stream.js';

const UNITS: Readonly<Record<string, number>> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/**
 * A size such as `512M`, `1G`, `1.5G`, `64MiB` or plain bytes (`1048576`); suffixes are
 * binary (K = 1024). Anything else is an ArgumentError naming `flag`.
 */
export function parseMemorySize(text: string, flag = 'maxMemory'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  const bytes = m ? Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!) : NaN;
  if (!m || !Number.isSafeInteger(bytes) || bytes < 1) {
    throw new ArgumentError(`${flag} must be a size such as 512M, 1G or a number of bytes, got ${JSON.stringify(text)}`);
  }
  return bytes;
}

export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Bytes a run needs in the heap, by what holds them. */
export interface MemoryNeeds {
  /** Heap in use before the run (static data, scratch, every parameter). */
  runtime: number;
  /** Gradients and optimizer slots not yet reserved. */
  optimizer: number;
  activations: number;
  /** Batch ring and level table (streamed), or the whole data set (in-heap). */
  data: number;
  /** The largest graph and data of the epoch's end (test evaluation, validation loss). */
  evaluation: number;
  total: number;
}

interface BudgetOptions {
  batch: number;
  graph: Omit<GraphOptions, 'batch'>;
  optimizer: Optimizer;
  dataInHeap: boolean;
  /** Evaluation sets and their batch sizes (test at min(256, n); validation at the training batch). */
  evaluations: { ds: Dataset; batch: number; graph: Omit<GraphOptions, 'batch'> }[];
}

function alignUp(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/** Heap bytes a graph of `options` takes at `batch` (an upper bound; see the header). */
export function graphBytes(model: Autoencoder, options: Omit<GraphOptions, 'batch'>, batch: number): number {
  const heap = model.kernels.heap;
  const at = (b: number): number => {
    const before = heap.used;
    const g = model.compile({ ...options, batch: b });
    const used = heap.used - before;
    g.release();
    return used;
  };
  const u4 = at(4);
  const per = (at(8) - u4) / 4;
  return (u4 - 4 * per + per * alignUp(batch)) * heap.bytesPerElement;
}

function dataBytes(model: Autoencoder, ds: Dataset, batch: number, inHeap: boolean): number {
  const floats = inHeap ? alignUp(Math.max(1, ds.n * imageSize(ds))) : streamFloats(ds, batch);
  return floats * model.kernels.heap.bytesPerElement;
}

/** What training `train` with `o` holds in the heap at its peak. */
export function memoryNeeds(model: Autoencoder, train: Dataset, o: BudgetOptions): MemoryNeeds {
  const heap = model.kernels.heap;
  const b = heap.bytesPerElement;
  const runtime = (heap.base + heap.used) * b;
  let optimizer = 0;
  const slots = o.optimizer.slots.length;
  for (const p of model.params.trainable) optimizer += ((p.grad < 0 ? 1 : 0) + (p.slots.size === slots ? 0 : slots)) * alignUp(p.size) * b;
  const activations = graphBytes(model, o.graph, o.batch);
  const data = dataBytes(model, train, o.batch, o.dataInHeap);
  let evaluation = 0;
  for (const e of o.evaluations) {
    if (e.ds.n === 0) continue;
    evaluation = Math.max(evaluation, graphBytes(model, e.graph, e.batch) + dataBytes(model, e.ds, e.batch, false));
  }
  return { runtime, optimizer, activations, data, evaluation, total: runtime + optimizer + activations + data + evaluation };
}

/** Throws HeapError with every part when `needs` exceed `maxBytes`. */
export function checkMemoryBudget(needs: MemoryNeeds, maxBytes: number, batch: number, dataInHeap: boolean): void {
  if (needs.total <= maxBytes) return;
  throw new HeapError(`${budgetText(needs, batch, dataInHeap)}, over the memory cap (maxMemory, --max-memory) of ${formatBytes(maxBytes)}; ` +
    'raise the cap or lower the batch size', needs.total, maxBytes, maxBytes);
}

export function budgetText(needs: MemoryNeeds, batch: number, dataInHeap: boolean): string {
  const parts = [
    `runtime and parameters ${formatBytes(needs.runtime)}`,
    `gradients and optimizer slots ${formatBytes(needs.optimizer)}`,
    `activations at batch ${batch} ${formatBytes(needs.activations)}`,
    `${dataInHeap ? 'data set in the heap' : 'batch ring'} ${formatBytes(needs.data)}`,
    `evaluation ${formatBytes(needs.evaluation)}`,
  ];
  return `training needs ${parts.join(' + ')} = ${formatBytes(needs.total)} of heap`;
}
