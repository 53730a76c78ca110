// Elementwise kernels (assembly/elementwise.ts): bias + activation forward / backward,
// the bias gradient, the arithmetic ops and their gradients, row sums and sum.
// 1. WASM vs the JS spec over sizes 0, 1, primes, below / at / above the SIMD width 4,
//    misaligned offsets and aliasing (out === input), with guard cells around every
//    tensor: runGuarded also fails if a kernel touches any input or other heap memory.
// 2. Every backward kernel against central differences of its forward, on the JS spec
//    in float64.
// Tolerances are written beside each case in units of U32 = 2^-24 (float32 unit
// roundoff); "exact" means both backends round the same real number once.
import { describe, expect, it } from 'vitest';
import { Act } from '../../src/kernels/kernels.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import {
  U32, centralDiff, dot, expectClose, expectWithin, f32, kernelBackends, runGuarded, uniform,
} from '../helpers.js';

const { wasm, js, js64 } = await kernelBackends();

/** 0, 1, primes, and sizes below, at and above multiples of the SIMD width 4. */
const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 64, 97, 1031];
/** Sizes also run with tensors starting 1, 2 and 3 cells past a 16-byte boundary. */
const MISALIGNED_SIZES = [7, 17];

const nan = (n: number): Float64Array => new Float64Array(n).fill(NaN);

/** Values in [lo, hi) with a zero, a ±1 and a ±0.5 mixed in every few cells. */
function mixed(n: number, seed: number, lo = -2, hi = 2): Float64Array {
  const v = uniform(n, seed, lo, hi);
  const specials = [0, 1, -1, 0.5, -0.5, -0];
  for (let i = 3; i < n; i += 5) v[i] = specials[(i / 5) % specials.length | 0]!;
  return v;
}

/** The tolerance of one output: a number (absolute) or a function of (expected, tensors). */
type Tol = number | ((expected: Float64Array, tensors: Float64Array[]) => ArrayLike<number>);

interface Case {
  name: string;
  n: number;
  shift: number;
  tensors: Float64Array[];
  outs: number[];
  call: (kernels: Kernels, o: number[]) => unknown;
  tols: Tol[];
}

/** Runs a case on both backends (guarded) and compares every output. */
function checkParity(c: Case): void {
  const label = `${c.name} n=${c.n} shift=${c.shift}`;
  const w = runGuarded(wasm, c.tensors, c.outs, (o) => c.call(wasm, o), { shift: c.shift, label });
  const j = runGuarded(js, c.tensors, c.outs, (o) => c.call(js, o), { shift: c.shift, label });
  const rounded = c.tensors.map(f32);
  c.outs.forEach((_, i) => {
    const t = c.tols[i]!;
    const want = j.outs[i]!;
    const tol = typeof t === 'number' ? new Float64Array(want.length).fill(t) : t(want, rounded);
    expectWithin(w.outs[i]!, want, tol, `${label} output ${i}`);
  });
}

// ---- the elementwise ops ---------------------------------------------------------------

interface Op {
  name: string;
  tensors: (n: number) => Float64Array[];
  outs: number[];
  call: (kernels: Kernels, o: number[], n: number) => unknown;
  tols: Tol[];
}

const EXACT = 0;
const absArr = (f: (i: number) => number, n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.abs(f(i)));

