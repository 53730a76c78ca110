// conv2d (assembly/conv.ts): forward, backward-input (also Conv2DTranspose's forward) and
// backward-filter.
// 1. WASM vs the JS spec on a table of shapes: cin / cout 1, 3, 4, 5, 8, 16; kernels 1x1,
//    2x2, 3x3, 5x5 and non-square; strides 1, 2, 3; 'same' and 'valid' from
//    conv2dGeometry; batch 1 and 3; odd spatial sizes; transposed convs from
//    conv2dTransposeGeometry; the five convolutions of the TF-tutorial denoiser; shapes
//    that need several im2col chunks (COL_FLOATS, read from the module) and one whose patch alone is
//    longer than the column buffer; shapes that take each dispatch branch of
//    assembly/conv.ts and its tails (see DISPATCH_CASES). Every tensor is guarded
//    (runGuarded).
// 2. conv2dBackwardInput / conv2dBackwardFilter against central differences of
//    conv2dForward on the JS spec in float64, and the transposed conv's gradients.
// 3. Determinism across batch composition: an image's forward and input-gradient outputs
//    are bit-identical whether it is computed alone or inside a batch; a filter-gradient
//    call repeats exactly.
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2dGeometry, conv2dTransposeGeometry, type Padding } from '../../src/kernels/geometry.js';
import type { ConvGeom, Kernels } from '../../src/kernels/kernels.js';
import type { WasmKernels } from '../../src/kernels/wasm.js';
import {
  U32, centralDiff, dot, expectClose, expectWithin, jsKernels, runGuarded, uniform, wasmKernels,
} from '../helpers.js';

// Loaded before the case tables: their sizes come from the module's exported constants.
const wasm = await wasmKernels();
let js: Kernels;
let js64: Kernels;
beforeAll(() => {
  js = jsKernels('f32');
  js64 = jsKernels('f64');
});

/** im2col's column buffer and the implicit kernels' WORK area, in floats, as the module exports them. */
const { COL_FLOATS, WORK_FLOATS } = (wasm as WasmKernels).constants;

interface ConvCase {
  name: string;
  n: number;
  ih: number;
  iw: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padding: Padding;
  /** A Conv2DTranspose: ih / iw / cin describe its input, cout its filters. */
  transposed?: boolean;
}

function conv(
  name: string, n: number, [ih, iw, cin]: [number, number, number], cout: number,
  [kh, kw]: [number, number], [sh, sw]: [number, number], padding: Padding, transposed = false,
): ConvCase {
  return { name, n, ih, iw, cin, cout, kh, kw, sh, sw, padding, transposed };
}

/**
 * Shapes for the dispatch branches of assembly/conv.ts that the table above does not
 * reach (the denoiser's shapes and the small ones take the main paths: padded one-channel
 * kernels, implicit GEMM over padded images, parity classes over stacked dy):
 */
