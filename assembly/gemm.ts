// sgemm: C[M,N] = alpha op(A) op(B) + beta C, row-major with leading dimensions, for all
// four transpose cases, and sgemmBiasAct: C = act(op(A) op(B) + bias) with the bias and
// activation fused into the epilogue while the tile is hot.
//
// BLIS-style blocking: for each NC-column block and KC-deep slice, op(B) is packed into
// 8-column panels ([k][8] contiguous, zero-padded), then for each MC-row block op(A) is
// packed into MR-row panels ([k][MR], zero-padded), and the MR x 8 micro-kernel runs over
// every panel pair. Packing absorbs the transposes, so one micro-kernel serves X·W
// (forward), Xᵀ·dY (weight gradient) and dY·Wᵀ (input gradient). A few rows (batch-1
// inference) skip packing: a row-times-matrix kernel streams B once.
// The convolutions' implicit GEMMs have micro-kernels of the same MR x 8 shape that read
// A through tables instead of packed panels (conv-tile.ts, conv-filter-grad-implicit.ts).

import { MR, NR, KC, MC, NC, tilePtr, packAPtr, packBPtr } from './scratch';
import { madd } from './simd';
import { biasActForward } from './elementwise';

/** Packs op(A)[i0 .. i0+mc, k0 .. k0+kc] into MR-row panels at dst. */
function packA(transA: i32, a: usize, lda: i32, i0: i32, mc: i32, k0: i32, kc: i32, dst: usize): void {
  const panelBytes = <usize>(MR * kc) << 2;
  for (let ip = 0; ip < mc; ip += MR) {
    const rows = min(MR, mc - ip);
    if (transA == 0 && rows == MR && kc >= 4) {
      // Four k at a time: four rows' vectors transposed by shuffles into four MR-groups
      // (rows 0-3 as one vector), the remaining rows stored lane by lane.
      const ldaBytes = <usize>lda << 2;
      const s0 = a + ((<usize>(i0 + ip) * lda + k0) << 2);
      const kc4 = kc & ~3;
      let d = dst;
      for (let k = 0; k < kc4; k += 4) {
        const o = <usize>k << 2;
        const r0 = v128.load(s0 + o);
        const r1 = v128.load(s0 + ldaBytes + o);
        const r2 = v128.load(s0 + 2 * ldaBytes + o);
        const r3 = v128.load(s0 + 3 * ldaBytes + o);
        const r4 = v128.load(s0 + 4 * ldaBytes + o);
        const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
        const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        const step = <usize>MR << 2;
        v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
        v128.store(d + step, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
        v128.store(d + 2 * step, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
        v128.store(d + 3 * step, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
        store<f32>(d + 16, f32x4.extract_lane(r4, 0));
        store<f32>(d + step + 16, f32x4.extract_lane(r4, 1));
        store<f32>(d + 2 * step + 16, f32x4.extract_lane(r4, 2));
        store<f32>(d + 3 * step + 16, f32x4.extract_lane(r4, 3));
        if (MR == 6) {
          const r5 = v128.load(s0 + 5 * ldaBytes + o);
          store<f32>(d + 20, f32x4.extract_lane(r5, 0));
          store<f32>(d + step + 20, f32x4.extract_lane(r5, 1));
          store<f32>(d + 2 * step + 20, f32x4.extract_lane(r5, 2));
          store<f32>(d + 3 * step + 20, f32x4.extract_lane(r5, 3));
        }
        d += 4 * step;
      }
      for (let k = kc4; k < kc; k++) {
        for (let r = 0; r < MR; r++) store<f32>(d + (<usize>r << 2), load<f32>(s0 + <usize>r * ldaBytes + (<usize>k << 2)));
        d += <usize>MR << 2;
      }
    } else if (transA == 0) {
      // A[i, k] at a + (i lda + k): each row walks along k, writing every MR-th float.
      for (let r = 0; r < MR; r++) {
        let d = dst + (<usize>r << 2);
        if (r < rows) {
          let s = a + ((<usize>(i0 + ip + r) * lda + k0) << 2);
          for (let k = 0; k < kc; k++) {
            store<f32>(d, load<f32>(s));
            s += 4;
            d += MR << 2;
          }
        } else {
          for (let k = 0; k < kc; k++) {
            store<f32>(d, 0);
            d += MR << 2;
          }
        }
      }
    } else {
      // A stored [K, M]: op(A)[i, k] = A[k, i]; the MR values of a k are contiguous.
      let d = dst;
      for (let k = 0; k < kc; k++) {
        const s = a + ((<usize>(k0 + k) * lda + i0 + ip) << 2);
        if (rows == MR) {
          v128.store(d, v128.load(s));
          if (MR == 6) store<u64>(d + 16, load<u64>(s + 16));
          else store<f32>(d + 16, load<f32>(s + 16));
        } else {
          for (let r = 0; r < MR; r++) store<f32>(d + (<usize>r << 2), r < rows ? load<f32>(s + (<usize>r << 2)) : 0);
        }
        d += MR << 2;
      }
    }
    dst += panelBytes;
  }
}

/** Packs op(B)[k0 .. k0+kc, j0 .. j0+nc] into 8-column panels at dst. */
function packB(transB: i32, b: usize, ldb: i32, k0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let jp = 0; jp < nc; jp += NR) {
    const cols = min(NR, nc - jp);
    if (transB == 0) {
      let d = dst;
      let s = b + ((<usize>k0 * ldb + j0 + jp) << 2);
      const ldbBytes = <usize>ldb << 2;
      if (cols == NR) {
        for (let k = 0; k < kc; k++) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
          s += ldbBytes;
          d += NR << 2;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let c = 0; c < NR; c++) store<f32>(d + (<usize>c << 2), c < cols ? load<f32>(s + (<usize>c << 2)) : 0);
          s += ldbBytes;
          d += NR << 2;
        }
      }
    } else {
      // B stored [N, K]: op(B)[k, j] = B[j, k]; each of the 8 columns is a row of B.
      for (let c = 0; c < NR; c++) {
        let d = dst + (<usize>c << 2);
        if (c < cols) {
          let s = b + ((<usize>(j0 + jp + c) * ldb + k0) << 2);
          for (let k = 0; k < kc; k++) {
            store<f32>(d, load<f32>(s));
            s += 4;
            d += NR << 2;
          }
        } else {
          for (let k = 0; k < kc; k++) {
            store<f32>(d, 0);
            d += NR << 2;
          }
        }
      }
    }
    dst += <usize>(NR * kc) << 2;
  }
}

