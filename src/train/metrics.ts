// Classification metrics: argmax predictions, accuracy, per-class accuracy and the
// confusion matrix, from scores [rows, classes] (logits or probabilities: the argmax is
// the same) in host arrays or in a kernels heap, accumulated batch by batch.
// A row whose scores hold a NaN has no prediction: it counts against accuracy (and its
// class's accuracy) and is tallied apart, never as a guess of class 0.

import { ArgumentError, ShapeError } from '../errors.js';
import type { Heap } from '../kernels/heap.js';
import { checkLabels } from '../kernels/labels.js';

/** Predicted class of each row: the first maximum, or -1 for a row holding a NaN. */
export function argmaxRows(scores: ArrayLike<number>, rows: number, classes: number): Int32Array {
  if (scores.length < rows * classes) throw new ShapeError(`argmaxRows: expected ${rows} x ${classes} = ${rows * classes} scores, found ${scores.length}`);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let m = scores[r * classes]!;
    for (let c = 1; c < classes && !Number.isNaN(m); c++) {
      const v = scores[r * classes + c]!;
      if (v > m || Number.isNaN(v)) {
        m = v;
        best = c;
      }
    }
    out[r] = Number.isNaN(m) ? -1 : best;
  }
  return out;
}

/** Counts of a classifier's outcomes; rows true class, columns predicted class. */
export interface ConfusionMatrix {
  readonly classes: number;
  /** counts[t * classes + p]: samples of true class t predicted as p. */
  readonly counts: Float64Array;
  /** noPrediction[t]: samples of true class t whose scores held a NaN. */
  readonly noPrediction: Float64Array;
}

/** Accumulates a confusion matrix over batches. */
export class Confusion implements ConfusionMatrix {
  readonly counts: Float64Array;
  readonly noPrediction: Float64Array;

  constructor(readonly classes: number) {
    if (!Number.isInteger(classes) || classes < 1) throw new ArgumentError(`Confusion: expected a positive integer number of classes, found ${classes}`);
    this.counts = new Float64Array(classes * classes);
    this.noPrediction = new Float64Array(classes);
  }

  /** Adds predicted classes (-1: none) against true labels. */
  addPredictions(predicted: ArrayLike<number>, labels: ArrayLike<number>): void {
    const k = this.classes;
    if (predicted.length !== labels.length) throw new ShapeError(`Confusion: ${predicted.length} predictions for ${labels.length} labels`);
    checkLabels(labels, k, 'Confusion');
    // Everything is checked before anything is counted: a failed call leaves the counts as they were.
    for (let r = 0; r < labels.length; r++) {
      const p = predicted[r]!;
      if (!(p === -1 || (Number.isInteger(p) && p >= 0 && p < k))) {
        throw new ArgumentError(`Confusion: prediction at row ${r} is ${p}, expected a class index in [0, ${k}) or -1`);
      }
    }
    for (let r = 0; r < labels.length; r++) {
      const p = predicted[r]!;
      if (p === -1) this.noPrediction[labels[r]!]! += 1;
      else this.counts[labels[r]! * k + p]! += 1;
    }
  }

  /** Adds the argmax of scores [labels.length, classes] against the labels. */
  addScores(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
    this.addPredictions(argmaxRows(scores, labels.length, this.classes), labels);
  }

  /** As addScores, the scores read in place from a heap at element offset `offset`. */
  addHeap(heap: Heap, offset: number, labels: ArrayLike<number>): void {
    const n = labels.length * this.classes;
    if (!Number.isInteger(offset) || offset < 0 || offset + n > heap.capacity) {
      throw new ShapeError(`Confusion: ${labels.length} x ${this.classes} scores at heap offset ${offset} pass the heap's end (${heap.capacity} elements)`);
    }
    this.addScores(heap.data.subarray(offset, offset + n), labels);
  }

  /** Samples counted so far. */
  get total(): number {
    return sum(this.counts) + sum(this.noPrediction);
  }
}

function sum(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s;
}

/** Share of samples predicted right (NaN rows count wrong); NaN before any sample. */
export function accuracy(cm: ConfusionMatrix): number {
  let right = 0;
  for (let c = 0; c < cm.classes; c++) right += cm.counts[c * cm.classes + c]!;
  return right / (sum(cm.counts) + sum(cm.noPrediction));
}

/** Each class's recall (right / its samples), null for a class with no samples. */
export function perClassAccuracy(cm: ConfusionMatrix): (number | null)[] {
  const k = cm.classes;
  return Array.from({ length: k }, (_, t) => {
    const support = sum(cm.counts.subarray(t * k, (t + 1) * k)) + cm.noPrediction[t]!;
    return support > 0 ? cm.counts[t * k + t]! / support : null;
  });
}

/** The metrics as plain JSON values: accuracy, per_class_accuracy, confusion (rows true), no_prediction. */
export function classificationReport(cm: ConfusionMatrix): {
  accuracy: number | null; per_class_accuracy: (number | null)[]; confusion: number[][]; no_prediction: number[];
} {
  const a = accuracy(cm);
  const k = cm.classes;
  return {
    accuracy: Number.isNaN(a) ? null : a,
    per_class_accuracy: perClassAccuracy(cm),
    confusion: Array.from({ length: k }, (_, t) => Array.from(cm.counts.subarray(t * k, (t + 1) * k))),
    no_prediction: Array.from(cm.noPrediction),
  };
}
