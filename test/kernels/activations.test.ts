// The activations elu, selu, gelu (exact and tanh form), softplus and silu / swish
// (assembly/vmath.ts, assembly/elementwise.ts) on the WASM build under test (both builds
// run this file, see vitest.config.ts):
// 1. Max error against float64 over a dense grid of float32 inputs in [-20, 20] plus
//    magnitudes up to 3e38, forward and backward. The bounds asserted here are the errors
//    documented in assembly/vmath.ts; u = 2^-24.
// 2. Parity with the JS spec through biasActForward (bias, any cols, misaligned, in place)
//    and actBackward (random dy, in place), guarded.
// 3. Edge cases: ±0, NaN in and out, softplus at ±100 and 1e30, gelu's tails, Keras'
//    documented values; a value gets the same bits in a SIMD body, a scalar tail and on
//    either of two threads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Act, actBackwardReadsInput, type Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import type { ThreadedKernels } from '../../src/kernels/threads/pool.js';
import { U32, expectBitIdentical, expectWithin, f32, kernelBackends, runGuarded, uniform } from '../helpers.js';

const { wasm, js, js64 } = await kernelBackends();

interface ActCase {
  name: string;
  act: number;
  alpha: number;
  /** Forward error bound against float64 at float32 input x, expected e. */
  fwdTol: (x: number, e: number) => number;
  /** Backward (slope) error bound against float64 of the same saved value, expected slope e. */
  bwdTol: (e: number) => number;
}

const DENORMAL = 2 ** -149;
const FLT_MIN = 2 ** -126;
/** v of the tanh form, whose rounding sets gelu_approximate's error in the lower tail. */
const geluV = (x: number): number => Math.abs(1.5957691216 * (x + 0.044715 * x * x * x));

// Measured maxima on the grid (both builds give the same bits), in u:
//   elu 1.5 rel, selu 2.7 rel, softplus 3.5 rel, silu 2.8 rel; gelu 4 rel for x > -3, growing
//   as ~2x^2 u in the lower tail (312u at x = -12.6, where gelu = -2.6e-35) because exp(-x^2/2)
//   amplifies the rounding of x^2; gelu_approximate likewise ~2.5 |v| u (212u at x = -9.8).
//   Slopes: elu 0.8u rel; selu 1.1u of scale * alpha absolute (y + scale alpha cancels as
//   y -> -scale alpha); softplus 1.5u rel; gelu, gelu_approximate, silu 3.3u absolute (their
//   slopes cross 0, where only an absolute bound means anything).
const CASES: ActCase[] = [
  { name: 'elu', act: Act.elu, alpha: 1, fwdTol: (_x, e) => 3 * U32 * Math.abs(e) + DENORMAL, bwdTol: (e) => 2 * U32 * Math.abs(e) + 2 * U32 },
  { name: 'elu alpha 0.5', act: Act.elu, alpha: 0.5, fwdTol: (_x, e) => 3 * U32 * Math.abs(e) + DENORMAL, bwdTol: (e) => 2 * U32 * Math.abs(e) + 2 * U32 },
  { name: 'selu', act: Act.selu, alpha: 0, fwdTol: (_x, e) => 4 * U32 * Math.abs(e) + DENORMAL, bwdTol: (e) => 2 * U32 * Math.abs(e) + 4 * U32 },
  { name: 'softplus', act: Act.softplus, alpha: 0, fwdTol: (_x, e) => 5 * U32 * Math.abs(e) + DENORMAL, bwdTol: (e) => 3 * U32 * Math.abs(e) + DENORMAL },
  { name: 'silu', act: Act.silu, alpha: 0, fwdTol: (x, e) => 4 * U32 * Math.abs(e) + (Math.abs(x) + 1) * DENORMAL, bwdTol: (e) => 2 * U32 * Math.abs(e) + 5 * U32 },
  { name: 'gelu', act: Act.gelu, alpha: 0, fwdTol: (x, e) => (8 + 3 * x * x) * U32 * Math.abs(e) + (Math.abs(x) + 1) * DENORMAL, bwdTol: (e) => 2 * U32 * Math.abs(e) + 5 * U32 },
  {
    name: 'gelu_approximate', act: Act.geluTanh, alpha: 0,
    fwdTol: (x, e) => (6 + 4 * geluV(x)) * U32 * Math.abs(e) + (Math.abs(x) + 1) * DENORMAL, bwdTol: (e) => 2 * U32 * Math.abs(e) + 5 * U32,
  },
];