const DISPATCH_CASES: ConvCase[] = [
  // A padded image (132 x 132 x 16 floats) larger than WORK: the forward reads x in place
  // (rows in the padding from ZERO, border runs copied, a partial panel of 5 columns); the
  // input gradient falls back to col2im and the filter gradient to im2col.
  conv('in place: 130x130x16 -> 5, 3x3 s1 same', 1, [130, 130, 16], 5, [3, 3], [1, 1], 'same'),
  // One input channel on a plane larger than WORK: no plane kernel; the forward runs the
  // implicit GEMM in place, the filter gradient im2col, the input gradient col2im.
  conv('in place: 400x700x1 -> 4, 3x3 s2 same', 1, [400, 700, 1], 4, [3, 3], [2, 2], 'same'),
  // One output channel, a padded image larger than WORK: the per-tap forward kernel and an
  // im2col filter gradient; the input gradient still takes the plane kernel (4 blocks of
  // 16 channels).
  conv('in place: 64x64x64 -> 1, 3x3 s1 same', 1, [64, 64, 64], 1, [3, 3], [1, 1], 'same'),
  // Patch rows of 3303 floats (more than ZERO) and 138 panels of input channels: forward
  // im2col in two chunks (the second of 4 rows must sum as the first), input gradient
  // col2im, filter gradient implicit GEMM with a last m-tile reading past its run.
  conv('several im2col chunks: 3x3 same, cin 1101 (patch row > ZERO)', 2, [3, 5, 1101], 3, [3, 3], [1, 1], 'same'),
  // Parity classes whose dx (4.2 MB) goes through the staging copy, in blocks of images.
  conv('staged dx: denoiser transposed 2 at batch 84', 84, [14, 14, 8], 16, [3, 3], [2, 2], 'same', true),
  // One output channel, kw cin a multiple of 8 (pair kernel), stride 2, 5 x 4 pixels per
  // image (13 groups of three and a tail), 40 channels; its stride-2 input gradient takes
  // the per-tap kernel and its filter gradient three 12-vector groups, the last partial.
  conv('cout 1: 3x3 s2 same, cin 40', 2, [9, 7, 40], 1, [3, 3], [2, 2], 'same'),
  // One input channel, kernel 4 x 5 (two groups of three taps, the second reading one
  // past the row), 12 output channels (a partial block of 16), odd row widths.
  conv('cin 1: 4x5 s1 valid, cout 12', 2, [9, 11, 1], 12, [4, 5], [1, 1], 'valid'),
  // Stride 1 input gradient of one output channel with a 2 x 4 kernel and padding only
  // after (pt = 0, pl = 1): the rotated-kernel plane kernel, channels 16 + 8.
  conv('cout 1: 2x4 s1 same, cin 24', 2, [5, 7, 24], 1, [2, 4], [1, 1], 'same'),
  // One input channel, cout a multiple of 8: the input gradient by parity classes with a
  // dot product per class pixel (conv-onechannel-input-grad-parity.ts). Odd and
  // non-square sizes (class pixel counts not a multiple of three: padded last groups),
  // strides 2 and 3, batch 1, 'valid', padding only after, a kernel smaller than the
  // stride (classes no tap reaches, written as zeros), and a transposed conv to 1 filter.
  conv('cin 1 parity: 3x3 s2 same, cout 8, 9x7, batch 1', 1, [9, 7, 1], 8, [3, 3], [2, 2], 'same'),
  conv('cin 1 parity: 5x3 s3 valid, cout 24', 2, [13, 11, 1], 24, [5, 3], [3, 3], 'valid'),
  conv('cin 1 parity: 2x2 s2 same (padding only after), cout 16', 1, [6, 9, 1], 16, [2, 2], [2, 2], 'same'),
  conv('cin 1 parity: 1x1 s2 same (classes without taps), cout 8', 3, [5, 6, 1], 8, [1, 1], [2, 2], 'same'),
  conv('cin 1 parity: 4x3 strides 2x3 same, cout 8', 2, [7, 10, 1], 8, [4, 3], [2, 3], 'same'),
  conv('cin 1 parity: transposed 3x3 s2 same, 8 -> 1 filter', 2, [4, 5, 8], 1, [3, 3], [2, 2], 'same', true),
];

