// BatchNormalization kernels (assembly/batchnorm.ts) over x [rows, cols]:
// 1. WASM vs the JS spec on rows and columns 1, primes, below / at / above the SIMD width
//    and the 64-row block, misaligned offsets, with and without gamma / beta, guarded
//    (runGuarded also fails if a kernel writes outside its outputs).
// 2. The backward kernels against central differences of the training forward (batch
//    statistics, then normalize) on the JS spec in float64: d_input, d_gamma, d_beta.
// 3. A hand-computed 2 x 3 case of Keras' formula, and the moving-statistics update.
// Tolerances in units of U32 = 2^-24, computed per element from the magnitudes involved.
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { U32, centralDiff, expectClose, expectWithin, get, kernelBackends, put, runGuarded, uniform } from '../helpers.js';

const { wasm, js, js64 } = await kernelBackends();

const SHAPES: [rows: number, cols: number][] = [
  [1, 1], [2, 3], [3, 4], [5, 7], [4, 8], [17, 9], [63, 5], [64, 16], [65, 13], [130, 3], [257, 33],
];
const EPS = Math.fround(1e-3);

/** x with a per-column offset and spread, so the mean matters and columns differ. */
function columns(rows: number, cols: number, seed: number): Float64Array {
  const v = uniform(rows * cols, seed, -1, 1);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * (1 + (i % cols) * 0.3) + ((i % cols) - cols / 2) * 0.7;
  return v;
}

interface Stats {
  mean: Float64Array;
  variance: Float64Array;
}

/** Column mean and biased variance in float64 (the test's own reference). */
function stats(x: ArrayLike<number>, rows: number, cols: number): Stats {
  const mean = new Float64Array(cols);
  const variance = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) mean[c] = mean[c]! + x[r * cols + c]! / rows;
    for (let r = 0; r < rows; r++) variance[c] = variance[c]! + (x[r * cols + c]! - mean[c]!) ** 2 / rows;
  }
  return { mean, variance };
}

function parity(label: string, tensors: Float64Array[], outs: number[], call: (k: Kernels, o: number[]) => void, tols: (want: Float64Array[]) => Float64Array[], shift: number): void {
  const w = runGuarded(wasm, tensors, outs, (o) => call(wasm, o), { shift, label });
  const j = runGuarded(js, tensors, outs, (o) => call(js, o), { shift, label });
  const t = tols(j.outs);
  j.outs.forEach((want, i) => expectWithin(w.outs[i]!, want, t[i]!, `${label} output ${i}`));
}

const nan = (n: number): Float64Array => new Float64Array(n).fill(NaN);
const f32a = (v: ArrayLike<number>): Float64Array => Float64Array.from(Float32Array.from(v));

