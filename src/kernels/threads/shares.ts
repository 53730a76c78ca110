// How each parallel kernel call is split among threads. A participant t of T runs the
// same kernel on its own part of the output (rows of C, images of a batch, a range of
// elements), so every output element is computed by exactly one thread, in the order a
// single thread would use: results are identical for any thread count. Pure code:
// main thread and workers (Node or browser) share it.
//
// Arguments travel in a Float64Array (exact for every i32, f32 and counter value); each
// op's comment lists their order, which is the kernel's own.

import type { KernelExports } from '../wasm.js';

export const Op = {
  sgemm: 1,
  sgemmBiasAct: 2,
  conv2dForward: 3,
  conv2dBackwardInput: 4,
  conv2dBackwardFilterChunks: 5,
  biasActForward: 6,
  actBackward: 7,
  randNormal: 8,
  randUniform: 9,
  adamStep: 10,
  add: 11,
  clip: 12,
  mseForward: 13,
  mseBackward: 14,
  bceLogitsForward: 15,
  bceLogitsBackward: 16,
  bceForward: 17,
  bceBackward: 18,
  maxpool2dForward: 19,
  maxpool2dBackward: 20,
  upsample2dForward: 21,
  upsample2dBackward: 22,
  /** A test-only op that traps in the wasm instance (to check error propagation). */
  trap: 99,
} as const;

/** Images per filter-gradient chunk: partial sums are added in chunk order (see conv.ts). */
export const FILTER_CHUNK = 16;

/** [lo, hi) of participant t among T over len items, lo a multiple of `align`. */
export function share(len: number, t: number, T: number, align = 1): [number, number] {
  const chunk = Math.ceil(len / T / align) * align;
  const lo = Math.min(len, t * chunk);
  return [lo, Math.min(len, lo + chunk)];
}

type Runner = (ex: KernelExports, a: Float64Array, t: number, T: number) => void;

/** Rows of an sgemm never drop to the unpacked few-rows path (m <= 4) when split. */
const FEW_ROWS = 4;

function gemmSplitRows(m: number, n: number, T: number): boolean {
  return m >= n && Math.floor(m / T) > FEW_ROWS;
}

// sgemm: ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc
const sgemm: Runner = (ex, a, t, T) => {
  const ta = a[0]!, tb = a[1]!, m = a[2]!, n = a[3]!, k = a[4]!, lda = a[7]!, ldb = a[9]!, ldc = a[12]!;
  if (gemmSplitRows(m, n, T)) {
    const [i0, i1] = share(m, t, T);
    if (i1 > i0) ex.sgemm(ta, tb, i1 - i0, n, k, a[5]!, a[6]! + (ta ? i0 : i0 * lda), lda, a[8]!, ldb, a[10]!, a[11]! + i0 * ldc, ldc);
  } else {
    const [j0, j1] = share(n, t, T, 8);
    if (j1 > j0) ex.sgemm(ta, tb, m, j1 - j0, k, a[5]!, a[6]!, lda, a[8]! + (tb ? j0 * ldb : j0), ldb, a[10]!, a[11]! + j0, ldc);
  }
};

// sgemmBiasAct: ta, tb, m, n, k, a, lda, b, ldb, c, ldc, bias, act, actAlpha
const sgemmBiasAct: Runner = (ex, a, t, T) => {
  const ta = a[0]!, tb = a[1]!, m = a[2]!, n = a[3]!, k = a[4]!, lda = a[6]!, ldb = a[8]!, ldc = a[10]!, bias = a[11]!;
  if (gemmSplitRows(m, n, T)) {
    const [i0, i1] = share(m, t, T);
    if (i1 > i0) ex.sgemmBiasAct(ta, tb, i1 - i0, n, k, a[5]! + (ta ? i0 : i0 * lda), lda, a[7]!, ldb, a[9]! + i0 * ldc, ldc, bias, a[12]!, a[13]!);
  } else {
    const [j0, j1] = share(n, t, T, 8);
    if (j1 > j0) {
      ex.sgemmBiasAct(ta, tb, m, j1 - j0, k, a[5]!, lda, a[7]! + (tb ? j0 * ldb : j0), ldb, a[9]! + j0, ldc, bias < 0 ? -1 : bias + j0, a[12]!, a[13]!);
    }
  }
};