/** Every float32 step of 1/4096 in [-20, 20], then large and tiny magnitudes. */
function grid(): Float64Array {
  const v: number[] = [];
  for (let i = -20 * 4096; i <= 20 * 4096; i++) v.push(i / 4096);
  for (const m of [1e-30, 1e-8, 1e-3, 30, 50, 88, 89, 100, 1e3, 1e4, 1e6, 1e12, 1e20, 1e30, 3e38]) v.push(m, -m);
  return f32(v);
}

const GRID = grid();

/** act applied elementwise to xs (no bias), as one flat call. */
function forward(kernels: Kernels, act: number, alpha: number, xs: Float64Array): Float64Array {
  const x = kernels.heap.alloc(xs.length);
  const y = kernels.heap.alloc(xs.length);
  kernels.heap.write(x, xs);
  kernels.biasActForward(x, -1, y, 1, xs.length, act, alpha);
  const out = Float64Array.from(kernels.heap.data.subarray(y, y + xs.length));
  kernels.heap.free(x);
  kernels.heap.free(y);
  return out;
}

/** dy act'(.) from the saved values s (y, or x for the input-reading codes). */
function backward(kernels: Kernels, act: number, alpha: number, s: Float64Array, dys: Float64Array): Float64Array {
  const n = s.length;
  const [a, b, c] = [kernels.heap.alloc(n), kernels.heap.alloc(n), kernels.heap.alloc(n)];
  kernels.heap.write(a, s);
  kernels.heap.write(b, dys);
  kernels.actBackward(a, b, c, n, act, alpha);
  const out = Float64Array.from(kernels.heap.data.subarray(c, c + n));
  for (const o of [a, b, c]) kernels.heap.free(o);
  return out;
}

/** What actBackward reads for act, as the forward on this backend left it. */
const saved = (act: number, x: Float64Array, y: Float64Array): Float64Array => (actBackwardReadsInput(act) ? x : y);

describe('new activations: max error against float64 on a dense grid', () => {
  it.each(CASES)('$name forward', ({ act, alpha, fwdTol }) => {
    const w = forward(wasm, act, alpha, GRID);
    const e = forward(js64, act, alpha, GRID);
    expectWithin(w, e, e.map((v, i) => fwdTol(GRID[i]!, v)), 'forward');
  });

  it.each(CASES)('$name backward (from what the layer saves)', ({ act, alpha, bwdTol }) => {
    // The slope of the saved value WASM's forward produced: the backward kernel's own error.
    const s = saved(act, GRID, forward(wasm, act, alpha, GRID));
    const ones = new Float64Array(s.length).fill(1);
    const w = backward(wasm, act, alpha, s, ones);
    const e = backward(js64, act, alpha, s, ones);
    expectWithin(w, e, e.map(bwdTol), 'backward');
  });

  it('the float64 spec itself: exact gelu at Keras-documented points, silu = swish, selu = scale elu', () => {
    // keras.activations.gelu docs (TensorFlow float32 printouts, 8 digits). TF computes
    // 0.5 x (1 + erf(x / sqrt 2)) in float32, whose 1 + erf rounds at 2^-24: its values are
    // off by up to |x| 2^-24 (gelu(-3) = -0.0040496960 exactly, printed -0.00404951).
    const x = [-3, -1, 0, 1, 3];
    const exact = [-0.00404951, -0.15865529, 0, 0.8413447, 2.9959507];
    const approx = [-0.00363752, -0.15880796, 0, 0.841192, 2.9963627];
    const tol = (v: number, i: number): number => 4 * U32 * Math.abs(x[i]!) + 1e-8 + 2e-8 * Math.abs(v);
    for (const kernels of [wasm, js64]) {
      expectWithin(forward(kernels, Act.gelu, 0, Float64Array.from(x)), exact, exact.map(tol), `${kernels.build} gelu`);
      expectWithin(forward(kernels, Act.geluTanh, 0, Float64Array.from(x)), approx, approx.map(tol), `${kernels.build} gelu tanh`);
    }
    expect(forward(js64, Act.gelu, 0, Float64Array.from([-3]))[0]).toBeCloseTo(-3 * 0.0013498980316301035, 15);
    // erf(1/sqrt 2) and the lower tail from Python's math.erfc: Phi(-10) = 7.619853024160527e-24.
    expect(forward(js64, Act.gelu, 0, Float64Array.from([-10]))[0]! / (-10 * 7.619853024160527e-24)).toBeCloseTo(1, 13);
    const sel = forward(js64, Act.selu, 0, Float64Array.from([-1, 2]));
    expect(sel[0]).toBeCloseTo(1.05070098 * 1.67326324 * Math.expm1(-1), 15);
    expect(sel[1]).toBeCloseTo(2 * 1.05070098, 15);
  });
});