const OPS: Op[] = [
  // Both backends store the float32 nearest 0.3.
  { name: 'fill', tensors: (n) => [nan(n)], outs: [0], call: (kernels, o, n) => kernels.fill(o[0]!, n, 0.3), tols: [EXACT] },
  { name: 'copy', tensors: (n) => [mixed(n, 1), nan(n)], outs: [1], call: (kernels, o, n) => kernels.copy(o[0]!, o[1]!, n), tols: [EXACT] },
  // One correctly rounded float32 operation per element on both backends: exact.
  { name: 'add', tensors: (n) => [mixed(n, 2), mixed(n, 3), nan(n)], outs: [2], call: (kernels, o, n) => kernels.add(o[0]!, o[1]!, o[2]!, n), tols: [EXACT] },
  { name: 'mul', tensors: (n) => [mixed(n, 4), mixed(n, 5), nan(n)], outs: [2], call: (kernels, o, n) => kernels.mul(o[0]!, o[1]!, o[2]!, n), tols: [EXACT] },
  // s = -1.5 is a float32: one rounding, exact.
  { name: 'scale by -1.5', tensors: (n) => [mixed(n, 6), nan(n)], outs: [1], call: (kernels, o, n) => kernels.scale(o[0]!, -1.5, o[1]!, n), tols: [EXACT] },
  // s = 0.1 is rounded to float32 by WASM (u) before its product rounds (u); the spec
  // rounds the exact product once (u): 3u relative.
  {
    name: 'scale by 0.1', tensors: (n) => [mixed(n, 7), nan(n)], outs: [1], call: (kernels, o, n) => kernels.scale(o[0]!, 0.1, o[1]!, n),
    tols: [(e) => absArr((i) => 3 * U32 * e[i]!, e.length)],
  },
  // y += alpha x: WASM rounds alpha (u, when not a float32), alpha x (u) and the sum (u);
  // the spec rounds the sum once (u): 2u |alpha x| + 2u |y_out|.
  ...[0.1, -1.5].map((alpha): Op => ({
    name: `axpy alpha=${alpha}`, tensors: (n) => [mixed(n, 8), mixed(n, 9)], outs: [1],
    call: (kernels, o, n) => kernels.axpy(alpha, o[0]!, o[1]!, n),
    tols: [(e, t) => absArr((i) => 2 * U32 * (Math.abs(alpha * t[0]![i]!) + Math.abs(e[i]!)), e.length)],
  })),
  // Cephes expf is within 2u of exp; the spec rounds exp once (u): 4u relative covers
  // both with margin; 2^-149 (one denormal step) for results that underflow.
  {
    name: 'exp', tensors: (n) => [expInputs(n), nan(n)], outs: [1], call: (kernels, o, n) => kernels.exp(o[0]!, o[1]!, n),
    tols: [(e) => absArr((i) => 4 * U32 * e[i]! + 2 ** -149, e.length)],
  },
  { name: 'square', tensors: (n) => [mixed(n, 10), nan(n)], outs: [1], call: (kernels, o, n) => kernels.square(o[0]!, o[1]!, n), tols: [EXACT] },
  // 2 a dy: doubling is exact, so one rounding on both backends.
  {
    name: 'squareBackward', tensors: (n) => [mixed(n, 11), mixed(n, 12), nan(n)], outs: [2],
    call: (kernels, o, n) => kernels.squareBackward(o[0]!, o[1]!, o[2]!, n), tols: [EXACT],
  },
  { name: 'abs', tensors: (n) => [mixed(n, 13), nan(n)], outs: [1], call: (kernels, o, n) => kernels.abs(o[0]!, o[1]!, n), tols: [EXACT] },
  { name: 'sign', tensors: (n) => [mixed(n, 14), nan(n)], outs: [1], call: (kernels, o, n) => kernels.sign(o[0]!, o[1]!, n), tols: [EXACT] },
  {
    name: 'absBackward', tensors: (n) => [mixed(n, 15), mixed(n, 16), nan(n)], outs: [2],
    call: (kernels, o, n) => kernels.absBackward(o[0]!, o[1]!, o[2]!, n), tols: [EXACT],
  },
  // Inputs hit lo and hi exactly (both float32) and fall on both sides of them.
  {
    name: 'clip', tensors: (n) => [clipInputs(n, 17), nan(n)], outs: [1], call: (kernels, o, n) => kernels.clip(o[0]!, -0.5, 0.75, o[1]!, n),
    tols: [EXACT],
  },
  {
    name: 'clipBackward', tensors: (n) => [clipInputs(n, 18), mixed(n, 19), nan(n)], outs: [2],
    call: (kernels, o, n) => kernels.clipBackward(o[0]!, o[1]!, o[2]!, -0.5, 0.75, n), tols: [EXACT],
  },
];

/** exp inputs: mostly [-10, 10], plus the overflow / underflow edges of float32 exp. */
function expInputs(n: number): Float64Array {
  const v = mixed(n, 20, -10, 10);
  const edges = [-1000, -104, -100, -88.5, -87.5, -87.3, 80, 88.3, 88.5, 88.7, 88.73, 89, 100, Infinity, -Infinity];
  for (let i = 1; i < n; i += 3) v[i] = edges[(i / 3) % edges.length | 0]!;
  return v;
}

function clipInputs(n: number, seed: number): Float64Array {
  const v = mixed(n, seed, -1.5, 1.5);
  for (let i = 2; i < n; i += 4) v[i] = i % 8 === 2 ? -0.5 : 0.75;
  return v;
}

