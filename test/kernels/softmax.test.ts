// Softmax and sparse categorical cross-entropy from logits (assembly/softmax.ts) over
// x [rows, cols] with int32 labels:
// 1. WASM vs the JS spec, guarded (nothing outside the outputs changes), on cols 1, 2, 3,
//    around the SIMD width, 10 and 37 (not a multiple of 4), rows 1 to 17, misaligned
//    offsets; the fused kernel also with dx aliasing x.
// 2. Both builds against the exact value (float64 from the same float32 logits) on
//    logits 1e4 apart, huge negative, equal, and the largest float32 logits.
// 3. NaN logits give a NaN loss and gradient for their row only; a label outside
//    [0, cols) reaching the kernel gives NaN and touches nothing else; the TypeScript
//    wrappers reject it first with a DataError naming the row and the value.
// 4. The gradient against central differences of the summed loss (JS spec, float64).
// Tolerances in units of U32 = 2^-24, computed per element from the row's magnitudes.
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import type { HeapDtype } from '../../src/kernels/heap.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import {
  labelElements, labelView, readLabels, sparseCrossEntropy, sparseCrossEntropyLoss, writeLabels,
} from '../../src/kernels/labels.js';
import { U32, centralDiff, expectClose, expectWithin, f32, get, kernelBackends, put, runGuarded, uniform } from '../helpers.js';

const { wasm, js, js64 } = await kernelBackends();

const COLS = [1, 2, 3, 4, 5, 7, 8, 9, 10, 13, 37];
const SHAPES = [1, 2, 3, 17].flatMap((rows) => COLS.map((cols) => ({ rows, cols })));
const nan = (n: number): Float64Array => new Float64Array(n).fill(NaN);

/** Heap cells whose bytes are the int32 labels (packed: one a cell on f32, two on f64). */
function labelCells(labels: readonly number[], dtype: HeapDtype): Float64Array {
  const ints = Int32Array.from(dtype === 'f32' ? labels : [...labels, ...(labels.length % 2 ? [0] : [])]);
  return Float64Array.from(dtype === 'f32' ? new Float32Array(ints.buffer) : new Float64Array(ints.buffer));
}

/** Seeded labels in [0, cols). */
function labelsFor(rows: number, cols: number, seed: number): number[] {
  return Array.from(uniform(rows, seed, 0, cols), (v) => Math.min(cols - 1, Math.floor(v)));
}

/** Logits in [-8, 8] with some rows shifted far (the max subtraction must absorb it). */
function logits(rows: number, cols: number, seed: number): Float64Array {
  const x = uniform(rows * cols, seed, -8, 8);
  for (let r = 1; r < rows; r += 3) for (let c = 0; c < cols; c++) x[r * cols + c] = x[r * cols + c]! + (r % 2 ? 60 : -75);
  return f32(x);
}

/** Float64 reference of one row: max, shifted logits, sum of exps, probabilities. */
function rowRef(x: ArrayLike<number>, r: number, cols: number) {
  let m = -Infinity;
  for (let c = 0; c < cols; c++) m = Math.max(m, x[r * cols + c]!);
  const z = Array.from({ length: cols }, (_, c) => x[r * cols + c]! - m);
  const s = z.reduce((a, v) => a + Math.exp(v), 0);
  const p = z.map((v) => Math.exp(v) / s);
  // s's relative error in units of u: each exp within 2u plus the rounding of x - m (u |z|
  // relative after exp), the lane and tail sums at most cols u.
  const e = p.reduce((a, pk, k) => a + pk * (3 + Math.abs(z[k]!)), 0) + cols;
  return { m, z, s, p, e };
}

/** Denormal exps: WASM clamps exp's argument at -104 (exp(-104) ~ 7e-46), the spec does not. */
const TINY = 1e-44;

function softmaxTol(x: ArrayLike<number>, rows: number, cols: number, scale = 1, labels?: readonly number[]): Float64Array {
  const tol = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const { z, p, e } = rowRef(x, r, cols);
    for (let c = 0; c < cols; c++) {
      // p: exp, the division (or the scale / s product) and s's error, the spec's store.
      // Doubled for second order.
      // At the label the kernels compute -o / s (o the other classes' sum): relative too.
      const g = labels !== undefined && labels[r] === c ? 1 - p[c]! : p[c]!;
      tol[r * cols + c] = Math.abs(scale) * 2 * U32 * g * (5 + Math.abs(z[c]!) + e) + TINY;
    }
  }
  return tol;
}