describe('batch norm kernels: WASM vs the JS spec', () => {
  for (const [rows, cols] of SHAPES) {
    for (const shift of rows === 17 ? [0, 1, 2, 3] : [0]) {
      const x = f32a(columns(rows, cols, rows * 7 + cols));
      const dy = f32a(uniform(rows * cols, rows + cols * 3, -1, 1));
      const gamma = f32a(uniform(cols, cols + 5, 0.5, 1.5));
      const beta = f32a(uniform(cols, cols + 6, -0.5, 0.5));
      const ref = stats(x, rows, cols);
      const mean = f32a(ref.mean);
      const variance = f32a(ref.variance);
      const tag = `${rows}x${cols} shift ${shift}`;

      it(`batchNormStats ${tag}: mean and biased variance, within 2 U32`, () => {
        parity(`stats ${tag}`, [x, nan(cols), nan(cols)], [1, 2], (k, o) => k.batchNormStats(o[0]!, o[1]!, o[2]!, rows, cols),
          (want) => want.map((v) => v.map((e) => 2 * U32 * Math.abs(e) + 1e-30)), shift);
      });

      it(`batchNormMovingUpdate ${tag}: one rounding per element on both`, () => {
        const mm = f32a(uniform(cols, 3, -1, 1));
        const mv = f32a(uniform(cols, 4, 0.5, 2));
        const momentum = Math.fround(0.99);
        parity(`moving ${tag}`, [mean, variance, mm, mv], [2, 3], (k, o) => k.batchNormMovingUpdate(o[0]!, o[1]!, o[2]!, o[3]!, cols, momentum),
          (want) => want.map((v) => v.map((e) => U32 * Math.abs(e) + 1e-30)), shift);
      });

      for (const affine of [true, false]) {
        const g = (o: number[], i: number) => (affine ? o[i]! : -1);
        const scale = (c: number) => (affine ? gamma[c]! : 1) / Math.sqrt(variance[c]! + EPS);
        it(`batchNormForward ${tag}${affine ? '' : ' (no gamma, no beta)'}: within 8 U32 of |x - mean| s + |beta|`, () => {
          parity(`forward ${tag}`, [x, mean, variance, gamma, beta, nan(rows * cols)], [5],
            (k, o) => k.batchNormForward(o[0]!, o[1]!, o[2]!, g(o, 3), g(o, 4), o[5]!, rows, cols, EPS),
            () => [x.map((v, i) => 8 * U32 * (Math.abs(v - mean[i % cols]!) * scale(i % cols) + (affine ? Math.abs(beta[i % cols]!) : 0)) + 1e-30)], shift);
        });

        it(`batchNormBackward + BackwardInput ${tag}${affine ? '' : ' (no gamma)'}`, () => {
          const xhat = x.map((v, i) => (v - mean[i % cols]!) / Math.sqrt(variance[i % cols]! + EPS));
          const absG = new Float64Array(cols);
          const absB = new Float64Array(cols);
          dy.forEach((d, i) => {
            absG[i % cols] = absG[i % cols]! + Math.abs(d * xhat[i]!);
            absB[i % cols] = absB[i % cols]! + Math.abs(d);
          });
          parity(`backward ${tag}`, [x, dy, mean, variance, nan(cols), nan(cols)], [4, 5],
            (k, o) => k.batchNormBackward(o[0]!, o[1]!, o[2]!, o[3]!, o[4]!, o[5]!, rows, cols, EPS),
            () => [absG.map((a) => 8 * U32 * a + 1e-30), absB.map((a) => U32 * a + 1e-30)], shift);
          // The input gradient from sums both backends share (the spec's, rounded to float32).
          const sums = runGuarded(js, [x, dy, mean, variance, nan(cols), nan(cols)], [4, 5], (o) => js.batchNormBackward(o[0]!, o[1]!, o[2]!, o[3]!, o[4]!, o[5]!, rows, cols, EPS)).outs;
          const [dg, db] = [sums[0]!, sums[1]!];
          parity(`backward input ${tag}`, [x, dy, mean, variance, gamma, dg, db, nan(rows * cols)], [7],
            (k, o) => k.batchNormBackwardInput(o[0]!, o[1]!, o[2]!, o[3]!, g(o, 4), o[5]!, o[6]!, o[7]!, rows, cols, rows, EPS),
            () => [x.map((_, i) => {
              const c = i % cols;
              return 10 * U32 * scale(c) * (Math.abs(dy[i]!) + Math.abs(db[c]!) / rows + Math.abs(xhat[i]! * dg[c]!) / rows) + 1e-30;
            })], shift);
        });
      }
    }
  }
});

/** Training forward on js64 (stats, then normalize) from fresh tensors; returns y. */
function trainForward(k: Kernels, x: Float64Array, gamma: Float64Array, beta: Float64Array, rows: number, cols: number): { y: Float64Array } {
  const xo = put(k, x);
  const go = put(k, gamma);
  const bo = put(k, beta);
  const mo = put(k, new Float64Array(cols));
  const vo = put(k, new Float64Array(cols));
  const yo = put(k, new Float64Array(rows * cols));
  k.batchNormStats(xo, mo, vo, rows, cols);
  k.batchNormForward(xo, mo, vo, go, bo, yo, rows, cols, EPS);
  const y = get(k, yo, rows * cols);
  for (const o of [yo, vo, mo, bo, go, xo]) k.heap.free(o);
  return { y };
}