function opCases(op: Op): Case[] {
  const cases: Case[] = [];
  for (const n of SIZES) cases.push({ name: op.name, n, shift: 0, tensors: op.tensors(n), outs: op.outs, call: (kernels, o) => op.call(kernels, o, n), tols: op.tols });
  for (const n of MISALIGNED_SIZES) {
    for (const shift of [1, 2, 3]) {
      cases.push({ name: op.name, n, shift, tensors: op.tensors(n), outs: op.outs, call: (kernels, o) => op.call(kernels, o, n), tols: op.tols });
    }
  }
  return cases;
}

describe('elementwise ops: WASM vs JS spec, guarded', () => {
  for (const op of OPS) {
    it.each(opCases(op))('$name n=$n shift=$shift', (c) => checkParity(c));
  }
});

// ---- aliasing: out === an input ----------------------------------------------------------

interface AliasCase {
  name: string;
  tensors: (n: number) => Float64Array[];
  /** The tensor the kernel overwrites in place. */
  out: number;
  call: (kernels: Kernels, o: number[], n: number) => unknown;
  tol: Tol;
}

const ALIASES: AliasCase[] = [
  { name: 'copy dst=src', tensors: (n) => [mixed(n, 29)], out: 0, call: (kernels, o, n) => kernels.copy(o[0]!, o[0]!, n), tol: EXACT },
  { name: 'add out=a', tensors: (n) => [mixed(n, 30), mixed(n, 31)], out: 0, call: (kernels, o, n) => kernels.add(o[0]!, o[1]!, o[0]!, n), tol: EXACT },
  { name: 'add out=b', tensors: (n) => [mixed(n, 32), mixed(n, 33)], out: 1, call: (kernels, o, n) => kernels.add(o[0]!, o[1]!, o[1]!, n), tol: EXACT },
  { name: 'add out=a=b', tensors: (n) => [mixed(n, 34)], out: 0, call: (kernels, o, n) => kernels.add(o[0]!, o[0]!, o[0]!, n), tol: EXACT },
  { name: 'mul out=a', tensors: (n) => [mixed(n, 35), mixed(n, 36)], out: 0, call: (kernels, o, n) => kernels.mul(o[0]!, o[1]!, o[0]!, n), tol: EXACT },
  { name: 'mul out=b', tensors: (n) => [mixed(n, 37), mixed(n, 38)], out: 1, call: (kernels, o, n) => kernels.mul(o[0]!, o[1]!, o[1]!, n), tol: EXACT },
  { name: 'scale out=a', tensors: (n) => [mixed(n, 39)], out: 0, call: (kernels, o, n) => kernels.scale(o[0]!, -1.5, o[0]!, n), tol: EXACT },
  // exp as above: 4u relative.
  {
    name: 'exp out=a', tensors: (n) => [mixed(n, 40, -5, 5)], out: 0, call: (kernels, o, n) => kernels.exp(o[0]!, o[0]!, n),
    tol: (e) => absArr((i) => 4 * U32 * e[i]!, e.length),
  },
  { name: 'square out=a', tensors: (n) => [mixed(n, 41)], out: 0, call: (kernels, o, n) => kernels.square(o[0]!, o[0]!, n), tol: EXACT },
  { name: 'abs out=a', tensors: (n) => [mixed(n, 42)], out: 0, call: (kernels, o, n) => kernels.abs(o[0]!, o[0]!, n), tol: EXACT },
  { name: 'sign out=a', tensors: (n) => [mixed(n, 43)], out: 0, call: (kernels, o, n) => kernels.sign(o[0]!, o[0]!, n), tol: EXACT },
  { name: 'clip out=a', tensors: (n) => [clipInputs(n, 44)], out: 0, call: (kernels, o, n) => kernels.clip(o[0]!, -0.5, 0.75, o[0]!, n), tol: EXACT },
  {
    name: 'squareBackward dx=dy', tensors: (n) => [mixed(n, 45), mixed(n, 46)], out: 1,
    call: (kernels, o, n) => kernels.squareBackward(o[0]!, o[1]!, o[1]!, n), tol: EXACT,
  },
  {
    name: 'squareBackward dx=a', tensors: (n) => [mixed(n, 47), mixed(n, 48)], out: 0,
    call: (kernels, o, n) => kernels.squareBackward(o[0]!, o[1]!, o[0]!, n), tol: EXACT,
  },
  {
    name: 'absBackward dx=dy', tensors: (n) => [mixed(n, 49), mixed(n, 50)], out: 1,
    call: (kernels, o, n) => kernels.absBackward(o[0]!, o[1]!, o[1]!, n), tol: EXACT,
  },
  {
    name: 'clipBackward dx=dy', tensors: (n) => [clipInputs(n, 51), mixed(n, 52)], out: 1,
    call: (kernels, o, n) => kernels.clipBackward(o[0]!, o[1]!, o[1]!, -0.5, 0.75, n), tol: EXACT,
  },
  {
    name: 'clipBackward dx=a', tensors: (n) => [clipInputs(n, 53), mixed(n, 54)], out: 0,
    call: (kernels, o, n) => kernels.clipBackward(o[0]!, o[1]!, o[0]!, -0.5, 0.75, n), tol: EXACT,
  },
  // actBackward dx = dy for the exact activations (relu, leaky with a float32 slope).
  {
    name: 'actBackward relu dx=dy', tensors: (n) => [relu(mixed(n, 55)), mixed(n, 56)], out: 1,
    call: (kernels, o, n) => kernels.actBackward(o[0]!, o[1]!, o[1]!, n, Act.relu, 0), tol: EXACT,
  },
  {
    name: 'actBackward leaky 0.25 dx=dy', tensors: (n) => [mixed(n, 57), mixed(n, 58)], out: 1,
    call: (kernels, o, n) => kernels.actBackward(o[0]!, o[1]!, o[1]!, n, Act.leakyRelu, 0.25), tol: EXACT,
  },
];

