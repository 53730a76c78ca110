// BatchNormalization on the thread pool: the whole training forward and backward (batch
// statistics and column sums on the calling thread; normalize and input gradient split by
// rows) gives the same bits on 1 and on 2 threads, and the row passes are really split.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import type { ThreadedKernels } from '../../src/kernels/threads/pool.js';
import { uniform } from '../helpers.js';
import { threadPair } from './thread-pair.js';

let one: Kernels;
let two: ThreadedKernels & Kernels;

beforeAll(async () => {
  ({ one, two } = await threadPair());
});

afterAll(() => two?.dispose());

/** Stats, moving update, forward, backward sums and input gradient; every output's bits. */
function run(k: Kernels, rows: number, cols: number): string[] {
  const put = (v: ArrayLike<number>) => {
    const o = k.heap.alloc(v.length);
    k.heap.write(o, v);
    return o;
  };
  const x = put(uniform(rows * cols, rows, -2, 3));
  const dy = put(uniform(rows * cols, cols, -1, 1));
  const gamma = put(uniform(cols, 5, 0.5, 1.5));
  const beta = put(uniform(cols, 6, -0.5, 0.5));
  const stats = k.heap.allocZeroed(4 * cols);
  const moving = put([...new Array<number>(cols).fill(0), ...new Array<number>(cols).fill(1)]);
  const y = k.heap.allocZeroed(rows * cols);
  const dx = k.heap.allocZeroed(rows * cols);
  const eps = Math.fround(1e-3);
  k.batchNormStats(x, stats, stats + cols, rows, cols);
  k.batchNormMovingUpdate(stats, stats + cols, moving, moving + cols, cols, Math.fround(0.99));
  k.batchNormForward(x, stats, stats + cols, gamma, beta, y, rows, cols, eps);
  k.batchNormBackward(x, dy, stats, stats + cols, stats + 2 * cols, stats + 3 * cols, rows, cols, eps);
  k.batchNormBackwardInput(x, dy, stats, stats + cols, gamma, stats + 2 * cols, stats + 3 * cols, dx, rows, cols, rows, eps);
  const out = [[stats, 4 * cols], [moving, 2 * cols], [y, rows * cols], [dx, rows * cols]].map(([o, n]) => Buffer.from(k.heap.read(o!, n!).buffer).toString('base64'));
  for (const o of [dx, y, moving, stats, beta, gamma, dy, x]) k.heap.free(o);
  return out;
}

describe('batch norm kernels: 1 thread vs 2 threads, bit for bit', () => {
  // The conv preset's channels after its first layer at batch 48; a dense layer at batch
  // 256; odd sizes whose row shares are not multiples of the 64-row block (each share at least
  // the row split's 32,768 elements).
  it.each([[48 * 14 * 14, 16], [256, 256], [2063, 37]])('rows %i, cols %i', (rows, cols) => {
    const jobs = two.jobs;
    const a = run(one, rows, cols);
    const b = run(two, rows, cols);
    expect(b).toEqual(a);
    // The forward and the input gradient went to the pool.
    expect(two.jobs).toBeGreaterThanOrEqual(jobs + 2);
  });
});