// ---- parity through the kernels the layers call ------------------------------------------

/** [-4, 4] with zeros and ±1, and in the last row saturating magnitudes. */
function inputs(rows: number, cols: number, seed: number): Float64Array {
  const v = uniform(rows * cols, seed, -4, 4);
  const specials = [0, -0, 1, -1, 0.5];
  for (let i = 3; i < v.length; i += 5) v[i] = specials[(i / 5) % specials.length | 0]!;
  if (rows > 2) {
    const big = [-100, 30, -30, 90, -90, 15, -15, 0];
    for (let j = 0; j < cols; j++) v[(rows - 1) * cols + j] = big[j % big.length]!;
  }
  return v;
}

describe('new activations: WASM vs JS spec through biasActForward / actBackward, guarded', () => {
  const COLS = [1, 2, 3, 4, 5, 8, 13];
  it.each(CASES)('$name biasActForward, bias and none, rows 1..6, cols 1..13, misaligned', ({ act, alpha, fwdTol }) => {
    for (const withBias of [true, false]) {
      for (const cols of COLS) {
        for (let rows = 1; rows <= 6; rows++) {
          const x = inputs(rows, cols, 10 * rows + cols);
          const bias = uniform(cols, 300 + cols, -1, 1);
          const shift = (rows + cols) % 4;
          const label = `act=${act} bias=${withBias} rows=${rows} cols=${cols} shift=${shift}`;
          const call = (k: Kernels) => (o: number[]) => k.biasActForward(o[0]!, withBias ? o[1]! : -1, o[2]!, rows, cols, act, alpha);
          const w = runGuarded(wasm, [x, bias, new Float64Array(rows * cols)], [2], call(wasm), { label, shift }).outs[0]!;
          const j = runGuarded(js, [x, bias, new Float64Array(rows * cols)], [2], call(js), { label, shift }).outs[0]!;
          // WASM rounds x + b first; the spec adds exactly: bound at the rounded sum, plus the
          // slope times that rounding (|act'| <= 1.1 for all of these), plus the spec's own rounding.
          const xr = f32(x);
          const br = f32(bias);
          const tol = j.map((e, i) => {
            const v = xr[i]! + (withBias ? br[i % cols]! : 0);
            return 2 * fwdTol(v, e) + 2.2 * U32 * Math.abs(v) + U32 * Math.abs(e);
          });
          expectWithin(w, j, tol, label);
        }
      }
    }
  });

  it.each(CASES)('$name biasActForward in place (y === x)', ({ act, alpha, fwdTol }) => {
    const rows = 6;
    const cols = 5;
    const x = inputs(rows, cols, 77);
    const call = (k: Kernels) => (o: number[]) => k.biasActForward(o[0]!, -1, o[0]!, rows, cols, act, alpha);
    const w = runGuarded(wasm, [x], [0], call(wasm), { shift: 1 }).outs[0]!;
    const j = runGuarded(js, [x], [0], call(js), { shift: 1 }).outs[0]!;
    const xr = f32(x);
    expectWithin(w, j, j.map((e, i) => 2 * fwdTol(xr[i]!, e) + U32 * Math.abs(e)), 'in place');
  });

  it.each(CASES)('$name actBackward, n 1..33, random dy, and in place', ({ act, alpha, bwdTol }) => {
    for (let n = 1; n <= 33; n += n < 9 ? 1 : 8) {
      const x = f32(inputs(1, n, 500 + n));
      const s = saved(act, x, forward(js, act, alpha, x));
      const dy = uniform(n, 600 + n, -2, 2);
      const dyr = f32(dy);
      for (const inPlace of [false, true]) {
        const label = `act=${act} n=${n} inPlace=${inPlace}`;
        const outIndex = inPlace ? 1 : 2;
        const call = (k: Kernels) => (o: number[]) => k.actBackward(o[0]!, o[1]!, o[outIndex]!, n, act, alpha);
        const tensors = inPlace ? [s, dy] : [s, dy, new Float64Array(n)];
        const w = runGuarded(wasm, tensors, [outIndex], call(wasm), { label, shift: n % 4 }).outs[0]!;
        const j = runGuarded(js, tensors, [outIndex], call(js), { label, shift: n % 4 }).outs[0]!;
        const slope = backward(js64, act, alpha, s, new Float64Array(n).fill(1));
        // The slope's bound times |dy|, the product's rounding (u) and the spec's (u).
        expectWithin(w, j, j.map((e, i) => Math.abs(dyr[i]!) * bwdTol(slope[i]!) + 2 * U32 * Math.abs(e)), label);
      }
    }
  });
});