/** C row of 8 = alpha acc + beta C (beta 0 never reads C). */
@inline function storeRow8(c: usize, lo: v128, hi: v128, al: v128, bt: v128, beta: f32): void {
  if (beta == 0) {
    v128.store(c, f32x4.mul(al, lo));
    v128.store(c, f32x4.mul(al, hi), 16);
  } else {
    v128.store(c, f32x4.add(f32x4.mul(al, lo), f32x4.mul(bt, v128.load(c))));
    v128.store(c, f32x4.add(f32x4.mul(al, hi), f32x4.mul(bt, v128.load(c, 16))), 16);
  }
}

/** A partial tile: TILE holds the MR x 8 accumulators; update the mr x nr corner of C. */
function storePartial(c: usize, ldc: i32, alpha: f32, beta: f32, mr: i32, nr: i32): void {
  const t = tilePtr;
  for (let r = 0; r < mr; r++) {
    const cr = c + ((<usize>r * ldc) << 2);
    const tr = t + (<usize>(r * NR) << 2);
    for (let j = 0; j < nr; j++) {
      const o = <usize>j << 2;
      const v = alpha * load<f32>(tr + o);
      store<f32>(cr + o, beta == 0 ? v : v + beta * load<f32>(cr + o));
    }
  }
}

/**
 * The MR x 8 micro-kernel: acc = Apanel[kc x MR]ᵀ Bpanel[kc x 8]; then C = alpha acc +
 * beta C on the mr x nr corner. Registers: 2 MR accumulators + 2 B vectors + 1 broadcast,
 * plus a product with mul + add: 15 of V8's 15 at MR = 6 (relaxed build, FMA), 14 at
 * MR = 5 (baseline build). Rows past 5 sit under `MR > 5`, a compile-time constant that
 * Binaryen folds away. Not @inline: inlining it into the blocking loops halves its speed
 * in V8.
 */
