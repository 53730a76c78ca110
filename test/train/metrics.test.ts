// Classification metrics (src/train/metrics.ts): argmax with ties and NaN, the confusion
// matrix (rows true, columns predicted) accumulated over batches from host arrays and
// from a heap, accuracy and per-class accuracy against hand counts, and clear errors.
import { describe, expect, it } from 'vitest';
import { ArgumentError, DataError, ShapeError } from '../../src/errors.js';
import { Confusion, accuracy, argmaxRows, classificationReport, perClassAccuracy } from '../../src/train/metrics.js';
import { jsKernels, put, uniform, wasmKernels } from '../helpers.js';

describe('argmaxRows', () => {
  it('first maximum wins a tie; a NaN anywhere in a row gives -1; logits and their softmax agree', () => {
    const scores = [
      1, 5, 5, // tie: first
      -3, -1, -2,
      NaN, 9, 1, // NaN first
      0, 9, NaN, // NaN last
      -Infinity, -Infinity, -Infinity, // all -Infinity: class 0
      2, 1, 0,
    ];
    expect(Array.from(argmaxRows(scores, 6, 3))).toEqual([1, 1, -1, -1, 0, 0]);
    const x = uniform(40 * 7, 3, -5, 5);
    const probs = Float64Array.from(x, (_, i) => {
      const r = Math.floor(i / 7);
      const row = x.subarray(r * 7, r * 7 + 7);
      const m = Math.max(...row);
      return Math.exp(x[i]! - m) / row.reduce((a, v) => a + Math.exp(v - m), 0);
    });
    expect(Array.from(argmaxRows(probs, 40, 7))).toEqual(Array.from(argmaxRows(x, 40, 7)));
  });

  it('too few scores is a ShapeError', () => {
    expect(() => argmaxRows([1, 2, 3], 2, 2)).toThrow(ShapeError);
    expect(() => argmaxRows([1, 2, 3], 2, 2)).toThrow('expected 2 x 2 = 4 scores, found 3');
  });
});

describe('Confusion', () => {
  it('counts, accuracy and per-class accuracy by hand, over two batches; NaN rows count wrong', () => {
    const cm = new Confusion(3);
    // Batch 1: true 0,0,1,2 predicted 0,1,1,2 (from scores).
    cm.addScores([9, 0, 0, 0, 9, 0, 0, 9, 0, 0, 0, 9], [0, 0, 1, 2]);
    // Batch 2: true 2,2,1 predicted 0, none (NaN), 1.
    cm.addScores([9, 0, 0, NaN, 0, 0, 0, 9, 0], [2, 2, 1]);
    expect(Array.from(cm.counts)).toEqual([1, 1, 0, 0, 2, 0, 1, 0, 1]);
    expect(Array.from(cm.noPrediction)).toEqual([0, 0, 1]);
    expect(cm.total).toBe(7);
    expect(accuracy(cm)).toBe(4 / 7);
    expect(perClassAccuracy(cm)).toEqual([0.5, 1, 1 / 3]);
    expect(classificationReport(cm)).toEqual({
      accuracy: 4 / 7, per_class_accuracy: [0.5, 1, 1 / 3], confusion: [[1, 1, 0], [0, 2, 0], [1, 0, 1]], no_prediction: [0, 0, 1],
    });
  });

  it('a class without samples has null accuracy; before any sample accuracy is NaN (null in the report)', () => {
    const cm = new Confusion(4);
    expect(Number.isNaN(accuracy(cm))).toBe(true);
    expect(classificationReport(cm).accuracy).toBeNull();
    cm.addPredictions([1, 1, 3], [1, 0, 3]);
    expect(perClassAccuracy(cm)).toEqual([0, 1, null, 1]);
  });

  it('reads scores in place from the WASM and the JS heaps, the same counts as from a host array', async () => {
    const rows = 37, classes = 10;
    const x = uniform(rows * classes, 8, -3, 3);
    const labels = Array.from(uniform(rows, 9, 0, classes), Math.floor);
    const host = new Confusion(classes);
    host.addScores(Float32Array.from(x), labels);
    for (const k of [await wasmKernels(), jsKernels()]) {
      const off = put(k, x);
      const cm = new Confusion(classes);
      cm.addHeap(k.heap, off, labels);
      expect(Array.from(cm.counts), k.build).toEqual(Array.from(host.counts));
      expect(() => cm.addHeap(k.heap, k.heap.capacity - 5, labels)).toThrow(ShapeError);
      k.heap.free(off);
    }
    expect(host.total).toBe(rows);
  });

  it('bad labels, predictions and class counts are typed errors naming the row and the value', () => {
    const cm = new Confusion(3);
    expect(() => cm.addPredictions([0, 1], [0, 3])).toThrow(DataError);
    expect(() => cm.addPredictions([0, 1], [0, 3])).toThrow('Confusion: label at row 1 is 3, expected an integer class index in [0, 3)');
    expect(() => cm.addPredictions([0, 4], [0, 1])).toThrow('prediction at row 1 is 4');
    expect(() => cm.addPredictions([0], [0, 1])).toThrow(ShapeError);
    expect(() => new Confusion(0)).toThrow(ArgumentError);
    // A failed call counts nothing (everything is checked first).
    expect(cm.total).toBe(0);
  });
});