function relu(v: Float64Array): Float64Array {
  return v.map((x) => Math.max(x, 0));
}

describe('elementwise ops: in place (out === input)', () => {
  const cases = ALIASES.flatMap((a) => [1, 3, 4, 5, 13, 64].map((n) => ({ ...a, n })));
  it.each(cases)('$name n=$n', (c) => {
    checkParity({
      name: c.name, n: c.n, shift: 0, tensors: c.tensors(c.n), outs: [c.out], call: (kernels, o) => c.call(kernels, o, c.n), tols: [c.tol],
    });
  });
});

// ---- bias + activation --------------------------------------------------------------------

interface ActVariant {
  name: string;
  act: number;
  alpha: number;
}

const ACTS: ActVariant[] = [
  { name: 'linear', act: Act.linear, alpha: 0 },
  { name: 'relu', act: Act.relu, alpha: 0 },
  { name: 'leakyRelu 0.3', act: Act.leakyRelu, alpha: 0.3 },
  { name: 'leakyRelu 0.01', act: Act.leakyRelu, alpha: 0.01 },
  { name: 'sigmoid', act: Act.sigmoid, alpha: 0 },
  { name: 'tanh', act: Act.tanh, alpha: 0 },
  { name: 'exp', act: Act.exp, alpha: 0 },
];

/**
 * Tolerance of act(v) from WASM against the spec, with v = x + b the spec's exact input
 * (WASM rounds the sum first: relative error u in v). First-order bounds:
 *  linear, relu: one rounding of the same sum on both backends: exact.
 *  leaky: alpha rounded to float32 (u), the sum (u), the product (u), the spec (u): 4u.
 *  sigmoid: exp within 2u, 1 + e (u), the division (u), the spec (u), and the rounded v
 *    moves sigma by |v| (1 - sigma) u relative: (5 + |v|) u relative. Below v = -88.7,
 *    exp(-v) overflows float32 and WASM returns 0 for a sigma under FLT_MIN = 2^-126
 *    (the spec keeps the denormal): atol 2^-126.
 *  tanh = 1 - q with q = 2 / (exp(2v) + 1): q carries (4 + 2 |v|) u relative error,
 *    1 - q and the spec round once each: 2u |t| + q (4 + 2|v|) u absolute.
 *  exp: Cephes 2u, the spec u, the rounded v |v| u: (3 + |v|) u relative.
 * Each is doubled to cover second-order terms.
 */
function actTol(act: number, v: number, e: number): number {
  const a = Math.abs(v);
  switch (act) {
    case Act.linear:
    case Act.relu:
      return 0;
    case Act.leakyRelu:
      return 2 * 4 * U32 * Math.abs(e);
    case Act.sigmoid:
      return 2 * (5 + a) * U32 * Math.abs(e) + 2 ** -126;
    case Act.tanh:
      return 2 * U32 * (2 * Math.abs(e) + (1 - e) * (4 + 2 * a));
    default:
      return 2 * (3 + a) * U32 * Math.abs(e) + 2 ** -149;
  }
}

/** Activation inputs: [-4, 4], exact zeros, and saturating magnitudes in the last row. */
function actInputs(rows: number, cols: number, seed: number): Float64Array {
  const v = mixed(rows * cols, seed, -4, 4);
  if (rows > 2) {
    const big = [-100, 30, -30, 90, -90, 45, 0];
    for (let j = 0; j < cols; j++) v[(rows - 1) * cols + j] = big[j % big.length]!;
  }
  return v;
}