export function sgemmMicro(kc: i32, a: usize, b: usize, c: usize, ldc: i32, alpha: f32, beta: f32, mr: i32, nr: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    av = v128.load32_splat(a, 16);
    c40 = madd(av, b0, c40); c41 = madd(av, b1, c41);
    if (MR > 5) {
      av = v128.load32_splat(a, 20);
      c50 = madd(av, b0, c50); c51 = madd(av, b1, c51);
    }
    a += <usize>MR << 2;
    b += 32;
  }
  const al = f32x4.splat(alpha);
  const bt = f32x4.splat(beta);
  if (mr == MR && nr == NR) {
    const ld = <usize>ldc << 2;
    storeRow8(c, c00, c01, al, bt, beta); c += ld;
    storeRow8(c, c10, c11, al, bt, beta); c += ld;
    storeRow8(c, c20, c21, al, bt, beta); c += ld;
    storeRow8(c, c30, c31, al, bt, beta); c += ld;
    if (MR > 5) {
      storeRow8(c, c40, c41, al, bt, beta); c += ld;
      storeRow8(c, c50, c51, al, bt, beta);
    } else {
      storeRow8(c, c40, c41, al, bt, beta);
    }
    return;
  }
  const t = tilePtr;
  v128.store(t, c00, 0); v128.store(t, c01, 16);
  v128.store(t, c10, 32); v128.store(t, c11, 48);
  v128.store(t, c20, 64); v128.store(t, c21, 80);
  v128.store(t, c30, 96); v128.store(t, c31, 112);
  v128.store(t, c40, 128); v128.store(t, c41, 144);
  if (MR > 5) {
    v128.store(t, c50, 160); v128.store(t, c51, 176);
  }
  storePartial(c, ldc, alpha, beta, mr, nr);
}

/**
 * Rows this few skip packing (the packing of B would cost as much as the product). The
 * thread pool splits such calls by columns instead, so it reads this from the module.
 */
export const FEW_ROWS = 4;

/**
 * C = alpha A B + beta C for a few rows of A (A and B not transposed): for each block of
 * 16 columns, four accumulators per row walk B's rows once. Tails of N go scalar.
 */
function sgemmFewRows(m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32): void {
  const ldbBytes = <usize>ldb << 2;
  const n16 = n & ~15;
  const al = f32x4.splat(alpha);
  const bt = f32x4.splat(beta);
  for (let i = 0; i < m; i++) {
    const arow = a + ((<usize>i * lda) << 2);
    const crow = c + ((<usize>i * ldc) << 2);
    for (let j = 0; j < n16; j += 16) {
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
      let bp = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        const av = v128.load32_splat(arow + (<usize>p << 2));
        c0 = madd(av, v128.load(bp), c0);
        c1 = madd(av, v128.load(bp, 16), c1);
        c2 = madd(av, v128.load(bp, 32), c2);
        c3 = madd(av, v128.load(bp, 48), c3);
        bp += ldbBytes;
      }
      const cp = crow + (<usize>j << 2);
      storeRow8(cp, c0, c1, al, bt, beta);
      storeRow8(cp + 32, c2, c3, al, bt, beta);
    }
    for (let j = n16; j < n; j++) {
      let s: f32 = 0;
      let bp = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        s += load<f32>(arow + (<usize>p << 2)) * load<f32>(bp);
        bp += ldbBytes;
      }
      const cp = crow + (<usize>j << 2);
      store<f32>(cp, beta == 0 ? alpha * s : alpha * s + beta * load<f32>(cp));
    }
  }
}

/** C = alpha op(A) op(B) + beta C; beta 0 never reads C. */
export function sgemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: i32, lda: i32, b: i32, ldb: i32, beta: f32, c: i32, ldc: i32,
): void {
  gemm(transA, transB, m, n, k, alpha, <usize>a << 2, lda, <usize>b << 2, ldb, beta, <usize>c << 2, ldc, -1, 0, 0, true);
}