const CASES: ConvCase[] = [
  conv('1x1 s1 valid', 1, [5, 9, 3], 4, [1, 1], [1, 1], 'valid'),
  conv('1x1 s2 same', 3, [7, 7, 1], 5, [1, 1], [2, 2], 'same'),
  conv('1x1 s3 same (k < s)', 1, [7, 7, 4], 3, [1, 1], [3, 3], 'same'),
  conv('2x2 s2 valid', 1, [7, 7, 4], 8, [2, 2], [2, 2], 'valid'),
  conv('2x2 s1 same (padding only after)', 3, [5, 9, 5], 3, [2, 2], [1, 1], 'same'),
  conv('2x2 s3 same (k < s)', 1, [7, 7, 3], 4, [2, 2], [3, 3], 'same'),
  conv('3x3 s1 same', 1, [7, 7, 8], 16, [3, 3], [1, 1], 'same'),
  conv('3x3 s2 same', 3, [5, 9, 3], 1, [3, 3], [2, 2], 'same'),
  conv('3x3 s2 valid', 1, [7, 7, 5], 4, [3, 3], [2, 2], 'valid'),
  conv('3x3 s3 valid', 1, [7, 7, 16], 4, [3, 3], [3, 3], 'valid'),
  conv('3x3 s3 same', 3, [7, 7, 1], 1, [3, 3], [3, 3], 'same'),
  conv('3x3 s1 valid', 3, [5, 9, 4], 5, [3, 3], [1, 1], 'valid'),
  conv('5x5 s1 same', 1, [7, 7, 4], 5, [5, 5], [1, 1], 'same'),
  conv('5x5 s2 valid', 3, [9, 7, 5], 8, [5, 5], [2, 2], 'valid'),
  conv('5x5 s1 valid', 1, [5, 9, 1], 16, [5, 5], [1, 1], 'valid'),
  conv('5x5 s2 same, kernel larger than the input', 1, [3, 4, 3], 5, [5, 5], [2, 2], 'same'),
  conv('5x5 valid on 5x5 (one output pixel)', 3, [5, 5, 3], 4, [5, 5], [1, 1], 'valid'),
  conv('3x1 strides 2x1 same', 3, [7, 5, 3], 4, [3, 1], [2, 1], 'same'),
  conv('1x5 strides 1x3 valid', 1, [5, 9, 4], 3, [1, 5], [1, 3], 'valid'),
  conv('1x1 on 1x1', 1, [1, 1, 5], 3, [1, 1], [1, 1], 'valid'),
  conv('transposed 3x3 s2 same', 1, [4, 4, 5], 3, [3, 3], [2, 2], 'same', true),
  conv('transposed 2x2 s2 valid', 3, [3, 5, 4], 1, [2, 2], [2, 2], 'valid', true),
  conv('transposed 3x3 s1 valid', 1, [5, 5, 1], 4, [3, 3], [1, 1], 'valid', true),
  conv('transposed 5x5 s3 same', 3, [3, 3, 3], 8, [5, 5], [3, 3], 'same', true),
  conv('transposed 1x1 s2 valid (k < s)', 1, [3, 3, 4], 5, [1, 1], [2, 2], 'valid', true),
  // Direct kernels: one output channel (cin a multiple of 4: partial and several 16-channel
  // blocks, kernel widths that split into 3 + 2 taps, strides 2 and 3) and one input channel.
  conv('direct cout 1: 5x5 s2 same, cin 20', 2, [9, 8, 20], 1, [5, 5], [2, 2], 'same'),
  conv('direct cout 1: 2x4 s3 valid, cin 32', 1, [8, 11, 32], 1, [2, 4], [3, 3], 'valid'),
  conv('direct cout 1: 3x3 s1 same, cin 4, odd width', 3, [5, 7, 4], 1, [3, 3], [1, 1], 'same'),
  conv('direct cout 1: 1x1 s1 valid, cin 8', 1, [3, 3, 8], 1, [1, 1], [1, 1], 'valid'),
  conv('direct cin 1: 5x5 s2 same, cout 20', 2, [9, 8, 1], 20, [5, 5], [2, 2], 'same'),
  conv('direct cin 1: 4x2 s3 valid, cout 36', 1, [11, 8, 1], 36, [4, 2], [3, 3], 'valid'),
  conv('direct cin 1: 3x3 s1 same, cout 4, odd width', 3, [5, 7, 1], 4, [3, 3], [1, 1], 'same'),
  // The TF-tutorial denoiser (28x28x1 -> 14x14x16 -> 7x7x8 -> 14x14x8 -> 28x28x16 -> 28x28x1).
  conv('denoiser conv 1: 28x28x1 -> 14x14x16', 2, [28, 28, 1], 16, [3, 3], [2, 2], 'same'),
  conv('denoiser conv 2: 14x14x16 -> 7x7x8', 2, [14, 14, 16], 8, [3, 3], [2, 2], 'same'),
  conv('denoiser transposed 1: 7x7x8 -> 14x14x8', 2, [7, 7, 8], 8, [3, 3], [2, 2], 'same', true),
  conv('denoiser transposed 2: 14x14x8 -> 28x28x16', 2, [14, 14, 8], 16, [3, 3], [2, 2], 'same', true),
  conv('denoiser conv 3: 28x28x16 -> 28x28x1', 2, [28, 28, 16], 1, [3, 3], [1, 1], 'same'),
  // 3 * 784 pixels * 144 = 338688 > COL_FLOATS: two im2col chunks of 1820 pixels (the
  // boundary is row 9 of the third image).
  conv('several im2col chunks: denoiser conv 3 at batch 3', 3, [28, 28, 16], 1, [3, 3], [1, 1], 'same'),
  // 2 * 29 * 27 pixels * 288 = 451008: chunks of 910 pixels, boundaries mid-row and
  // mid-image; stride 1, 'valid' on an odd size.
  conv('several im2col chunks: 31x29x32 -> 3x3 valid', 2, [31, 29, 32], 5, [3, 3], [1, 1], 'valid'),
  // Transposed: its forward (backward-input) has 10 * 196 pixels * 144 = 282240 > COL_FLOATS.
  conv('several im2col chunks: denoiser transposed 2 at batch 10', 10, [14, 14, 8], 16, [3, 3], [2, 2], 'same', true),
  ...DISPATCH_CASES,
];