describe('biasActForward: WASM vs JS spec, guarded', () => {
  const COLS = [1, 2, 3, 4, 5, 8, 13, 64];
  const cases = ACTS.flatMap((a) => [true, false].flatMap((withBias) => COLS.map((cols) => ({ ...a, withBias, cols }))));
  it.each(cases)('$name bias=$withBias cols=$cols rows=1..7', ({ act, alpha, withBias, cols }) => {
    for (let rows = 1; rows <= 7; rows++) {
      const x = actInputs(rows, cols, 100 + rows * cols);
      const bias = uniform(cols, 200 + cols, -1, 1);
      const tensors = [x, bias, nan(rows * cols)];
      const shift = rows % 4; // tensors 0-3 cells past a 16-byte boundary
      const label = `act=${act} alpha=${alpha} bias=${withBias} rows=${rows} cols=${cols} shift=${shift}`;
      const call = (kernels: Kernels) => (o: number[]) => kernels.biasActForward(o[0]!, withBias ? o[1]! : -1, o[2]!, rows, cols, act, alpha);
      const w = runGuarded(wasm, tensors, [2], call(wasm), { label, shift }).outs[0]!;
      const j = runGuarded(js, tensors, [2], call(js), { label, shift }).outs[0]!;
      const xr = f32(x);
      const br = f32(bias);
      const tol = j.map((e, i) => actTol(act, xr[i]! + (withBias ? br[i % cols]! : 0), e));
      expectWithin(w, j, tol, label);
    }
  });

  it.each(ACTS)('$name in place (y === x), misaligned rows of 5', ({ act, alpha }) => {
    for (const shift of [0, 1, 3]) {
      const rows = 6;
      const cols = 5;
      const x = actInputs(rows, cols, 300);
      const bias = uniform(cols, 301);
      const label = `in place act=${act} shift=${shift}`;
      const call = (kernels: Kernels) => (o: number[]) => kernels.biasActForward(o[0]!, o[1]!, o[0]!, rows, cols, act, alpha);
      const w = runGuarded(wasm, [x, bias], [0], call(wasm), { label, shift }).outs[0]!;
      const j = runGuarded(js, [x, bias], [0], call(js), { label, shift }).outs[0]!;
      const xr = f32(x);
      const br = f32(bias);
      expectWithin(w, j, j.map((e, i) => actTol(act, xr[i]! + br[i % cols]!, e)), label);
    }
  });
});

/** The activation applied in float64 (the spec's formulas). */
function actF64(act: number, alpha: number, x: number): number {
  switch (act) {
    case Act.relu: return Math.max(x, 0);
    case Act.leakyRelu: return x < 0 ? alpha * x : x;
    case Act.sigmoid: return 1 / (1 + Math.exp(-x));
    case Act.tanh: return Math.tanh(x);
    case Act.exp: return Math.exp(x);
    default: return x;
  }
}

/**
 * Tolerance of dy act'(y) from WASM (first-order bounds, doubled):
 *  linear, relu, exp (dy y): one rounding on both sides: exact.
 *  leaky: alpha rounded (u), the product (u), the spec (u): 3u.
 *  sigmoid dy (y (1 - y)): three roundings and the spec's: 4u.
 *  tanh dy (1 - y²): y² rounds (u y²), 1 - y² and the product round (2u |1 - y²|), the spec
 *    (u |1 - y²|): u |dy| (y² + 3 |1 - y²|) absolute.
 */
function dactTol(act: number, y: number, dy: number, e: number): number {
  switch (act) {
    case Act.leakyRelu: return 2 * 3 * U32 * Math.abs(e);
    case Act.sigmoid: return 2 * 4 * U32 * Math.abs(e);
    case Act.tanh: return 2 * U32 * Math.abs(dy) * (y * y + 3 * Math.abs(1 - y * y));
    default: return 0;
  }
}