/**
 * sgemm that computes every row of C the same way whatever m is: never the few-rows path
 * (its single chain over k differs from the packed kernel's KC slices once k > KC). For
 * callers whose rows must not depend on how many there are (a convolution's pixels).
 */
export function sgemmUniform(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: i32, lda: i32, b: i32, ldb: i32, beta: f32, c: i32, ldc: i32,
): void {
  gemm(transA, transB, m, n, k, alpha, <usize>a << 2, lda, <usize>b << 2, ldb, beta, <usize>c << 2, ldc, -1, 0, 0, false);
}

/** C = act(op(A) op(B) + bias) (bias < 0: none); act codes as biasActForward. */
export function sgemmBiasAct(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  a: i32, lda: i32, b: i32, ldb: i32, c: i32, ldc: i32, bias: i32, act: i32, actAlpha: f32,
): void {
  gemm(transA, transB, m, n, k, 1.0, <usize>a << 2, lda, <usize>b << 2, ldb, 0.0, <usize>c << 2, ldc, bias, act, actAlpha, true);
}

/** Applies bias[j ..] and activation to the mr x nr block at c (rows ldc apart), in place. */
function epilogue(c: usize, ldc: i32, mr: i32, nr: i32, bias: i32, j: i32, act: i32, actAlpha: f32): void {
  const b = bias < 0 ? -1 : bias + j;
  const first = <i32>(c >> 2);
  if (ldc == nr) {
    biasActForward(first, b, first, mr, nr, act, actAlpha);
    return;
  }
  for (let r = 0; r < mr; r++) biasActForward(first + r * ldc, b, first + r * ldc, 1, nr, act, actAlpha);
}

function gemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  ap: usize, lda: i32, bp: usize, ldb: i32, beta: f32, cp: usize, ldc: i32,
  bias: i32, act: i32, actAlpha: f32, fewRows: bool,
): void {
  if (m <= 0 || n <= 0) return;
  const fused = bias >= 0 || act != 0;
  if (k <= 0 || alpha == 0) {
    scaleC(cp, m, n, ldc, beta);
    if (fused) epilogue(cp, ldc, m, n, bias, 0, act, actAlpha);
    return;
  }
  if (fewRows && m <= FEW_ROWS && transA == 0 && transB == 0) {
    sgemmFewRows(m, n, k, alpha, ap, lda, bp, ldb, beta, cp, ldc);
    if (fused) epilogue(cp, ldc, m, n, bias, 0, act, actAlpha);
    return;
  }
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = min(NC, n - j0);
    // Equal k-slices (784 = 4 x 196, not 3 x 256 + 16): a short last slice costs a
    // whole packing pass and a micro-kernel call per tile for little work.
    const slices = (k + KC - 1) / KC;
    const kstep = (k + slices - 1) / slices;
    for (let k0 = 0; k0 < k; k0 += kstep) {
      const kc = min(kstep, k - k0);
      const betaEff: f32 = k0 == 0 ? beta : 1.0;
      const last = k0 + kc >= k;
      packB(transB, bp, ldb, k0, kc, j0, nc, packBPtr);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = min(MC, m - i0);
        packA(transA, ap, lda, i0, mc, k0, kc, packAPtr);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bPanel = packBPtr + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const cTile = cp + ((<usize>(i0 + ir) * ldc + j0 + jr) << 2);
            const aPanel = packAPtr + (<usize>(ir * kc) << 2);
            sgemmMicro(kc, aPanel, bPanel, cTile, ldc, alpha, betaEff, mr, nr);
          }
        }
        // The block's rows are still in cache: finish them now.
        if (fused && last) epilogue(cp + ((<usize>i0 * ldc + j0) << 2), ldc, mc, nc, bias, j0, act, actAlpha);
      }
    }
  }
}

/** C = beta C (beta 0 writes zeros without reading C). */
function scaleC(c: usize, m: i32, n: i32, ldc: i32, beta: f32): void {
  if (beta == 1) return;
  for (let i = 0; i < m; i++) {
    const row = c + ((<usize>i * ldc) << 2);
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, beta == 0 ? 0 : beta * load<f32>(row + o));
    }
  }
}