function lossRef(x: ArrayLike<number>, labels: readonly number[], cols: number): { want: Float64Array; tol: Float64Array } {
  const rows = labels.length;
  const want = new Float64Array(rows);
  const tol = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const { m, z, s, e } = rowRef(x, r, cols);
    const d = m - x[r * cols + labels[r]!]!;
    if (d === 0) {
      // The label holds the maximum: log1p(o), o the other classes' sum (relative error
      // e u), log1p within 3u, the spec's store u: relative throughout.
      const o = z.reduce((a, v, c) => (c === labels[r] ? a : a + Math.exp(v)), 0);
      want[r] = Math.log1p(o);
      tol[r] = 2 * U32 * (e + 4) * want[r]! + TINY;
    } else {
      want[r] = d + Math.log(s);
      // m - x[label] rounds (u |d|), log s inherits s's relative error (e u absolute) plus
      // logf's 2u |log s|, the final sum and the spec's store round (u |loss| each).
      tol[r] = 2 * U32 * (Math.abs(d) + e + 2 * Math.log(s) + 2 * Math.abs(want[r]!) + 1);
    }
  }
  return { want, tol };
}

describe('softmax: WASM vs JS spec, guarded', () => {
  it.each(SHAPES)('softmaxForward rows=$rows cols=$cols', ({ rows, cols }) => {
    const x = logits(rows, cols, rows * 31 + cols);
    for (const shift of cols === 7 ? [0, 1, 3] : [cols % 4]) {
      const call = (k: Kernels) => (o: number[]) => k.softmaxForward(o[0]!, o[1]!, rows, cols);
      const w = runGuarded(wasm, [x, nan(rows * cols)], [1], call(wasm), { shift, label: 'softmax' }).outs[0]!;
      const j = runGuarded(js, [x, nan(rows * cols)], [1], call(js), { shift, label: 'softmax' }).outs[0]!;
      expectWithin(w, j, softmaxTol(x, rows, cols), 'y');
      // Every row sums to 1 within its cols rounded probabilities.
      for (let r = 0; r < rows; r++) expect(Math.abs(w.subarray(r * cols, (r + 1) * cols).reduce((a, v) => a + v, 0) - 1)).toBeLessThan((cols + 8) * 2 * U32);
    }
  });

  it('softmaxForward in place (y = x)', () => {
    const rows = 5, cols = 13;
    const x = logits(rows, cols, 77);
    const w = runGuarded(wasm, [x], [0], (o) => wasm.softmaxForward(o[0]!, o[0]!, rows, cols)).outs[0]!;
    const j = runGuarded(js, [x], [0], (o) => js.softmaxForward(o[0]!, o[0]!, rows, cols)).outs[0]!;
    expectWithin(w, j, softmaxTol(x, rows, cols), 'y');
  });
});

describe('sparse categorical cross-entropy: WASM vs JS spec, guarded', () => {
  const scale = Math.fround(0.7 / 17);

  it.each(SHAPES)('softmaxCrossEntropy (fused) and softmaxCrossEntropyForward rows=$rows cols=$cols', ({ rows, cols }) => {
    const x = logits(rows, cols, rows * 7 + cols * 3);
    const labels = labelsFor(rows, cols, rows + cols);
    const cells = labelCells(labels, 'f32');
    const { want, tol } = lossRef(x, labels, cols);
    for (const shift of cols === 10 ? [0, 1, 2, 3] : [cols % 4]) {
      const fused = (k: Kernels) => (o: number[]) => k.softmaxCrossEntropy(o[0]!, o[1]!, o[2]!, o[3]!, rows, cols, scale);
      const tensors = [x, cells, nan(rows), nan(rows * cols)];
      const w = runGuarded(wasm, tensors, [2, 3], fused(wasm), { shift, label: 'sce' }).outs;
      const j = runGuarded(js, tensors, [2, 3], fused(js), { shift, label: 'sce' }).outs;
      expectWithin(w[0]!, j[0]!, tol, 'loss wasm vs spec');
      expectWithin(w[0]!, want, tol, 'loss wasm vs exact');
      expectWithin(w[1]!, j[1]!, softmaxTol(x, rows, cols, scale, labels), 'dx');
      // The loss-only kernel writes the same bits as the fused one.
      const only = (k: Kernels) => (o: number[]) => k.softmaxCrossEntropyForward(o[0]!, o[1]!, o[2]!, rows, cols);
      const wf = runGuarded(wasm, [x, cells, nan(rows)], [2], only(wasm), { shift, label: 'sce forward' }).outs[0]!;
      const jf = runGuarded(js, [x, cells, nan(rows)], [2], only(js), { shift, label: 'sce forward' }).outs[0]!;
      expect(Array.from(wf)).toEqual(Array.from(w[0]!));
      expect(Array.from(jf)).toEqual(Array.from(j[0]!));
    }
  });

  it('dx may alias the logits', () => {
    const rows = 3, cols = 37;
    const x = logits(rows, cols, 5);
    const labels = [36, 0, 17];
    for (const k of [wasm, js]) {
      const sep = runGuarded(k, [x, labelCells(labels, 'f32'), nan(rows), nan(rows * cols)], [2, 3], (o) => k.softmaxCrossEntropy(o[0]!, o[1]!, o[2]!, o[3]!, rows, cols, 0.5)).outs;
      const alias = runGuarded(k, [x, labelCells(labels, 'f32'), nan(rows)], [0, 2], (o) => k.softmaxCrossEntropy(o[0]!, o[1]!, o[2]!, o[0]!, rows, cols, 0.5)).outs;
      expect(Array.from(alias[0]!), k.build).toEqual(Array.from(sep[1]!));
      expect(Array.from(alias[1]!), k.build).toEqual(Array.from(sep[0]!));
    }
  });
});

