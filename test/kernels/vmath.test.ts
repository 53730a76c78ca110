// sigmoid, tanh and exp (assembly/vmath.ts) on the WASM build under test (both builds run
// this file, see vitest.config.ts):
// 1. Max error against float64 over a dense sweep of float32 inputs: every 997th float32 bit
//    pattern of magnitude 2^-40 .. 100 with both signs, plus every 1/4096 step of [-20, 20].
//    Errors in ulps of the float32 nearest the float64 value (ulp = 2^(e - 23), e the
//    exponent, 2^-149 below FLT_MIN) and absolute. The bounds asserted are the ones
//    documented in assembly/vmath.ts: the test fails if an approximation gets worse.
// 2. The float32 JS spec (src/kernels/vmath-spec.ts through JsKernels' f32 heap) gives the
//    same bits as WASM on the whole sweep, forward and backward; so does a scalar tail.
// 3. Saturation, ±0, ±Inf and NaN.
import { describe, expect, it } from 'vitest';
import { Act, type Kernels } from '../../src/kernels/kernels.js';
import { expectBitIdentical, f32, kernelBackends, uniform } from '../helpers.js';

const { wasm, js } = await kernelBackends();

/** The sweep: float32 values, as float64. */
function sweep(): Float64Array {
  const lo = new Uint32Array(new Float32Array([2 ** -40]).buffer)[0]!;
  const hi = new Uint32Array(new Float32Array([100]).buffer)[0]!;
  const bits: number[] = [];
  for (let b = lo; b <= hi; b += 997) bits.push(b, b | 0x80000000);
  const v = new Float32Array(new Uint32Array(bits).buffer);
  const grid = Float32Array.from({ length: 40 * 4096 + 1 }, (_, i) => (i - 20 * 4096) / 4096);
  return Float64Array.from([...v, ...grid]);
}
const X = sweep();

function run(k: Kernels, xs: Float64Array, f: (k: Kernels, x: number, y: number, n: number) => void): Float64Array {
  const x = k.heap.alloc(xs.length);
  const y = k.heap.alloc(xs.length);
  k.heap.write(x, xs);
  f(k, x, y, xs.length);
  const out = Float64Array.from(k.heap.data.subarray(y, y + xs.length));
  k.heap.free(x);
  k.heap.free(y);
  return out;
}
const act = (code: number) => (k: Kernels, x: number, y: number, n: number) => k.biasActForward(x, -1, y, 1, n, code, 0);
const expKernel = (k: Kernels, x: number, y: number, n: number) => k.exp(x, y, n);

/** ulp of the float32 nearest e (2^-149 in the denormal range). */
function ulp(e: number): number {
  const a = Math.abs(Math.fround(e));
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

interface Errors {
  ulps: number;
  abs: number;
  at: number;
}

function errors(xs: Float64Array, got: Float64Array, want: (x: number) => number, keep: (x: number) => boolean = () => true): Errors {
  const r: Errors = { ulps: 0, abs: 0, at: NaN };
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (!keep(x)) continue;
    const e = want(x);
    const d = Math.abs(got[i]! - e);
    if (!(d <= Infinity)) throw new Error(`NaN at x = ${x}: got ${got[i]}, want ${e}`);
    const u = d / ulp(e);
    if (u > r.ulps) {
      r.ulps = u;
      r.at = x;
    }
    r.abs = Math.max(r.abs, d);
  }
  return r;
}

const sigmoid64 = (x: number): number => 1 / (1 + Math.exp(-x));

interface Case {
  name: string;
  call: (k: Kernels, x: number, y: number, n: number) => void;
  want: (x: number) => number;
  /** Inputs the bound covers (exp: its finite, normal range). */
  keep?: (x: number) => boolean;
  /** Documented in assembly/vmath.ts. */
  maxUlps: number;
  maxAbs: number;
}

// Measured on the sweep (both builds give the same bits): sigmoid 2.13 ulp (at x = -1.96),
// absolute 8.9e-8, down to FLT_MIN; tanh 1.49 ulp, absolute 8.9e-8; exp 0.95 ulp for |x| <= 87
// (relative to the result, so no absolute bound). Bounds: those, rounded up.
const CASES: Case[] = [
  { name: 'sigmoid', call: act(Act.sigmoid), want: sigmoid64, maxUlps: 2.5, maxAbs: 1e-7 },
  { name: 'tanh', call: act(Act.tanh), want: Math.tanh, maxUlps: 2, maxAbs: 1e-7 },
  { name: 'exp (activation)', call: act(Act.exp), want: Math.exp, keep: (x) => Math.abs(x) <= 87, maxUlps: 1.5, maxAbs: Infinity },
  { name: 'exp (kernel)', call: expKernel, want: Math.exp, keep: (x) => Math.abs(x) <= 87, maxUlps: 1.5, maxAbs: Infinity },
];