// conv passes: p0, p1, p2, n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl
const conv2dForward: Runner = (ex, a, t, T) => {
  const [b0, b1] = share(a[3]!, t, T);
  if (b1 <= b0) return;
  const xs = a[4]! * a[5]! * a[6]!, ys = a[7]! * a[8]! * a[9]!;
  ex.conv2dForward(a[0]! + b0 * xs, a[1]!, a[2]! + b0 * ys, b1 - b0, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!);
};

const conv2dBackwardInput: Runner = (ex, a, t, T) => {
  const [b0, b1] = share(a[3]!, t, T);
  if (b1 <= b0) return;
  const xs = a[4]! * a[5]! * a[6]!, ys = a[7]! * a[8]! * a[9]!;
  ex.conv2dBackwardInput(a[0]! + b0 * ys, a[1]!, a[2]! + b0 * xs, b1 - b0, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!);
};

// Filter gradient by chunks: x, dy, partials, n, geometry...; chunk c's partial sum goes
// to partials + c * (kh kw cin cout). The caller adds the partials in chunk order.
const conv2dBackwardFilterChunks: Runner = (ex, a, t, T) => {
  const n = a[3]!;
  const chunks = Math.ceil(n / FILTER_CHUNK);
  const [c0, c1] = share(chunks, t, T);
  const xs = a[4]! * a[5]! * a[6]!, ys = a[7]! * a[8]! * a[9]!, ws = a[10]! * a[11]! * a[6]! * a[9]!;
  for (let c = c0; c < c1; c++) {
    const b0 = c * FILTER_CHUNK;
    const nb = Math.min(FILTER_CHUNK, n - b0);
    ex.conv2dBackwardFilter(a[0]! + b0 * xs, a[1]! + b0 * ys, a[2]! + c * ws, nb, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!);
  }
};

// biasActForward: x, bias, y, rows, cols, act, alpha
const biasActForward: Runner = (ex, a, t, T) => {
  const [r0, r1] = share(a[3]!, t, T);
  const cols = a[4]!;
  if (r1 > r0) ex.biasActForward(a[0]! + r0 * cols, a[1]!, a[2]! + r0 * cols, r1 - r0, cols, a[5]!, a[6]!);
};

/** An elementwise op over n elements at argument position `nAt`, pointers at `ptrs`. */
function elementwise(ptrs: readonly number[], nAt: number, call: (ex: KernelExports, a: Float64Array) => void): Runner {
  const local = new Float64Array(16);
  return (ex, a, t, T) => {
    const [i0, i1] = share(a[nAt]!, t, T, 4);
    if (i1 <= i0) return;
    local.set(a.subarray(0, 16));
    for (const p of ptrs) local[p] = a[p]! + i0;
    local[nAt] = i1 - i0;
    call(ex, local);
  };
}

/** A per-row op over `rows` at rowsAt with `cols` at colsAt; pointer args advance by r0 * cols, the output `outAt` by r0. */
function rowwise(ptrs: readonly number[], outAt: number, rowsAt: number, colsAt: number, call: (ex: KernelExports, a: Float64Array) => void): Runner {
  const local = new Float64Array(16);
  return (ex, a, t, T) => {
    const [r0, r1] = share(a[rowsAt]!, t, T);
    if (r1 <= r0) return;
    local.set(a.subarray(0, 16));
    for (const p of ptrs) local[p] = a[p]! + r0 * a[colsAt]!;
    local[outAt] = a[outAt]! + r0;
    local[rowsAt] = r1 - r0;
    call(ex, local);
  };
}

/** Pooling ops over images (n at nAt): the two tensors advance by their image sizes. */
function perImage(nAt: number, xSize: (a: Float64Array) => number, ySize: (a: Float64Array) => number, call: (ex: KernelExports, a: Float64Array) => void, third?: (a: Float64Array) => number): Runner {
  const local = new Float64Array(16);
  return (ex, a, t, T) => {
    const [b0, b1] = share(a[nAt]!, t, T);
    if (b1 <= b0) return;
    local.set(a.subarray(0, 16));
    local[0] = a[0]! + b0 * xSize(a);
    local[1] = a[1]! + b0 * ySize(a);
    if (third) local[2] = a[2]! + b0 * third(a);
    local[nAt] = b1 - b0;
    call(ex, local);
  };
}

