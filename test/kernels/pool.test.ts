// Pooling (assembly/pool.ts): maxpool2d and upsample2d, forward and backward.
// 1. WASM vs the JS spec, guarded: 2x2 s2 'same' on 7x7 -> 4x4 (the deep-conv model),
//    overlapping 3x3 s1 windows, 2x2 'valid', channels 1, 3, 4, 5, 8 and 16 (below, at and
//    above the SIMD width), batch 1 and 3, ties and -Infinity; upsampling 2x2 and 3x1.
// 2. maxpool2dBackward (inputs without ties) and upsample2dBackward against central
//    differences of their forwards on the JS spec in float64.
import { describe, expect, it } from 'vitest';
import { pool2dGeometry, type Padding } from '../../src/kernels/geometry.js';
import type { Kernels, PoolGeom } from '../../src/kernels/kernels.js';
import {
  U32, centralDiff, dot, expectClose, expectExact, expectWithin, kernelBackends, runGuarded, uniform,
} from '../helpers.js';

const { wasm, js, js64 } = await kernelBackends();

interface PoolCase {
  name: string;
  n: number;
  ih: number;
  iw: number;
  c: number;
  ph: number;
  pw: number;
  sh: number;
  sw: number;
  padding: Padding;
}

const POOLS: Omit<PoolCase, 'c' | 'n'>[] = [
  { name: '2x2 s2 same on 7x7 -> 4x4 (deep-conv)', ih: 7, iw: 7, ph: 2, pw: 2, sh: 2, sw: 2, padding: 'same' },
  { name: '2x2 s2 same on 28x28 -> 14x14', ih: 28, iw: 28, ph: 2, pw: 2, sh: 2, sw: 2, padding: 'same' },
  { name: '3x3 s1 valid, overlapping', ih: 7, iw: 6, ph: 3, pw: 3, sh: 1, sw: 1, padding: 'valid' },
  { name: '3x3 s1 same, overlapping with padding', ih: 5, iw: 7, ph: 3, pw: 3, sh: 1, sw: 1, padding: 'same' },
  { name: '3x3 s2 same, overlapping', ih: 7, iw: 9, ph: 3, pw: 3, sh: 2, sw: 2, padding: 'same' },
  { name: '2x2 s2 valid on 7x7 -> 3x3', ih: 7, iw: 7, ph: 2, pw: 2, sh: 2, sw: 2, padding: 'valid' },
  { name: '2x2 s2 valid on 8x6', ih: 8, iw: 6, ph: 2, pw: 2, sh: 2, sw: 2, padding: 'valid' },
  { name: '2x3 s2x1 same', ih: 5, iw: 5, ph: 2, pw: 3, sh: 2, sw: 1, padding: 'same' },
  { name: '1x1 s1 (identity)', ih: 3, iw: 5, ph: 1, pw: 1, sh: 1, sw: 1, padding: 'valid' },
];

const CASES: PoolCase[] = POOLS.flatMap((p) =>
  [1, 3, 4, 5, 8, 16].map((c) => ({ ...p, c, n: c === 3 || c === 16 ? 3 : 1 })),
);

function geometry(c: PoolCase): PoolGeom {
  return pool2dGeometry(c.n, c.ih, c.iw, c.c, c.ph, c.pw, c.sh, c.sw, c.padding);
}

function forward(kernels: Kernels, g: PoolGeom, x: Float64Array, label = '', shift = 0): Float64Array {
  const y = new Float64Array(g.n * g.oh * g.ow * g.c).fill(NaN);
  return runGuarded(kernels, [x, y], [1], (o) =>
    kernels.maxpool2dForward(o[0]!, o[1]!, g.n, g.ih, g.iw, g.c, g.oh, g.ow, g.ph, g.pw, g.sh, g.sw, g.padTop, g.padLeft), { label, shift },
  ).outs[0]!;
}

function backward(kernels: Kernels, g: PoolGeom, x: Float64Array, dy: Float64Array, label = '', shift = 0): Float64Array {
  const dx = new Float64Array(x.length).fill(NaN);
  return runGuarded(kernels, [x, dy, dx], [2], (o) =>
    kernels.maxpool2dBackward(o[0]!, o[1]!, o[2]!, g.n, g.ih, g.iw, g.c, g.oh, g.ow, g.ph, g.pw, g.sh, g.sw, g.padTop, g.padLeft), { label, shift },
  ).outs[0]!;
}

