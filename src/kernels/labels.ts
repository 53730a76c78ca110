// Integer class labels in the heap, and the checked entry points of the classification
// kernels. Labels are an int32 array of class indices: label r is the int32 at byte
// address offset * heap.bytesPerElement + 4 r, so on a Float32 heap (WASM, the JS
// baseline) it takes one element a row and moves with the rows when a call is split; a
// Float64 heap (gradient checks) packs two labels an element. The kernels never index
// with a label outside [0, classes) (they write NaN for its row); these wrappers reject
// one first, naming the row and the value.

import { ArgumentError, DataError } from '../errors.js';
import type { Heap } from './heap.js';
import type { Kernels } from './kernels.js';

/** Elements to allocate for `rows` int32 labels on `heap`. */
export function labelElements(heap: Heap, rows: number): number {
  return Math.ceil((rows * 4) / heap.bytesPerElement);
}

/** A live Int32Array over `rows` labels at element offset `offset` (re-make after any alloc). */
export function labelView(heap: Heap, offset: number, rows: number): Int32Array {
  const d = heap.data;
  return new Int32Array(d.buffer, d.byteOffset + offset * heap.bytesPerElement, rows);
}

function checkShape(rows: number, classes: number, where: string): void {
  if (!Number.isInteger(rows) || rows < 1) throw new ArgumentError(`${where}: expected a positive integer number of rows, found ${rows}`);
  if (!Number.isInteger(classes) || classes < 1 || classes > 0x7fffffff) {
    throw new ArgumentError(`${where}: expected a positive integer number of classes, found ${classes}`);
  }
}

/** Throws a DataError naming the first label that is not an integer in [0, classes). */
export function checkLabels(labels: ArrayLike<number>, classes: number, where = 'labels'): void {
  for (let r = 0; r < labels.length; r++) {
    const v = labels[r]!;
    if (!(Number.isInteger(v) && v >= 0 && v < classes)) {
      throw new DataError(`${where}: label at row ${r} is ${v}, expected an integer class index in [0, ${classes})`);
    }
  }
}

/** Checks `labels` against `classes`, then writes them as int32 at element offset `offset`. */
export function writeLabels(heap: Heap, offset: number, labels: ArrayLike<number>, classes: number, where = 'labels'): void {
  checkShape(Math.max(labels.length, 1), classes, where);
  checkLabels(labels, classes, where);
  labelView(heap, offset, labels.length).set(labels);
}

/** A copy of `rows` labels at element offset `offset`. */
export function readLabels(heap: Heap, offset: number, rows: number): Int32Array {
  return labelView(heap, offset, rows).slice();
}

/** Tensors of a sparse categorical cross-entropy call: element offsets into the kernels' heap. */
export interface CrossEntropyTensors {
  /** Logits [rows, classes]. */
  logits: number;
  /** rows int32 class indices (labelElements elements). */
  labels: number;
  /** rows floats: each row's loss. */
  loss: number;
}

/**
 * Keras' SparseCategoricalCrossentropy(from_logits=True) with its mean over the batch:
 * checks the labels in the heap, overwrites `loss` with the per-row losses and `dlogits`
 * with weight * (softmax - onehot) / rows (dlogits may equal logits), and returns
 * the unweighted mean loss, the per-row losses summed in row order in float64 (the same
 * bits for any thread count).
 */
export function sparseCrossEntropy(k: Kernels, t: CrossEntropyTensors & { dlogits: number }, rows: number, classes: number, weight = 1): number {
  checkShape(rows, classes, 'sparse categorical cross-entropy');
  checkLabels(labelView(k.heap, t.labels, rows), classes, 'sparse categorical cross-entropy');
  k.softmaxCrossEntropy(t.logits, t.labels, t.loss, t.dlogits, rows, classes, weight / rows);
  return k.sum(t.loss, rows) / rows;
}

/** The mean loss only (evaluation): as sparseCrossEntropy, without a gradient; logits are only read. */
export function sparseCrossEntropyLoss(k: Kernels, t: CrossEntropyTensors, rows: number, classes: number): number {
  checkShape(rows, classes, 'sparse categorical cross-entropy');
  checkLabels(labelView(k.heap, t.labels, rows), classes, 'sparse categorical cross-entropy');
  k.softmaxCrossEntropyForward(t.logits, t.labels, t.loss, rows, classes);
  return k.sum(t.loss, rows) / rows;
}
