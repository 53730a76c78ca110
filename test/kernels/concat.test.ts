// Concatenate along the last axis (assembly/concat.ts): each input x_i [rows, c_i] is a
// column block of y [rows, Σ c_i]. A copy is exact, so WASM and the JS spec must agree
// bit for bit: guarded runs (nothing outside the block changes, y's other columns
// included) on block widths 1, 3, 4, 5, 8, 10, 13 at every column offset, rows 1 to 9,
// misaligned tensors; the backward overwriting and accumulating; a forward of k inputs
// followed by the backward gives the inputs back.
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { expectExact, get, kernelBackends, put, runGuarded, uniform } from '../helpers.js';

const { wasm, js } = await kernelBackends();
const BACKENDS: Kernels[] = [wasm, js];

// Blocks [cols, yCols, col]: first, middle, last, the whole row; widths around the SIMD width.
const BLOCKS = [
  [1, 1, 0], [1, 11, 10], [3, 13, 5], [4, 4, 0], [4, 10, 3], [5, 13, 8], [8, 17, 1], [10, 794, 784], [13, 13, 0], [784, 794, 0],
];
const CASES = [1, 2, 9].flatMap((rows) => BLOCKS.map(([cols, yCols, col]) => ({ rows, cols: cols!, yCols: yCols!, col: col! })));

describe('concat kernels: WASM = JS spec, guarded', () => {
  it.each(CASES)('concatForward rows=$rows cols=$cols into [$yCols] at $col', ({ rows, cols, yCols, col }) => {
    const x = uniform(rows * cols, cols * 3 + rows, -2, 2);
    const y0 = uniform(rows * yCols, yCols, 5, 6);
    for (const shift of cols === 5 ? [0, 1, 2, 3] : [(col + 1) % 4]) {
      const [w, j] = BACKENDS.map((k) => runGuarded(k, [x, y0], [1], (o) => k.concatForward(o[0]!, o[1]!, rows, cols, yCols, col), { shift, label: 'concat' }).outs[0]!);
      expectExact(w!, j!, 'y wasm vs spec');
      const want = Float64Array.from(Float32Array.from(y0));
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[r * yCols + col + c] = Math.fround(x[r * cols + c]!);
      expectExact(w!, want, 'y');
    }
  });

  it.each(CASES)('concatBackward rows=$rows cols=$cols from [$yCols] at $col, overwrite and accumulate', ({ rows, cols, yCols, col }) => {
    const dy = uniform(rows * yCols, yCols + 1, -1, 1);
    const dx0 = uniform(rows * cols, cols + 2, -1, 1);
    for (const accumulate of [0, 1]) {
      const [w, j] = BACKENDS.map((k) =>
        runGuarded(k, [dy, dx0], [1], (o) => k.concatBackward(o[0]!, o[1]!, rows, cols, yCols, col, accumulate), { shift: col % 4, label: 'dconcat' }).outs[0]!);
      expectExact(w!, j!, 'dx wasm vs spec');
      const want = Float64Array.from({ length: rows * cols }, (_, i) => {
        const g = Math.fround(dy[Math.floor(i / cols) * yCols + col + (i % cols)]!);
        return accumulate ? Math.fround(Math.fround(dx0[i]!) + g) : g;
      });
      expectExact(w!, want, `dx accumulate=${accumulate}`);
    }
  });

  it('overwrite ignores NaN already in dx; accumulate adds to it', () => {
    for (const k of BACKENDS) {
      const [over] = runGuarded(k, [Float64Array.of(1, 2, 3), Float64Array.of(NaN, NaN)], [1], (o) => k.concatBackward(o[0]!, o[1]!, 1, 2, 3, 1, 0)).outs;
      expect(Array.from(over!)).toEqual([2, 3]);
      const [acc] = runGuarded(k, [Float64Array.of(1, 2, 3), Float64Array.of(10, NaN)], [1], (o) => k.concatBackward(o[0]!, o[1]!, 1, 2, 3, 1, 1)).outs;
      expect(Array.from(acc!)).toEqual([12, NaN]);
    }
  });

  it('forward of inputs [5, 10, 3, 1, 8] then backward returns each input; accumulating twice doubles', () => {
    const rows = 7;
    const widths = [5, 10, 3, 1, 8];
    const total = widths.reduce((a, b) => a + b, 0);
    for (const k of BACKENDS) {
      const inputs = widths.map((c, i) => uniform(rows * c, 40 + i));
      const xs = inputs.map((v) => put(k, v));
      const y = k.heap.alloc(rows * total);
      let col = 0;
      widths.forEach((c, i) => {
        k.concatForward(xs[i]!, y, rows, c, total, col);
        col += c;
      });
      const g = k.heap.allocZeroed(rows * 10);
      col = 0;
      widths.forEach((c, i) => {
        const d = k.heap.alloc(rows * c);
        k.concatBackward(y, d, rows, c, total, col, 0);
        expectExact(get(k, d, rows * c), Float32Array.from(inputs[i]!), `${k.build} input ${i}`);
        if (c === 10) {
          k.concatBackward(y, g, rows, c, total, col, 1);
          k.concatBackward(y, g, rows, c, total, col, 1);
          expectExact(get(k, g, rows * c), Float32Array.from(inputs[i]!, (v) => 2 * Math.fround(v)), `${k.build} accumulated`);
        }
        k.heap.free(d);
        col += c;
      });
      for (const o of [g, y, ...xs.reverse()]) k.heap.free(o);
    }
  });
});
