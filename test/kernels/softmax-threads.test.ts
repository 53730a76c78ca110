// Softmax and the fused sparse cross-entropy on the thread pool: split by rows, the
// per-row losses, the gradient, the probabilities and the mean (summed in row order on
// the calling thread) are the same bits on 1 and on 2 threads, and the calls really split.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { labelElements, sparseCrossEntropy, sparseCrossEntropyLoss, writeLabels } from '../../src/kernels/labels.js';
import type { ThreadedKernels } from '../../src/kernels/threads/pool.js';
import { uniform } from '../helpers.js';
import { threadPair } from './thread-pair.js';

let one: Kernels;
let two: ThreadedKernels & Kernels;

beforeAll(async () => {
  ({ one, two } = await threadPair());
});

afterAll(() => two?.dispose());

/** Every output's bits, and the two means, for one shape. */
function run(k: Kernels, rows: number, cols: number): unknown[] {
  const put = (v: ArrayLike<number>) => {
    const o = k.heap.alloc(v.length);
    k.heap.write(o, v);
    return o;
  };
  const xs = uniform(rows * cols, rows + cols, -10, 10);
  if (rows === 1031) xs[5 * cols + 1] = NaN; // a NaN row stays in its row (and makes the mean NaN)
  const x = put(xs);
  const labels = k.heap.alloc(labelElements(k.heap, rows));
  writeLabels(k.heap, labels, Array.from(uniform(rows, 3, 0, cols), Math.floor), cols);
  const loss = k.heap.alloc(rows);
  const dx = k.heap.alloc(rows * cols);
  const y = k.heap.alloc(rows * cols);
  const t = { logits: x, labels, loss, dlogits: dx };
  const mean = sparseCrossEntropy(k, t, rows, cols, 0.5);
  const lossBits = Buffer.from(k.heap.read(loss, rows).buffer).toString('base64');
  const meanOnly = sparseCrossEntropyLoss(k, t, rows, cols);
  k.softmaxForward(x, y, rows, cols);
  const out = [mean, meanOnly, lossBits, ...[[dx, rows * cols], [y, rows * cols], [loss, rows]].map(([o, n]) => Buffer.from(k.heap.read(o!, n!).buffer).toString('base64'))];
  for (const o of [y, dx, loss, labels, x]) k.heap.free(o);
  return out;
}

describe('softmax kernels: 1 thread vs 2 threads, bit for bit', () => {
  // Each share at least the rows split's 8,192 elements: 10 classes at 2,063 rows (odd
  // share sizes), 37 classes, and 1,000 classes at 64 rows.
  it.each([[2063, 10], [1031, 37], [64, 1000]])('rows %i, classes %i', (rows, cols) => {
    const jobs = two.jobs;
    const a = run(one, rows, cols);
    const b = run(two, rows, cols);
    expect(b).toEqual(a);
    expect(Number.isNaN(a[0])).toBe(rows === 1031);
    expect(Number.isNaN(a[1])).toBe(rows === 1031);
    // The fused kernel, the loss-only kernel and the softmax went to the pool.
    expect(two.jobs).toBeGreaterThanOrEqual(jobs + 3);
  });

  it('a batch too small to split runs on the calling thread with the same result', () => {
    const jobs = two.jobs;
    expect(run(two, 256, 10)).toEqual(run(one, 256, 10));
    expect(two.jobs).toBe(jobs);
  });
});