describe('actBackward: WASM vs JS spec, guarded', () => {
  const cases = ACTS.flatMap((a) => SIZES.map((n) => ({ ...a, n })));
  it.each(cases)('$name n=$n', ({ act, alpha, n }) => {
    // y = act(x) as the forward would produce it (exact zeros included for relu).
    const y = mixed(n, 400 + n, -3, 3).map((x) => actF64(act, alpha, x));
    const dy = mixed(n, 500 + n);
    const label = `actBackward act=${act} alpha=${alpha} n=${n}`;
    for (const shift of n === 7 ? [0, 1, 2, 3] : [0]) {
      const call = (kernels: Kernels) => (o: number[]) => kernels.actBackward(o[0]!, o[1]!, o[2]!, n, act, alpha);
      const w = runGuarded(wasm, [y, dy, nan(n)], [2], call(wasm), { label, shift }).outs[0]!;
      const j = runGuarded(js, [y, dy, nan(n)], [2], call(js), { label, shift }).outs[0]!;
      const yr = f32(y);
      const dyr = f32(dy);
      expectWithin(w, j, j.map((e, i) => dactTol(act, yr[i]!, dyr[i]!, e)), label);
    }
  });

  it.each(ACTS)('$name in place (dx === dy)', ({ act, alpha }) => {
    const n = 13;
    const y = mixed(n, 600, -3, 3).map((x) => actF64(act, alpha, x));
    const dy = mixed(n, 601);
    const call = (kernels: Kernels) => (o: number[]) => kernels.actBackward(o[0]!, o[1]!, o[1]!, n, act, alpha);
    const w = runGuarded(wasm, [y, dy], [1], call(wasm)).outs[0]!;
    const j = runGuarded(js, [y, dy], [1], call(js)).outs[0]!;
    const yr = f32(y);
    const dyr = f32(dy);
    expectWithin(w, j, j.map((e, i) => dactTol(act, yr[i]!, dyr[i]!, e)), 'in place');
  });
});

// ---- reductions ----------------------------------------------------------------------------

const ROWS = [1, 2, 3, 5];
const COLS = [1, 2, 3, 4, 5, 7, 8, 13, 64, 97];
const shapes = ROWS.flatMap((rows) => COLS.map((cols) => ({ rows, cols })));

/**
 * Error bound of a float32 sum of m terms in any order: (m - 1) u Σ|terms| (Higham's
 * gamma bound), plus u |s| for the spec's single rounding: m u Σ|terms| covers both.
 */
function sumTol(m: number, absSum: number): number {
  return Math.max(m, 1) * U32 * absSum;
}

describe('biasBackward, rowSum, rowSumBackward: WASM vs JS spec, guarded', () => {
  it.each(shapes)('biasBackward rows=$rows cols=$cols', ({ rows, cols }) => {
    const dy = mixed(rows * cols, rows * 100 + cols);
    const call = (kernels: Kernels) => (o: number[]) => kernels.biasBackward(o[0]!, o[1]!, rows, cols);
    const shift = (rows + cols) % 4;
    const w = runGuarded(wasm, [dy, nan(cols)], [1], call(wasm), { shift }).outs[0]!;
    const j = runGuarded(js, [dy, nan(cols)], [1], call(js), { shift }).outs[0]!;
    const dyr = f32(dy);
    const tol = j.map((_, c) => {
      let s = 0;
      for (let r = 0; r < rows; r++) s += Math.abs(dyr[r * cols + c]!);
      return sumTol(rows, s);
    });
    expectWithin(w, j, tol, 'db');
  });

  it.each(shapes)('rowSum rows=$rows cols=$cols', ({ rows, cols }) => {
    const x = mixed(rows * cols, rows * 100 + cols + 7);
    const call = (kernels: Kernels) => (o: number[]) => kernels.rowSum(o[0]!, o[1]!, rows, cols);
    const shift = (rows + cols) % 4;
    const w = runGuarded(wasm, [x, nan(rows)], [1], call(wasm), { shift }).outs[0]!;
    const j = runGuarded(js, [x, nan(rows)], [1], call(js), { shift }).outs[0]!;
    const xr = f32(x);
    const tol = j.map((_, r) => {
      let s = 0;
      for (let c = 0; c < cols; c++) s += Math.abs(xr[r * cols + c]!);
      return sumTol(cols, s);
    });
    expectWithin(w, j, tol, 'rowSum');
  });

  it.each(shapes)('rowSumBackward rows=$rows cols=$cols (exact copies)', ({ rows, cols }) => {
    const dy = mixed(rows, rows + cols);
    const call = (kernels: Kernels) => (o: number[]) => kernels.rowSumBackward(o[0]!, o[1]!, rows, cols);
    for (const shift of [0, 1]) {
      const w = runGuarded(wasm, [dy, nan(rows * cols)], [1], call(wasm), { shift }).outs[0]!;
      const j = runGuarded(js, [dy, nan(rows * cols)], [1], call(js), { shift }).outs[0]!;
      expectClose(w, j, 0, 0, 'dx');
    }
  });

  it.each([...SIZES, 100_003])('sum n=%i: float64 left to right, so bit-identical', (n) => {
    // Values of mixed magnitude: a float32 accumulator would drift visibly from float64.
    const x = mixed(n, 700 + n).map((v, i) => v * (i % 3 === 0 ? 1e4 : 1e-3));
    const w = runGuarded(wasm, [x], [], (o) => wasm.sum(o[0]!, n)).ret;
    const j = runGuarded(js, [x], [], (o) => js.sum(o[0]!, n)).ret;
    let want = 0;
    for (const v of f32(x)) want += v;
    expect(j).toBe(want);
    expect(w).toBe(want);
  });
});