function geometry(c: ConvCase): ConvGeom {
  const f = c.transposed ? conv2dTransposeGeometry : conv2dGeometry;
  return f(c.n, c.ih, c.iw, c.cin, c.cout, c.kh, c.kw, c.sh, c.sw, c.padding);
}

type Pass = 'forward' | 'backwardInput' | 'backwardFilter';

/** The pass's three tensors' sizes [a, b, out] for geometry g. */
function sizes(g: ConvGeom, pass: Pass): [number, number, number] {
  const x = g.n * g.ih * g.iw * g.cin;
  const y = g.n * g.oh * g.ow * g.cout;
  const w = g.kh * g.kw * g.cin * g.cout;
  if (pass === 'forward') return [x, w, y];
  if (pass === 'backwardInput') return [y, w, x];
  return [x, y, w];
}

function callPass(kernels: Kernels, pass: Pass, g: ConvGeom, o: number[]): void {
  const args = [g.n, g.ih, g.iw, g.cin, g.oh, g.ow, g.cout, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft] as const;
  if (pass === 'forward') kernels.conv2dForward(o[0]!, o[1]!, o[2]!, ...args);
  else if (pass === 'backwardInput') kernels.conv2dBackwardInput(o[0]!, o[1]!, o[2]!, ...args);
  else kernels.conv2dBackwardFilter(o[0]!, o[1]!, o[2]!, ...args);
}

/**
 * The longest chain of float32 additions behind one output: forward sums kh kw cin
 * products (sgemm over K, in KC blocks); backward-input sums cout products per patch
 * position and col2im adds up to kh kw of them; backward-filter sums n oh ow products
 * over the im2col chunks.
 */
function terms(g: ConvGeom, pass: Pass): number {
  if (pass === 'forward') return g.kh * g.kw * g.cin;
  if (pass === 'backwardInput') return g.kh * g.kw * g.cout + g.kh * g.kw;
  return g.n * g.oh * g.ow;
}

/** Runs a pass on `kernels` over (a, b) with a NaN-filled output; returns the output. */
function run(kernels: Kernels, pass: Pass, g: ConvGeom, a: Float64Array, b: Float64Array, label: string, shift = 0): Float64Array {
  const out = new Float64Array(sizes(g, pass)[2]).fill(NaN);
  return runGuarded(kernels, [a, b, out], [2], (o) => callPass(kernels, pass, g, o), { label, shift }).outs[0]!;
}

/**
 * Checks one pass: WASM vs the float32 spec. Tolerance per output: a float32 sum of m
 * products in any order is within (m + 1) u Σ|products| of the exact sum (Higham's gamma
 * bound, products included); the spec rounds its float64 sum once (u |s| <= u Σ|..|).
 * Σ|products| comes from the float64 spec run on |a| and |b|.
 */
function checkPass(c: ConvCase, g: ConvGeom, pass: Pass, seed: number, shift = 0): void {
  const [na, nb] = sizes(g, pass);
  const a = uniform(na, seed);
  const b = uniform(nb, seed + 1);
  const label = `${c.name} ${pass} shift=${shift}`;
  const got = run(wasm, pass, g, a, b, label, shift);
  const want = run(js, pass, g, a, b, label, shift);
  const magnitude = run(js64, pass, g, Float64Array.from(Float32Array.from(a), Math.abs), Float64Array.from(Float32Array.from(b), Math.abs), label);
  const m = terms(g, pass);
  expectWithin(got, want, magnitude.map((s) => (m + 2) * U32 * s), label);
}