// ---- edge cases ----------------------------------------------------------------------------

describe('new activations: edge cases', () => {
  it.each(CASES)('$name: NaN in gives NaN out, forward and backward, in body and tail', ({ act, alpha }) => {
    for (const k of [wasm, js]) {
      const x = Float64Array.from([NaN, 1, NaN, -1, 2, NaN, 0]);
      const y = forward(k, act, alpha, x);
      expect([0, 2, 5].map((i) => Number.isNaN(y[i]!)), `${k.build} forward`).toEqual([true, true, true]);
      expect([1, 3, 4, 6].some((i) => Number.isNaN(y[i]!)), `${k.build} forward of numbers`).toBe(false);
      const g = backward(k, act, alpha, saved(act, x, y), new Float64Array(7).fill(1));
      expect([0, 2, 5].map((i) => Number.isNaN(g[i]!)), `${k.build} backward`).toEqual([true, true, true]);
      expect([1, 3, 4, 6].some((i) => Number.isNaN(g[i]!)), `${k.build} backward of numbers`).toBe(false);
    }
  });

  it.each(CASES)('$name: ±0 map to act(0) and finite inputs never give NaN', ({ act, alpha }) => {
    const x = f32([0, -0, 1e30, -1e30, 1e20, -1e20, 100, -100]);
    const atZero = act === Act.softplus ? Math.fround(Math.LN2) : 0;
    for (const k of [wasm, js]) {
      const y = forward(k, act, alpha, x);
      expect(Math.abs(y[0]! - atZero)).toBe(0);
      expect(Math.abs(y[1]! - atZero)).toBe(0);
      for (const v of y) expect(Number.isNaN(v), `${k.build} ${[...y]}`).toBe(false);
      const g = backward(k, act, alpha, saved(act, x, y), new Float64Array(x.length).fill(1));
      for (const v of g) expect(Number.isFinite(v), `${k.build} slopes ${[...g]}`).toBe(true);
    }
  });

  it('softplus does not overflow: softplus(100) = 100, softplus(1e30) = 1e30, softplus(-100) = e^-100', () => {
    for (const k of [wasm, js]) {
      const y = forward(k, Act.softplus, 0, f32([100, 1e30, -100, 88.8, 0]));
      expect(y[0]).toBe(100);
      expect(y[1]).toBe(Math.fround(1e30));
      // e^-100 = 3.72e-44 is a float32 denormal: within one denormal step.
      expect(Math.abs(y[2]! - Math.exp(-100))).toBeLessThanOrEqual(2 ** -149);
      expect(y[3]).toBeCloseTo(88.8, 4);
      expect(y[4]).toBeCloseTo(Math.LN2, 7);
      // slope from y: sigmoid(100) = 1, sigmoid(-100) ~ e^-100 (y alone carries it).
      const g = backward(k, Act.softplus, 0, y, new Float64Array(5).fill(1));
      expect(g[0]).toBe(1);
      expect(g[2]).toBeLessThan(1e-40);
      expect(g[4]).toBeCloseTo(0.5, 7);
    }
  });

  it('gelu tails: relative accuracy deep in the lower tail (no 1 + erf cancellation), x above 6 maps to x', () => {
    // The tanh form falls faster (e^(-0.07 |x|^3)): gelu_approximate(-9.5) = -1.4e-33 is its last normal value here.
    for (const [act, name, x] of [[Act.gelu, 'exact', f32([-5, -8, -10, -12, 6, 10, 1e6])], [Act.geluTanh, 'tanh', f32([-4, -6, -8, -9.5, 6, 10, 1e6])]] as const) {
      const w = forward(wasm, act, 0, x);
      const e = forward(js64, act, 0, x);
      for (let i = 0; i < 4; i++) {
        expect(w[i]!, `${name} gelu(${x[i]})`).toBeLessThan(0);
        expect(Math.abs(w[i]! / e[i]! - 1), `${name} gelu(${x[i]}) = ${w[i]} vs ${e[i]}`).toBeLessThan(2e-5);
      }
      expect([...w.slice(4)]).toEqual([...x.slice(4)]);
    }
    // gelu(-10) = -10 Phi(-10) = -7.62e-23 (Python math.erfc); the tanh form is smaller there.
    expect(forward(wasm, Act.gelu, 0, f32([-10]))[0]! / -7.619853024160527e-23).toBeCloseTo(1, 5);
  });

  it('elu and selu saturate at -alpha and -scale alpha; their slopes go to 0', () => {
    const x = f32([-30, -100, -1e30]);
    const elu = forward(wasm, Act.elu, 0.5, x);
    for (const v of elu) expect(v).toBe(-0.5);
    const selu = forward(wasm, Act.selu, 0, x);
    for (const v of selu) expect(v).toBeCloseTo(-1.05070098 * 1.67326324, 6);
    for (const v of backward(wasm, Act.elu, 0.5, elu, Float64Array.from([1, 1, 1]))) expect(Math.abs(v)).toBeLessThanOrEqual(3e-8);
    for (const v of backward(wasm, Act.selu, 0, selu, Float64Array.from([1, 1, 1]))) expect(Math.abs(v)).toBeLessThanOrEqual(2.4e-7);
  });
});