describe('softmax cross-entropy: extreme logits, NaN and bad labels', () => {
  /** The fused kernel on one backend; returns [loss, dx]. */
  function fused(k: Kernels, x: ArrayLike<number>, labels: readonly number[], cols: number, scale = 1): Float64Array[] {
    const rows = labels.length;
    return runGuarded(k, [x, labelCells(labels, k.heap.dtype), nan(rows), nan(rows * cols)], [2, 3], (o) => k.softmaxCrossEntropy(o[0]!, o[1]!, o[2]!, o[3]!, rows, cols, scale)).outs;
  }

  it('logits 1e4 apart, -1e30, equal logits and the largest float32: within the exact value on both backends', () => {
    const F = 3.4028234663852886e38;
    const rows = [
      [1e4, 0, -1e4, 5, 2e4], // label 0: loss ~1e4; label 4 wins
      [-1e30, -1e30 + 1e23, 0, -3e4, 7], // huge negative next to ordinary ones
      [3, 3, 3, 3, 3], // uniform: log 5
      [F, -F, 0, F, 1], // two maxima at the float32 limit: m - x is exact, no overflow
      [-50000, -50010, -49990, -50000, -50001], // all far below 0
    ].map((r) => f32(r));
    const x = Float64Array.from(rows.flatMap((r) => [...r]));
    const labels = [0, 1, 2, 3, 0];
    const { want, tol } = lossRef(x, labels, 5);
    for (const k of [wasm, js]) {
      const [loss, dx] = fused(k, x, labels, 5);
      expectWithin(loss!, want, tol, `${k.build} loss`);
      expect(Array.from(loss!).every(Number.isFinite), k.build).toBe(true);
      expectWithin(dx!, fused(js64, x, labels, 5)[1]!, softmaxTol(x, 5, 5, 1, labels), `${k.build} dx`);
    }
    // Spot values: 2e4 - 1e4 = 1e4 (+ log(1 + e^-1e4 ...) = 0); log 5; log 2 at the limit.
    const [loss] = fused(wasm, x, labels, 5);
    expect(loss![0]).toBe(1e4);
    expect(Math.abs(loss![2]! - Math.log(5))).toBeLessThan(4 * U32);
    expect(Math.abs(loss![3]! - Math.log(2))).toBeLessThan(4 * U32);
  });

  it('confident rows: a loss of 1e-8 and its gradient keep their relative precision (log1p, -o / s)', () => {
    const cols = 10;
    const rows = 6;
    // The label leads by 18 to 25: the loss 9 exp(-margin) is 1e-10 to 1e-7, where 1 + o
    // rounds to 1 in float32 and log(s) would give 0.
    const x = new Float64Array(rows * cols);
    const labels = [0, 3, 9, 5, 7, 2];
    for (let r = 0; r < rows; r++) x[r * cols + labels[r]!] = 18 + r * 1.4;
    const { want } = lossRef(x, labels, cols);
    for (const k of [wasm, js]) {
      const [loss, dx] = fused(k, x, labels, cols);
      expectWithin(loss!, want, want.map((v) => 16 * U32 * v), `${k.build} loss`);
      const g = labels.map((l, r) => dx![r * cols + l]!);
      const gw = want.map((v) => Math.expm1(-v)); // p - 1 = exp(-loss) - 1
      expectWithin(g, gw, gw.map((v) => 16 * U32 * Math.abs(v)), `${k.build} dx at the labels`);
    }
  });

  it('NaN in a row makes that row NaN (loss and gradient) and leaves the other rows alone', () => {
    const cols = 10;
    const x = logits(4, cols, 9);
    x[1 * cols + 3] = NaN; // inside the SIMD body
    x[2 * cols + 9] = NaN; // in the scalar tail
    const labels = [1, 0, 5, 9];
    for (const k of [wasm, js]) {
      const [loss, dx] = fused(k, x, labels, cols);
      expect(Number.isNaN(loss![1]) && Number.isNaN(loss![2]), k.build).toBe(true);
      expect(Number.isFinite(loss![0]) && Number.isFinite(loss![3]), k.build).toBe(true);
      expect(dx!.subarray(cols, 3 * cols).every(Number.isNaN), k.build).toBe(true);
      expect(dx!.subarray(0, cols).every(Number.isFinite) && dx!.subarray(3 * cols).every(Number.isFinite), k.build).toBe(true);
      const [sm] = runGuarded(k, [x, nan(4 * cols)], [1], (o) => k.softmaxForward(o[0]!, o[1]!, 4, cols)).outs;
      expect(sm!.subarray(cols, 3 * cols).every(Number.isNaN) && sm!.subarray(0, cols).every(Number.isFinite), k.build).toBe(true);
    }
  });

  it('+Infinity and all -Infinity logits give NaN on both backends, as in float64', () => {
    const x = Float64Array.of(Infinity, 0, 1, -Infinity, -Infinity, -Infinity, 0, -Infinity, 2);
    const labels = [1, 0, 2];
    const [lw] = fused(wasm, x, labels, 3);
    const [lj] = fused(js, x, labels, 3);
    expect(Number.isNaN(lw![0]) && Number.isNaN(lw![1])).toBe(true);
    expect(Number.isNaN(lj![0]) && Number.isNaN(lj![1])).toBe(true);
    // A -Infinity next to finite logits is just a probability of 0.
    expect(Math.abs(lw![2]! - Math.log(1 + Math.exp(-2)))).toBeLessThan(4 * U32);
    expect(lj![2]).toBeCloseTo(Math.log(1 + Math.exp(-2)), 6);
  });

  it('a label outside [0, cols) reaching the kernel: NaN for its row, nothing read or written beyond', () => {
    const cols = 5;
    const x = logits(3, cols, 3);
    // 2^30's int32 bits are the float 2.0: a far address the kernel must not form.
    for (const bad of [5, 1000, 2 ** 30]) {
      for (const k of [wasm, js]) {
        const [loss, dx] = fused(k, x, [0, bad, 4], cols);
        expect(Number.isNaN(loss![1]) && dx!.subarray(cols, 2 * cols).every(Number.isNaN), `${k.build} label ${bad}`).toBe(true);
        expect(Number.isFinite(loss![0]) && Number.isFinite(loss![2]), `${k.build} label ${bad}`).toBe(true);
      }
    }
    // Negative labels (their bits are float NaNs, so written as int32 directly).
    for (const k of [wasm, js]) {
      const xo = put(k, x);
      const lo = k.heap.alloc(labelElements(k.heap, 3));
      labelView(k.heap, lo, 3).set([-1, 2, -2147483648]);
      const out = k.heap.alloc(3 + 3 * cols);
      k.softmaxCrossEntropy(xo, lo, out, out + 3, 3, cols, 1);
      const loss = get(k, out, 3);
      expect([Number.isNaN(loss[0]), Number.isFinite(loss[1]), Number.isNaN(loss[2])], k.build).toEqual([true, true, true]);
      for (const o of [out, lo, xo]) k.heap.free(o);
    }
  });

  it('the checked wrappers reject a bad label with a DataError naming the row and the value', () => {
    for (const k of [wasm, js, js64]) {
      const rows = 4, cols = 3;
      const lo = k.heap.alloc(labelElements(k.heap, rows));
      expect(() => writeLabels(k.heap, lo, [0, 2, 3, 1], cols)).toThrow(DataError);
      expect(() => writeLabels(k.heap, lo, [0, 2, 3, 1], cols)).toThrow('label at row 2 is 3, expected an integer class index in [0, 3)');
      expect(() => writeLabels(k.heap, lo, [0, 1.5], cols)).toThrow('label at row 1 is 1.5');
      expect(() => writeLabels(k.heap, lo, [-1], cols)).toThrow('label at row 0 is -1');
      expect(() => writeLabels(k.heap, lo, [NaN], cols)).toThrow('label at row 0 is NaN');
      writeLabels(k.heap, lo, [2, 0, 1, 2], cols);
      expect(Array.from(readLabels(k.heap, lo, rows))).toEqual([2, 0, 1, 2]);
      // A bad label already in the heap (written around the checks) is caught before the kernel.
      labelView(k.heap, lo, rows)[3] = 7;
      const x = put(k, uniform(rows * cols, 1));
      const out = k.heap.alloc(rows + rows * cols);
      const t = { logits: x, labels: lo, loss: out, dlogits: out + rows };
      expect(() => sparseCrossEntropy(k, t, rows, cols)).toThrow('sparse categorical cross-entropy: label at row 3 is 7');
      expect(() => sparseCrossEntropyLoss(k, t, rows, cols)).toThrow(DataError);
      for (const o of [out, x, lo]) k.heap.free(o);
    }
  });

  it('sparseCrossEntropy: the mean over the batch (Keras) and the gradient weight (softmax - onehot) / rows', () => {
    const rows = 6, cols = 4;
    const xs = logits(rows, cols, 12);
    const labels = [3, 0, 1, 2, 2, 0];
    for (const k of [wasm, js]) {
      const x = put(k, xs);
      const lo = k.heap.alloc(labelElements(k.heap, rows));
      writeLabels(k.heap, lo, labels, cols);
      const out = k.heap.alloc(rows + rows * cols);
      const t = { logits: x, labels: lo, loss: out, dlogits: out + rows };
      const mean = sparseCrossEntropy(k, t, rows, cols, 2);
      const { want } = lossRef(xs, labels, cols);
      const perRow = get(k, out, rows);
      expect(mean, k.build).toBe(perRow.reduce((a, v) => a + v, 0) / rows);
      expect(Math.abs(mean - want.reduce((a, v) => a + v, 0) / rows), k.build).toBeLessThan(1e-5 * mean);
      const dx = get(k, out + rows, rows * cols);
      const ref = Float64Array.from(xs, (_, i) => {
        const r = Math.floor(i / cols);
        return (2 / rows) * (rowRef(xs, r, cols).p[i % cols]! - (labels[r] === i % cols ? 1 : 0));
      });
      expectClose(dx, ref, 1e-6, 1e-5, `${k.build} dlogits`);
      expect(sparseCrossEntropyLoss(k, t, rows, cols), k.build).toBe(mean);
      for (const o of [out, lo, x]) k.heap.free(o);
    }
  });
});