describe('conv2d: WASM vs JS spec, guarded', () => {
  // Every fourth case also runs with its tensors 1-3 cells past a 16-byte boundary.
  it.each(CASES.map((c, i) => ({ ...c, shift: i % 4 })))('$name (shift $shift)', (c) => {
    const g = geometry(c);
    checkPass(c, g, 'forward', 10, c.shift);
    checkPass(c, g, 'backwardInput', 20, c.shift);
    checkPass(c, g, 'backwardFilter', 30, c.shift);
  });

  it('the in-place cases really do not fit a padded copy, the staged one does stage', () => {
    for (const c of DISPATCH_CASES.filter((k) => k.name.startsWith('in place'))) {
      const g = geometry(c);
      const hp = (g.oh - 1) * g.sh + g.kh, wp = (g.ow - 1) * g.sw + g.kw;
      expect(hp * wp * g.cin, c.name).toBeGreaterThan(WORK_FLOATS);
    }
    const staged = geometry(DISPATCH_CASES.find((k) => k.name.startsWith('staged'))!);
    expect(staged.n * staged.ih * staged.iw * staged.cin * 4, 'staged dx bytes').toBeGreaterThan(4 << 20);
  });

  it('the chunked cases really span several im2col chunks', () => {
    for (const c of CASES.filter((k) => k.name.startsWith('several'))) {
      const g = geometry(c);
      expect(g.n * g.oh * g.ow * g.kh * g.kw * g.cin, c.name).toBeGreaterThan(COL_FLOATS);
    }
  });

  // A patch longer than the column buffer (kh kw cin > COL_FLOATS) cannot be lowered
  // onto one im2col row; the kernels must still compute it and stay inside their outputs.
  it('1x1 conv with 262147 input channels (one patch > COL_FLOATS)', () => {
    const c = conv('patch > COL_FLOATS', 1, [1, 2, COL_FLOATS + 3], 3, [1, 1], [1, 1], 'valid');
    const g = geometry(c);
    checkPass(c, g, 'forward', 40);
    checkPass(c, g, 'backwardInput', 50);
    checkPass(c, g, 'backwardFilter', 60);
  });

  it('backward-filter over an empty batch writes zeros', () => {
    const g = conv2dGeometry(0, 5, 5, 3, 4, 3, 3, 1, 1, 'same');
    for (const kernels of [wasm, js]) {
      const dw = run(kernels, 'backwardFilter', g, new Float64Array(0), new Float64Array(0), 'n=0');
      expect(Array.from(dw)).toEqual(new Array(3 * 3 * 3 * 4).fill(0));
    }
  });
});

// ---- gradients: central differences in float64 on the JS spec ----------------------------

// Convs are bilinear, so central differences are exact up to float64 cancellation
// (~1e-16 |L| / h ~ 1e-9): atol 1e-7, rtol 1e-6.
const FD_ATOL = 1e-7;
const FD_RTOL = 1e-6;

const FD_CASES: ConvCase[] = [
  conv('3x3 s1 same', 2, [4, 5, 2], 3, [3, 3], [1, 1], 'same'),
  conv('3x3 s2 same', 1, [5, 6, 2], 2, [3, 3], [2, 2], 'same'),
  conv('3x3 s2 valid', 1, [5, 5, 2], 2, [3, 3], [2, 2], 'valid'),
  conv('2x2 s1 valid', 2, [4, 4, 3], 1, [2, 2], [1, 1], 'valid'),
  conv('2x2 s2 same, odd size', 1, [5, 3, 1], 2, [2, 2], [2, 2], 'same'),
];

function f64(pass: Pass, g: ConvGeom, a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(sizes(g, pass)[2]);
  return runGuarded(js64, [a, b, out], [2], (o) => callPass(js64, pass, g, o)).outs[0]!;
}

describe('conv2d gradients vs central differences (JS spec, float64)', () => {
  it.each(FD_CASES)('conv2dBackwardInput and conv2dBackwardFilter, $name', (c) => {
    const g = geometry(c);
    const [nx, nw, ny] = sizes(g, 'forward');
    const x = uniform(nx, 70);
    const w = uniform(nw, 71);
    const r = uniform(ny, 72);
    const loss = (ins: Float64Array[]) => dot(r, f64('forward', g, ins[0]!, ins[1]!));
    expectClose(f64('backwardInput', g, r, w), centralDiff([x, w], 0, loss), FD_ATOL, FD_RTOL, 'dx');
    expectClose(f64('backwardFilter', g, x, r), centralDiff([x, w], 1, loss), FD_ATOL, FD_RTOL, 'dw');
  });

  // Conv2DTranspose: z = backwardInput(u, w). Its gradients are conv2dForward(r, w) for u
  // and conv2dBackwardFilter(r, u) for w (the roles of x and y swapped; see conv.ts).
  it.each([
    conv('transposed 3x3 s2 same', 1, [3, 3, 2], 3, [3, 3], [2, 2], 'same', true),
    conv('transposed 2x2 s2 valid', 2, [2, 3, 2], 2, [2, 2], [2, 2], 'valid', true),
  ])('Conv2DTranspose gradients, $name', (c) => {
    const g = geometry(c);
    const [nz, nw, nu] = sizes(g, 'forward'); // z plays x, u plays y
    const u = uniform(nu, 80);
    const w = uniform(nw, 81);
    const r = uniform(nz, 82);
    const loss = (ins: Float64Array[]) => dot(r, f64('backwardInput', g, ins[0]!, ins[1]!));
    expectClose(f64('forward', g, r, w), centralDiff([u, w], 0, loss), FD_ATOL, FD_RTOL, 'du');
    expectClose(f64('backwardFilter', g, r, u), centralDiff([u, w], 1, loss), FD_ATOL, FD_RTOL, 'dw');
  });
});