/** Inputs with many ties (values from {-1, 0, 1, 2}) and some -Infinity cells. */
function tiedInputs(n: number, seed: number): Float64Array {
  return uniform(n, seed).map((u, i) => (i % 11 === 4 ? -Infinity : Math.floor((u + 1) * 2) - 1));
}

/**
 * Tolerance of maxpool2dBackward: a dx cell sums the dy of the windows whose argmax it is,
 * at most m = ceil(ph / sh) ceil(pw / sw) of them. A float32 sum of m terms is within
 * (m - 1) u Σ|terms| of exact and the spec rounds once more: m u Σ|dy| over the windows
 * covering the cell bounds both.
 */
function maxpoolBackwardTol(g: PoolGeom, dy: Float64Array): Float64Array {
  const m = Math.ceil(g.ph / g.sh) * Math.ceil(g.pw / g.sw);
  const tol = new Float64Array(g.n * g.ih * g.iw * g.c);
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++)
        for (let ch = 0; ch < g.c; ch++) {
          const d = m * U32 * Math.abs(Math.fround(dy[((b * g.oh + oy) * g.ow + ox) * g.c + ch]!));
          for (let iy = Math.max(oy * g.sh - g.padTop, 0); iy < Math.min(oy * g.sh - g.padTop + g.ph, g.ih); iy++)
            for (let ix = Math.max(ox * g.sw - g.padLeft, 0); ix < Math.min(ox * g.sw - g.padLeft + g.pw, g.iw); ix++) {
              const at = ((b * g.ih + iy) * g.iw + ix) * g.c + ch;
              tol[at] = tol[at]! + d;
            }
        }
  return tol;
}

describe('maxpool2d: WASM vs JS spec, guarded', () => {
  it.each(CASES)('$name c=$c n=$n', (c) => {
    const g = geometry(c);
    const nx = g.n * g.ih * g.iw * g.c;
    const dy = uniform(g.n * g.oh * g.ow * g.c, 3);
    // The tied inputs also run misaligned (tensors 1-3 cells past a 16-byte boundary).
    for (const [kind, x, shift] of [['random', uniform(nx, 1), 0], ['ties', tiedInputs(nx, 2), 1 + (c.c % 3)]] as const) {
      const label = `${c.name} c=${c.c} ${kind} shift=${shift}`;
      // The max of float32 values is one of them: exact.
      expectExact(forward(wasm, g, x, label, shift), forward(js, g, x, label, shift), `${label} y`);
      const want = backward(js, g, x, dy, label, shift);
      expectWithin(backward(wasm, g, x, dy, label, shift), want, maxpoolBackwardTol(g, dy), `${label} dx`);
    }
  });

  it('ties go to the first cell of the window, row-major, on both backends', () => {
    // One 2x2 window over [[1, 3], [3, 2]] (c = 1): the max 3 first appears at (0, 1).
    const g = pool2dGeometry(1, 2, 2, 1, 2, 2, 2, 2, 'valid');
    for (const kernels of [wasm, js]) {
      expect(Array.from(backward(kernels, g, Float64Array.of(1, 3, 3, 2), Float64Array.of(5)))).toEqual([0, 5, 0, 0]);
      expect(Array.from(backward(kernels, g, Float64Array.of(-Infinity, -Infinity, -Infinity, -Infinity), Float64Array.of(5)))).toEqual([5, 0, 0, 0]);
    }
  });
});

interface UpCase {
  n: number;
  h: number;
  w: number;
  c: number;
  sh: number;
  sw: number;
}

const UPS: UpCase[] = [];
for (const [sh, sw] of [[2, 2], [3, 1], [1, 3]] as const) {
  for (const c of [1, 4, 5]) {
    for (const [h, w] of [[1, 1], [3, 5], [7, 7]] as const) UPS.push({ n: c === 5 ? 3 : 1, h, w, c, sh, sw });
  }
}
UPS.push({ n: 2, h: 4, w: 4, c: 8, sh: 2, sw: 2 }, { n: 2, h: 14, w: 14, c: 16, sh: 2, sw: 2 });

/** Tensors start (h + w) % 4 cells past a 16-byte boundary: misaligned SIMD too. */
function upForward(kernels: Kernels, u: UpCase, x: Float64Array): Float64Array {
  const y = new Float64Array(x.length * u.sh * u.sw).fill(NaN);
  return runGuarded(kernels, [x, y], [1], (o) => kernels.upsample2dForward(o[0]!, o[1]!, u.n, u.h, u.w, u.c, u.sh, u.sw), { shift: (u.h + u.w) % 4 }).outs[0]!;
}