// ---- same bits in a SIMD body, a scalar tail, and on any thread ------------------------------

describe('new activations: a value gets the same bits wherever it is computed', () => {
  let two: (ThreadedKernels & Kernels) | null = null;
  const relaxed = !process.env['AE_WASM_BUILD']?.startsWith('kernels.wasm');

  beforeAll(async () => {
    two = (await createKernels({ threads: 2, build: relaxed ? 'kernels-relaxed-threads.wasm' : 'kernels-threads.wasm' })) as ThreadedKernels & Kernels;
  });
  afterAll(() => two?.dispose());

  it.each(CASES)('$name: body vs tail (n = 4k + 3 shifted by one)', ({ act, alpha }) => {
    // Every value once in lanes of a vector body and once in the scalar tail.
    const base = f32(inputs(1, 4000, 900));
    for (const shift of [1, 2, 3]) {
      const a = forward(wasm, act, alpha, base);
      const b = forward(wasm, act, alpha, base.subarray(4000 - shift));
      expectBitIdentical(b, a.subarray(4000 - shift), `forward tail shift ${shift}`);
      const c = forward(wasm, act, alpha, Float64Array.from([...base.subarray(0, 4), ...base.subarray(4000 - shift)]));
      expectBitIdentical(c.subarray(4), a.subarray(4000 - shift), `forward body/tail shift ${shift}`);
    }
    const s = saved(act, base, forward(wasm, act, alpha, base));
    const dy = f32(uniform(4000, 901));
    const g = backward(wasm, act, alpha, s, dy);
    const tail = backward(wasm, act, alpha, s.subarray(3997), dy.subarray(3997));
    expectBitIdentical(tail, g.subarray(3997), 'backward tail');
  });

  it.each(CASES)('$name: 1 thread vs 2 threads, bit for bit (split by rows and by elements)', ({ act, alpha }) => {
    const rows = 1001;
    const cols = 199; // odd: row shares end in scalar tails
    const x = f32(uniform(rows * cols, 902, -6, 6));
    const bias = f32(uniform(cols, 903));
    const run = (k: Kernels): [Float64Array, Float64Array] => {
      const [xo, bo, yo, dyo, dxo] = [x, bias, x, x, x].map((v) => {
        const o = k.heap.alloc(v.length);
        k.heap.write(o, v);
        return o;
      }) as [number, number, number, number, number];
      const n = rows * cols;
      k.biasActForward(xo, bo, yo, rows, cols, act, alpha);
      k.actBackward(actBackwardReadsInput(act) ? xo : yo, dyo, dxo, n, act, alpha);
      const out: [Float64Array, Float64Array] = [Float64Array.from(k.heap.data.subarray(yo, yo + n)), Float64Array.from(k.heap.data.subarray(dxo, dxo + n))];
      for (const o of [xo, bo, yo, dyo, dxo]) k.heap.free(o);
      return out;
    };
    const one = run(wasm);
    const jobs = two!.jobs;
    const split = run(two!);
    expect(two!.jobs).toBeGreaterThan(jobs);
    expectBitIdentical(split[0], one[0], 'biasActForward');
    expectBitIdentical(split[1], one[1], 'actBackward');
  });
});