export const RUNNERS: Readonly<Record<number, Runner>> = {
  [Op.sgemm]: sgemm,
  [Op.sgemmBiasAct]: sgemmBiasAct,
  [Op.conv2dForward]: conv2dForward,
  [Op.conv2dBackwardInput]: conv2dBackwardInput,
  [Op.conv2dBackwardFilterChunks]: conv2dBackwardFilterChunks,
  [Op.biasActForward]: biasActForward,
  // actBackward: y, dy, dx, n, act, alpha
  [Op.actBackward]: elementwise([0, 1, 2], 3, (ex, a) => ex.actBackward(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!)),
  // randNormal / randUniform: out, n, key, counter, p, q — the counter advances with the element.
  [Op.randNormal]: elementwise([0, 3], 1, (ex, a) => ex.randNormal(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!)),
  [Op.randUniform]: elementwise([0, 3], 1, (ex, a) => ex.randUniform(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!)),
  // adamStep: w, g, m, v, n, lrT, beta1, beta2, eps
  [Op.adamStep]: elementwise([0, 1, 2, 3], 4, (ex, a) => ex.adamStep(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!)),
  // add: a, b, out, n
  [Op.add]: elementwise([0, 1, 2], 3, (ex, a) => ex.add(a[0]!, a[1]!, a[2]!, a[3]!)),
  // clip: a, lo, hi, out, n
  [Op.clip]: elementwise([0, 3], 4, (ex, a) => ex.clip(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)),
  // loss forwards: p, t, out, rows, cols (out advances by rows)
  [Op.mseForward]: rowwise([0, 1], 2, 3, 4, (ex, a) => ex.mseForward(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)),
  [Op.bceForward]: rowwise([0, 1], 2, 3, 4, (ex, a) => ex.bceForward(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)),
  [Op.bceLogitsForward]: rowwise([0, 1], 2, 3, 4, (ex, a) => ex.bceLogitsForward(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)),
  // loss backwards: p, t, dp, n, scale
  [Op.mseBackward]: elementwise([0, 1, 2], 3, (ex, a) => ex.mseBackward(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)),
  [Op.bceBackward]: elementwise([0, 1, 2], 3, (ex, a) => ex.bceBackward(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)),
  [Op.bceLogitsBackward]: elementwise([0, 1, 2], 3, (ex, a) => ex.bceLogitsBackward(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)),
  // maxpool forward: x, y, n, ih, iw, c, oh, ow, ph, pw, sh, sw, pt, pl
  [Op.maxpool2dForward]: perImage(2, (a) => a[3]! * a[4]! * a[5]!, (a) => a[6]! * a[7]! * a[5]!, (ex, a) =>
    ex.maxpool2dForward(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!)),
  // maxpool backward: x, dy, dx, n, ih, iw, c, oh, ow, ph, pw, sh, sw, pt, pl
  [Op.maxpool2dBackward]: perImage(3, (a) => a[4]! * a[5]! * a[6]!, (a) => a[7]! * a[8]! * a[6]!, (ex, a) =>
    ex.maxpool2dBackward(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!), (a) => a[4]! * a[5]! * a[6]!),
  // upsample forward: x, y, n, h, w, c, sh, sw; backward: dy, dx, n, h, w, c, sh, sw
  [Op.upsample2dForward]: perImage(2, (a) => a[3]! * a[4]! * a[5]!, (a) => a[3]! * a[4]! * a[5]! * a[6]! * a[7]!, (ex, a) =>
    ex.upsample2dForward(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!)),
  [Op.upsample2dBackward]: perImage(2, (a) => a[3]! * a[4]! * a[5]! * a[6]! * a[7]!, (a) => a[3]! * a[4]! * a[5]!, (ex, a) =>
    ex.upsample2dBackward(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!)),
  [Op.trap]: (ex) => {
    // An offset far past the memory's end: the instance traps (a RuntimeError).
    ex.fill(0x7ffffff0, 16, 0);
  },
};