describe('softmax cross-entropy gradient vs central differences (JS spec, float64)', () => {
  // h = 1e-6: truncation h² |f'''| / 6 <= 1e-12 (softmax's third derivatives are below 1),
  // cancellation ~1e-16 |L| / h ~ 1e-9: atol 1e-7, rtol 1e-6.
  it.each([1, 2, 5, 10, 37])('dx = scale d/dx Σ loss, cols=%i', (cols) => {
    const rows = 3;
    const scale = 0.3;
    const x = uniform(rows * cols, cols, -4, 4);
    const labels = labelsFor(rows, cols, cols + 1);
    const cells = labelCells(labels, 'f64');
    const dx = runGuarded(js64, [x, cells, new Float64Array(rows), new Float64Array(rows * cols)], [2, 3], (o) =>
      js64.softmaxCrossEntropy(o[0]!, o[1]!, o[2]!, o[3]!, rows, cols, scale)).outs[1]!;
    const loss = (ins: Float64Array[]) =>
      scale * runGuarded(js64, [ins[0]!, cells, new Float64Array(rows)], [2], (o) => js64.softmaxCrossEntropyForward(o[0]!, o[1]!, o[2]!, rows, cols)).outs[0]!.reduce((a, v) => a + v, 0);
    expectClose(dx, centralDiff([x], 0, loss), 1e-7, 1e-6, 'dx');
    if (cols === 1) expect(dx.every((v) => v === 0)).toBe(true);
    // The packed float64 labels were read as meant: the only negative entry of a row is its label's.
    else for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expect(dx[r * cols + c]! < 0, `row ${r} col ${c}`).toBe(c === labels[r]);
  });
});