describe('batch norm backward vs central differences (JS spec, float64, batch statistics)', () => {
  for (const [rows, cols] of [[2, 3], [5, 4], [7, 1], [3, 6]] as const) {
    it(`${rows}x${cols}: d_input, d_gamma, d_beta of L = sum(w y)`, () => {
      const x = columns(rows, cols, 40 + rows);
      const gamma = uniform(cols, 41, 0.5, 1.5);
      const beta = uniform(cols, 42, -0.5, 0.5);
      const w = uniform(rows * cols, 43, -1, 1);
      const loss = (inputs: Float64Array[]): number => {
        const { y } = trainForward(js64, inputs[0]!, inputs[1]!, inputs[2]!, rows, cols);
        return y.reduce((s, v, i) => s + v * w[i]!, 0);
      };
      const inputs = [x, gamma, beta];
      const k = js64;
      const xo = put(k, x);
      const go = put(k, gamma);
      const mo = put(k, new Float64Array(cols));
      const vo = put(k, new Float64Array(cols));
      const dyo = put(k, w);
      const dgo = put(k, new Float64Array(cols));
      const dbo = put(k, new Float64Array(cols));
      const dxo = put(k, new Float64Array(rows * cols));
      k.batchNormStats(xo, mo, vo, rows, cols);
      k.batchNormBackward(xo, dyo, mo, vo, dgo, dbo, rows, cols, EPS);
      k.batchNormBackwardInput(xo, dyo, mo, vo, go, dgo, dbo, dxo, rows, cols, rows, EPS);
      const analytic = [get(k, dxo, rows * cols), get(k, dgo, cols), get(k, dbo, cols)];
      for (let i = 0; i < 3; i++) {
        const numeric = centralDiff(inputs, i, loss, 1e-6);
        expectClose(analytic[i]!, numeric, 1e-7, 1e-6, `${rows}x${cols} gradient ${['d_input', 'd_gamma', 'd_beta'][i]}`);
      }
      // The input gradient sums to zero over each column (y is invariant to shifting a column).
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += analytic[0]![r * cols + c]!;
        expect(Math.abs(s)).toBeLessThan(1e-12);
      }
    });
  }
});

describe("Keras' formula by hand", () => {
  it('2 x 3: batch mean, biased variance, epsilon 1e-3, gamma / beta, and the moving update with momentum 0.99', () => {
    // x columns: [1, 3], [2, 6], [-1, -1] -> mean [2, 4, -1], biased variance [1, 4, 0].
    const x = [1, 2, -1, 3, 6, -1];
    const gamma = [2, 1, 1];
    const beta = [0.5, 0, 3];
    for (const k of [wasm, js, js64]) {
      const xo = put(k, x);
      const mo = put(k, [0, 0, 0]);
      const vo = put(k, [0, 0, 0]);
      const go = put(k, gamma);
      const bo = put(k, beta);
      const yo = put(k, new Float64Array(6));
      const mm = put(k, [0, 0, 0]);
      const mv = put(k, [1, 1, 1]);
      k.batchNormStats(xo, mo, vo, 2, 3);
      expect(Array.from(get(k, mo, 3)), k.build).toEqual([2, 4, -1]);
      expect(Array.from(get(k, vo, 3)), k.build).toEqual([1, 4, 0]);
      k.batchNormForward(xo, mo, vo, go, bo, yo, 2, 3, EPS);
      // y = (x - mean) / sqrt(var + 0.001) * gamma + beta
      const s0 = 1 / Math.sqrt(1.001);
      const s1 = 1 / Math.sqrt(4.001);
      const want = [-2 * s0 + 0.5, -2 * s1, 3, 2 * s0 + 0.5, 2 * s1, 3];
      expectClose(get(k, yo, 6), want, 1e-6, 1e-6, `${k.build} y`);
      k.batchNormMovingUpdate(mo, vo, mm, mv, 3, Math.fround(0.99));
      // moving = moving * 0.99 + batch * 0.01 (biased variance: 4, not 8)
      expectClose(get(k, mm, 3), [0.02, 0.04, -0.01], 1e-8, 1e-6, `${k.build} moving mean`);
      expectClose(get(k, mv, 3), [1, 0.99 + 0.04, 0.99], 1e-8, 1e-6, `${k.build} moving variance`);
      for (const o of [mv, mm, yo, bo, go, vo, mo, xo]) k.heap.free(o);
    }
  });
});