function upBackward(kernels: Kernels, u: UpCase, dy: Float64Array): Float64Array {
  const dx = new Float64Array(dy.length / (u.sh * u.sw)).fill(NaN);
  return runGuarded(kernels, [dy, dx], [1], (o) => kernels.upsample2dBackward(o[0]!, o[1]!, u.n, u.h, u.w, u.c, u.sh, u.sw), { shift: (u.h + u.w) % 4 }).outs[0]!;
}

describe('upsample2d: WASM vs JS spec, guarded', () => {
  it.each(UPS)('$shx$sw on n=$n $hx$wx$c', (u) => {
    const x = uniform(u.n * u.h * u.w * u.c, 5);
    // Copies: exact.
    expectExact(upForward(wasm, u, x), upForward(js, u, x), 'y');
    const dy = uniform(x.length * u.sh * u.sw, 6);
    const want = upBackward(js, u, dy);
    // Each dx cell sums sh sw values of dy: within sh sw u Σ|block| of each other.
    const tol = new Float64Array(want.length);
    const oh = u.h * u.sh;
    const ow = u.w * u.sw;
    for (let i = 0; i < dy.length; i++) {
      const ch = i % u.c;
      const ox = Math.floor(i / u.c) % ow;
      const oy = Math.floor(i / (u.c * ow)) % oh;
      const b = Math.floor(i / (u.c * ow * oh));
      const dst = ((b * u.h + Math.floor(oy / u.sh)) * u.w + Math.floor(ox / u.sw)) * u.c + ch;
      tol[dst] = tol[dst]! + u.sh * u.sw * U32 * Math.abs(Math.fround(dy[i]!));
    }
    expectWithin(upBackward(wasm, u, dy), want, tol, 'dx');
  });
});

// ---- gradients: central differences in float64 on the JS spec ----------------------------

// Max pooling is linear near inputs without ties (h = 1e-6 never changes an argmax when
// distinct values are >= 1e-3 apart), upsampling is linear: exact up to float64
// cancellation (~1e-9): atol 1e-7, rtol 1e-6.
const FD_ATOL = 1e-7;
const FD_RTOL = 1e-6;

/** A shuffled ramp: distinct values 1e-2 apart, so no window has a tie. */
function distinct(n: number, seed: number): Float64Array {
  const order = Array.from({ length: n }, (_, i) => i);
  const keys = uniform(n, seed);
  order.sort((a, b) => keys[a]! - keys[b]!);
  return Float64Array.from(order, (r) => (r - n / 2) * 1e-2);
}

describe('pooling gradients vs central differences (JS spec, float64)', () => {
  it.each([
    { name: '2x2 s2 same on 5x5', n: 2, ih: 5, iw: 5, c: 2, ph: 2, pw: 2, sh: 2, sw: 2, padding: 'same' as const },
    { name: '3x3 s1 valid (overlapping)', n: 1, ih: 5, iw: 4, c: 1, ph: 3, pw: 3, sh: 1, sw: 1, padding: 'valid' as const },
    { name: '3x3 s2 same (overlapping, padded)', n: 1, ih: 5, iw: 6, c: 3, ph: 3, pw: 3, sh: 2, sw: 2, padding: 'same' as const },
  ])('maxpool2dBackward, $name', (c) => {
    const g = geometry(c);
    const x = distinct(g.n * g.ih * g.iw * g.c, 7);
    const r = uniform(g.n * g.oh * g.ow * g.c, 8);
    const dx = backward(js64, g, x, r);
    expectClose(dx, centralDiff([x], 0, (ins) => dot(r, forward(js64, g, ins[0]!))), FD_ATOL, FD_RTOL, 'dx');
  });

  it.each([
    { n: 2, h: 2, w: 3, c: 2, sh: 2, sw: 2 },
    { n: 1, h: 3, w: 2, c: 3, sh: 3, sw: 1 },
  ])('upsample2dBackward, $shx$sw on $hx$wx$c', (u) => {
    const x = uniform(u.n * u.h * u.w * u.c, 9);
    const r = uniform(x.length * u.sh * u.sw, 10);
    expectClose(upBackward(js64, u, r), centralDiff([x], 0, (ins) => dot(r, upForward(js64, u, ins[0]!))), FD_ATOL, FD_RTOL, 'dx');
  });
});