describe('sigmoid, tanh, exp: max error against float64 on a dense float32 sweep', () => {
  it.each(CASES)('$name within its documented bound', ({ call, want, keep, maxUlps, maxAbs }) => {
    const got = run(wasm, X, call);
    const e = errors(X, got, want, keep);
    expect(e.ulps, `worst at x = ${e.at}`).toBeLessThanOrEqual(maxUlps);
    expect(e.abs).toBeLessThanOrEqual(maxAbs);
    // The bound is tight enough to mean something: a wrong constant would break it.
    expect(e.ulps).toBeGreaterThan(0.5);
  });

  it('sigmoid keeps relative accuracy in the lower tail (no 1 - s cancellation)', () => {
    const xs = f32([-10, -20, -40, -60, -80, -87]);
    const got = run(wasm, xs, act(Act.sigmoid));
    for (let i = 0; i < xs.length; i++) expect(Math.abs(got[i]! / sigmoid64(xs[i]!) - 1), `x = ${xs[i]}`).toBeLessThan(3 * 2 ** -23);
  });

  it('tanh keeps relative accuracy near 0 (the polynomial branch)', () => {
    const xs = f32([1e-30, 1e-7, 1e-3, 0.1, 0.5, 0.62, 0.63, -0.3]);
    const got = run(wasm, xs, act(Act.tanh));
    for (let i = 0; i < xs.length; i++) expect(Math.abs(got[i]! / Math.tanh(xs[i]!) - 1), `x = ${xs[i]}`).toBeLessThan(3 * 2 ** -23);
  });
});

describe('sigmoid, tanh, exp: the float32 JS spec gives the WASM bits', () => {
  it.each(CASES)('$name forward, on the whole sweep', ({ call }) => {
    expectBitIdentical(run(js, X, call), run(wasm, X, call), 'forward');
  });

  it.each([Act.sigmoid, Act.tanh, Act.exp])('act %i through biasActForward with a bias, and its backward', (code) => {
    const rows = 37;
    const cols = 29;
    const x = f32(uniform(rows * cols, 40 + code, -12, 12));
    const b = f32(uniform(cols, 50 + code, -3, 3));
    const dy = f32(uniform(rows * cols, 60 + code, -2, 2));
    const both = (k: Kernels): [Float64Array, Float64Array] => {
      const [xo, bo, yo, dyo, dxo] = [x, b, x, dy, dy].map((v) => {
        const o = k.heap.alloc(v.length);
        k.heap.write(o, v);
        return o;
      }) as [number, number, number, number, number];
      k.biasActForward(xo, bo, yo, rows, cols, code, 0);
      k.actBackward(yo, dyo, dxo, rows * cols, code, 0);
      const out: [Float64Array, Float64Array] = [Float64Array.from(k.heap.read(yo, rows * cols)), Float64Array.from(k.heap.read(dxo, rows * cols))];
      for (const o of [xo, bo, yo, dyo, dxo]) k.heap.free(o);
      return out;
    };
    const [wy, wdx] = both(wasm);
    const [jy, jdx] = both(js);
    expectBitIdentical(jy, wy, 'forward');
    expectBitIdentical(jdx, wdx, 'backward');
  });

  it.each(CASES)('$name: a scalar tail gives the vector body\'s bits', ({ call }) => {
    const xs = X.subarray(0, 4001); // 4001: the last value in a tail
    const body = run(wasm, xs, call);
    for (const i of [0, 1, 2, 3, 999, 2000, 4000]) {
      const one = run(wasm, xs.subarray(i, i + 1), call);
      expectBitIdentical(one, body.subarray(i, i + 1), `x = ${xs[i]}`);
    }
  });
});

describe('sigmoid, tanh, exp: saturation and special values', () => {
  const specials = Float64Array.from([0, -0, Infinity, -Infinity, NaN, 17, 100, 1e30, -87, -87.5, -88, -100, -1e30, 9.1, -9.1]);
  for (const k of [wasm, js]) {
    it(`${k.build}: sigmoid`, () => {
      const y = run(k, specials, act(Act.sigmoid));
      expect([...y.slice(0, 4)]).toEqual([0.5, 0.5, 1, 0]);
      expect(Number.isNaN(y[4]!)).toBe(true);
      expect([...y.slice(5, 8)]).toEqual([1, 1, 1]); // sigmoid(17) rounds to 1 in float32
      expect(y[8]!).toBeGreaterThanOrEqual(2 ** -126); // -87: still normal
      // Below FLT_MIN, denormals (as float32 exp gives them), then 0.
      for (const i of [9, 10, 11]) expect(Math.abs(y[i]! - sigmoid64(specials[i]!))).toBeLessThanOrEqual(2 ** -149);
      expect(y[11]!).toBeGreaterThan(0);
      expect(y[12]).toBe(0);
    });
    it(`${k.build}: tanh`, () => {
      const y = run(k, specials, act(Act.tanh));
      expect(Object.is(y[0], 0)).toBe(true);
      expect(Object.is(y[1], -0)).toBe(true);
      expect([...y.slice(2, 4)]).toEqual([1, -1]);
      expect(Number.isNaN(y[4]!)).toBe(true);
      expect([...y.slice(5, 8)]).toEqual([1, 1, 1]);
      expect([...y.slice(9, 15)]).toEqual([-1, -1, -1, -1, 1, -1]);
    });
    it(`${k.build}: exp overflows to Inf and underflows to 0`, () => {
      const y = run(k, Float64Array.from([0, Infinity, -Infinity, NaN, 89, -104, 88.7]), expKernel);
      expect([...y.slice(0, 3)]).toEqual([1, Infinity, 0]);
      expect(Number.isNaN(y[3]!)).toBe(true);
      expect(y[4]).toBe(Infinity);
      expect(y[5]).toBe(0);
      expect(y[6]! / Math.exp(Math.fround(88.7)) - 1).toBeLessThan(2 ** -22);
    });
  }
});