// ---- determinism across batch composition -----------------------------------------------

// A worker pool calls the forward and input-gradient kernels on disjoint image ranges, and
// sums filter gradients of fixed image chunks in a fixed order. So an image's forward and
// input-gradient outputs must be bit-identical whether it is computed alone, inside a
// sub-range or inside the whole batch (no summation order may depend on n or on how a call
// is cut into tiles, blocks or chunks), and a filter-gradient call must repeat exactly.

/** Index of the first element where a and b differ (float32 bit patterns; NaN = NaN), or -1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const fa = Float32Array.from(a), fb = Float32Array.from(b);
  const ua = new Uint32Array(fa.buffer), ub = new Uint32Array(fb.buffer);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(fa[i]) && Number.isNaN(fb[i]))) return i;
  }
  return -1;
}

const DETERMINISM_CASES: ConvCase[] = [
  // The denoiser's five convolutions at batch 9: tiles, image blocks and (for the pair
  // kernel) groups of three pixels all straddle image boundaries.
  ...CASES.filter((c) => c.name.startsWith('denoiser ')).map((c) => ({ ...c, n: 9 })),
  // Every dispatch branch, at a batch of at least 3.
  ...DISPATCH_CASES.map((c) => ({ ...c, n: Math.max(3, c.n) })),
  ...['3x3 s2 same', '5x5 s2 valid', 'transposed 5x5 s3 same', 'transposed 1x1 s2 valid (k < s)', 'direct cout 1: 5x5 s2 same, cin 20',
    'direct cout 1: 3x3 s1 same, cin 4, odd width', 'direct cin 1: 5x5 s2 same, cout 20'].map((name) => {
    const c = CASES.find((k) => k.name === name)!;
    return { ...c, n: 5 };
  }),
];

describe('conv2d: determinism across batch composition (WASM)', () => {
  it.each(DETERMINISM_CASES)('$name at batch $n', (c) => {
    const g = geometry(c);
    for (const pass of ['forward', 'backwardInput'] as Pass[]) {
      const [na, nb] = sizes(g, pass);
      const a = uniform(na, 90);
      const b = uniform(nb, 91);
      const label = `${c.name} ${pass}`;
      const all = run(wasm, pass, g, a, b, label);
      const perA = na / g.n;
      const perOut = all.length / g.n;
      // Alone: the first, a middle and the last image; inside a sub-range: images [1, 3).
      const ranges: [number, number][] = [[0, 1], [g.n >> 1, (g.n >> 1) + 1], [g.n - 1, g.n], [1, 3]];
      for (const [lo, hi] of ranges) {
        const part = run(wasm, pass, { ...g, n: hi - lo }, a.subarray(lo * perA, hi * perA), b, `${label} images [${lo}, ${hi})`);
        expect(firstDifference(part, all.subarray(lo * perOut, hi * perOut)), `${label}: images [${lo}, ${hi}) alone vs in the batch`).toBe(-1);
      }
    }
    // Filter gradient over images [0, 4): the same call twice is bit-identical, and within
    // tolerance of the spec.
    const g4 = { ...g, n: Math.min(4, g.n) };
    const [nx, ndy] = sizes(g4, 'backwardFilter');
    const x = uniform(nx, 92);
    const dy = uniform(ndy, 93);
    const first = run(wasm, 'backwardFilter', g4, x, dy, `${c.name} backwardFilter`);
    const again = run(wasm, 'backwardFilter', g4, x, dy, `${c.name} backwardFilter again`);
    expect(firstDifference(first, again), `${c.name} backwardFilter: repeated call`).toBe(-1);
    checkPass(c, g4, 'backwardFilter', 94);
  });
});