// ---- gradients: central differences in float64 on the JS spec ----------------------------

/** Runs `call` on the float64 spec and returns tensor `out` afterwards. */
function f64Out(tensors: Float64Array[], out: number, call: (o: number[]) => unknown): Float64Array {
  return runGuarded(js64, tensors, [out], call).outs[0]!;
}

// h = 1e-6 in float64: truncation error h² |f'''| / 6 ~ 1e-12, cancellation ~ 1e-16 |L| / h
// ~ 1e-9 for |L| ~ 10: atol 1e-7, rtol 1e-6.
const FD_ATOL = 1e-7;
const FD_RTOL = 1e-6;

/** n values in [-2, 2] at least `gap` away from each of `kinks`. */
function awayFrom(n: number, seed: number, kinks: number[], gap = 0.05): Float64Array {
  return uniform(n, seed, -2, 2).map((v) => {
    let x = v;
    for (const k of kinks) if (Math.abs(x - k) < gap) x = k + (x < k ? -gap : gap) * 2;
    return x;
  });
}

describe('elementwise gradients vs central differences (JS spec, float64)', () => {
  it.each(ACTS)('actBackward $name', ({ act, alpha }) => {
    const n = 11;
    const x = awayFrom(n, 800 + act, [0]);
    const r = uniform(n, 801);
    const fwd = (ins: Float64Array[]) => f64Out([ins[0]!, new Float64Array(n)], 1, (o) => js64.biasActForward(o[0]!, -1, o[1]!, 1, n, act, alpha));
    const y = fwd([x]);
    const dx = f64Out([y, r, new Float64Array(n)], 2, (o) => js64.actBackward(o[0]!, o[1]!, o[2]!, n, act, alpha));
    expectClose(dx, centralDiff([x], 0, (ins) => dot(r, fwd(ins))), FD_ATOL, FD_RTOL, 'dx');
  });

  it.each(ACTS)('biasBackward through actBackward, $name (rows 3, cols 5)', ({ act, alpha }) => {
    const rows = 3;
    const cols = 5;
    const x = awayFrom(rows * cols, 810, [0]);
    const b = uniform(cols, 811, -0.01, 0.01); // small: keeps x + b away from the relu kink
    const r = uniform(rows * cols, 812);
    const fwd = (ins: Float64Array[]) =>
      f64Out([x, ins[0]!, new Float64Array(rows * cols)], 2, (o) => js64.biasActForward(o[0]!, o[1]!, o[2]!, rows, cols, act, alpha));
    const y = fwd([b]);
    const dz = f64Out([y, r, new Float64Array(rows * cols)], 2, (o) => js64.actBackward(o[0]!, o[1]!, o[2]!, rows * cols, act, alpha));
    const db = f64Out([dz, new Float64Array(cols)], 1, (o) => js64.biasBackward(o[0]!, o[1]!, rows, cols));
    expectClose(db, centralDiff([b], 0, (ins) => dot(r, fwd(ins))), FD_ATOL, FD_RTOL, 'db');
  });

  interface Unary {
    name: string;
    x: Float64Array;
    forward: (a: number, out: number, n: number) => void;
    /** dx from x and dy (float64 arrays), through the kernels the interface names. */
    backward: (x: Float64Array, dy: Float64Array) => Float64Array;
  }
  const n = 13;
  const zeros = () => new Float64Array(n);
  /** A backward kernel of signature (a, dy, dx, n) as a function of arrays. */
  const viaKernel = (f: (a: number, dy: number, dx: number, m: number) => void) => (x: Float64Array, dy: Float64Array) =>
    f64Out([x, dy, zeros()], 2, (o) => f(o[0]!, o[1]!, o[2]!, n));
  const unary: Unary[] = [
    {
      name: 'squareBackward', x: uniform(n, 820, -2, 2), forward: (a, out, m) => js64.square(a, out, m),
      backward: viaKernel((a, dy, dx, m) => js64.squareBackward(a, dy, dx, m)),
    },
    {
      name: 'absBackward (away from 0)', x: awayFrom(n, 821, [0]), forward: (a, out, m) => js64.abs(a, out, m),
      backward: viaKernel((a, dy, dx, m) => js64.absBackward(a, dy, dx, m)),
    },
    {
      name: 'clipBackward (away from the bounds)', x: awayFrom(n, 822, [-0.5, 0.75]),
      forward: (a, out, m) => js64.clip(a, -0.5, 0.75, out, m),
      backward: viaKernel((a, dy, dx, m) => js64.clipBackward(a, dy, dx, -0.5, 0.75, m)),
    },
    // exp's backward is mul(dy, out), per the interface.
    {
      name: 'exp (backward = mul(dy, out))', x: uniform(n, 823, -2, 2), forward: (a, out, m) => js64.exp(a, out, m),
      backward: (x, dy) => {
        const out = f64Out([x, zeros()], 1, (o) => js64.exp(o[0]!, o[1]!, n));
        return f64Out([dy, out, zeros()], 2, (o) => js64.mul(o[0]!, o[1]!, o[2]!, n));
      },
    },
    // scale's backward is scale again.
    {
      name: 'scale (backward = scale)', x: uniform(n, 824), forward: (a, out, m) => js64.scale(a, -0.7, out, m),
      backward: (_x, dy) => f64Out([dy, zeros()], 1, (o) => js64.scale(o[0]!, -0.7, o[1]!, n)),
    },
  ];
  it.each(unary)('$name', (u) => {
    const r = uniform(n, 830);
    const fwd = (ins: Float64Array[]) => f64Out([ins[0]!, zeros()], 1, (o) => u.forward(o[0]!, o[1]!, n));
    const dx = u.backward(u.x, r);
    expectClose(dx, centralDiff([u.x], 0, (ins) => dot(r, fwd(ins))), FD_ATOL, FD_RTOL, 'dx');
  });

  it('mul: da = mul(dy, b), db = mul(dy, a)', () => {
    const a = uniform(n, 840);
    const b = uniform(n, 841);
    const r = uniform(n, 842);
    const fwd = (ins: Float64Array[]) => f64Out([ins[0]!, ins[1]!, new Float64Array(n)], 2, (o) => js64.mul(o[0]!, o[1]!, o[2]!, n));
    const da = f64Out([r, b, new Float64Array(n)], 2, (o) => js64.mul(o[0]!, o[1]!, o[2]!, n));
    const db = f64Out([r, a, new Float64Array(n)], 2, (o) => js64.mul(o[0]!, o[1]!, o[2]!, n));
    expectClose(da, centralDiff([a, b], 0, (ins) => dot(r, fwd(ins))), FD_ATOL, FD_RTOL, 'da');
    expectClose(db, centralDiff([a, b], 1, (ins) => dot(r, fwd(ins))), FD_ATOL, FD_RTOL, 'db');
  });

  it('axpy: dx accumulates alpha dy (axpy again), dy passes through', () => {
    const alpha = 0.35;
    const x = uniform(n, 850);
    const y = uniform(n, 851);
    const r = uniform(n, 852);
    const fwd = (ins: Float64Array[]) => f64Out([ins[0]!, Float64Array.from(ins[1]!)], 1, (o) => js64.axpy(alpha, o[0]!, o[1]!, n));
    const prior = uniform(n, 853); // an existing gradient the backward adds to
    const dx = f64Out([r, Float64Array.from(prior)], 1, (o) => js64.axpy(alpha, o[0]!, o[1]!, n));
    const numeric = centralDiff([x, y], 0, (ins) => dot(r, fwd(ins)));
    expectClose(dx, numeric.map((g, i) => g + prior[i]!), FD_ATOL, FD_RTOL, 'dx');
    expectClose(r, centralDiff([x, y], 1, (ins) => dot(r, fwd(ins))), FD_ATOL, FD_RTOL, 'dy');
  });

  it('rowSumBackward (rows 3, cols 7)', () => {
    const rows = 3;
    const cols = 7;
    const x = uniform(rows * cols, 860);
    const r = uniform(rows, 861);
    const fwd = (ins: Float64Array[]) => f64Out([ins[0]!, new Float64Array(rows)], 1, (o) => js64.rowSum(o[0]!, o[1]!, rows, cols));
    const dx = f64Out([r, new Float64Array(rows * cols)], 1, (o) => js64.rowSumBackward(o[0]!, o[1]!, rows, cols));
    expectClose(dx, centralDiff([x], 0, (ins) => dot(r, fwd(ins))), FD_ATOL, FD_RTOL, 'dx');
  });
});
