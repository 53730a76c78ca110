// sgemm: C[M,N] = alpha op(A) op(B) + beta C, row-major with leading dimensions, for all
// four transpose cases. BLIS-style blocking: for each NC-column block and KC-deep slice,
// op(B) is packed into 8-column panels ([k][8] contiguous, zero-padded), then for each
// MC-row block op(A) is packed into 6-row panels ([k][6], zero-padded), and the 6x8
// micro-kernel runs over every panel pair. Packing absorbs the transposes, so one
// micro-kernel serves X·W (forward), Xᵀ·dY (weight gradient) and dY·Wᵀ (input gradient).

import { MR, NR, KC, MC, NC, tilePtr, packAPtr, packBPtr } from './scratch';

/** Packs op(A)[i0 .. i0+mc, k0 .. k0+kc] into 6-row panels at dst. */
function packA(transA: i32, a: usize, lda: i32, i0: i32, mc: i32, k0: i32, kc: i32, dst: usize): void {
  for (let ip = 0; ip < mc; ip += MR) {
    const rows = min(MR, mc - ip);
    if (transA == 0) {
      // A[i, k] at a + (i lda + k): six row pointers walk along k.
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
      // A stored [K, M]: op(A)[i, k] = A[k, i]; the six values of a k are contiguous.
      let d = dst;
      for (let k = 0; k < kc; k++) {
        const s = a + ((<usize>(k0 + k) * lda + i0 + ip) << 2);
        if (rows == MR) {
          v128.store(d, v128.load(s));
          store<u64>(d + 16, load<u64>(s + 16));
        } else {
          for (let r = 0; r < MR; r++) store<f32>(d + (<usize>r << 2), r < rows ? load<f32>(s + (<usize>r << 2)) : 0);
        }
        d += MR << 2;
      }
    }
    dst += <usize>(MR * kc) << 2;
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

/**
 * The 6x8 micro-kernel: 12 accumulators + 2 B vectors + 1 broadcast = 15 live v128,
 * V8's limit on x64. acc = Apanel[kc x 6]ᵀ Bpanel[kc x 8]; then C = alpha acc + beta C
 * (beta 0 never reads C). A partial tile (mr < 6 or nr < 8) goes through TILE.
 * Not @inline: inlining it into the blocking loops halves its speed in V8.
 */
function sgemmMicro6x8(kc: i32, a: usize, b: usize, c: usize, ldc: i32, alpha: f32, beta: f32, mr: i32, nr: i32): void {
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
    c00 = f32x4.add(c00, f32x4.mul(av, b0));
    c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(av, b0));
    c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(av, b0));
    c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(av, b0));
    c31 = f32x4.add(c31, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 16);
    c40 = f32x4.add(c40, f32x4.mul(av, b0));
    c41 = f32x4.add(c41, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 20);
    c50 = f32x4.add(c50, f32x4.mul(av, b0));
    c51 = f32x4.add(c51, f32x4.mul(av, b1));
    a += MR << 2;
    b += NR << 2;
  }
  const al = f32x4.splat(alpha);
  if (mr == MR && nr == NR) {
    const ldcBytes = <usize>ldc << 2;
    if (beta == 0) {
      v128.store(c, f32x4.mul(al, c00)); v128.store(c, f32x4.mul(al, c01), 16); c += ldcBytes;
      v128.store(c, f32x4.mul(al, c10)); v128.store(c, f32x4.mul(al, c11), 16); c += ldcBytes;
      v128.store(c, f32x4.mul(al, c20)); v128.store(c, f32x4.mul(al, c21), 16); c += ldcBytes;
      v128.store(c, f32x4.mul(al, c30)); v128.store(c, f32x4.mul(al, c31), 16); c += ldcBytes;
      v128.store(c, f32x4.mul(al, c40)); v128.store(c, f32x4.mul(al, c41), 16); c += ldcBytes;
      v128.store(c, f32x4.mul(al, c50)); v128.store(c, f32x4.mul(al, c51), 16);
    } else {
      const bt = f32x4.splat(beta);
      v128.store(c, f32x4.add(f32x4.mul(al, c00), f32x4.mul(bt, v128.load(c))));
      v128.store(c, f32x4.add(f32x4.mul(al, c01), f32x4.mul(bt, v128.load(c, 16))), 16); c += ldcBytes;
      v128.store(c, f32x4.add(f32x4.mul(al, c10), f32x4.mul(bt, v128.load(c))));
      v128.store(c, f32x4.add(f32x4.mul(al, c11), f32x4.mul(bt, v128.load(c, 16))), 16); c += ldcBytes;
      v128.store(c, f32x4.add(f32x4.mul(al, c20), f32x4.mul(bt, v128.load(c))));
      v128.store(c, f32x4.add(f32x4.mul(al, c21), f32x4.mul(bt, v128.load(c, 16))), 16); c += ldcBytes;
      v128.store(c, f32x4.add(f32x4.mul(al, c30), f32x4.mul(bt, v128.load(c))));
      v128.store(c, f32x4.add(f32x4.mul(al, c31), f32x4.mul(bt, v128.load(c, 16))), 16); c += ldcBytes;
      v128.store(c, f32x4.add(f32x4.mul(al, c40), f32x4.mul(bt, v128.load(c))));
      v128.store(c, f32x4.add(f32x4.mul(al, c41), f32x4.mul(bt, v128.load(c, 16))), 16); c += ldcBytes;
      v128.store(c, f32x4.add(f32x4.mul(al, c50), f32x4.mul(bt, v128.load(c))));
      v128.store(c, f32x4.add(f32x4.mul(al, c51), f32x4.mul(bt, v128.load(c, 16))), 16);
    }
    return;
  }
  const t = tilePtr;
  v128.store(t, c00, 0); v128.store(t, c01, 16);
  v128.store(t, c10, 32); v128.store(t, c11, 48);
  v128.store(t, c20, 64); v128.store(t, c21, 80);
  v128.store(t, c30, 96); v128.store(t, c31, 112);
  v128.store(t, c40, 128); v128.store(t, c41, 144);
  v128.store(t, c50, 160); v128.store(t, c51, 176);
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

/** C = alpha op(A) op(B) + beta C. */
export function sgemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: i32, lda: i32, b: i32, ldb: i32, beta: f32, c: i32, ldc: i32,
): void {
  if (m <= 0 || n <= 0) return;
  const ap = <usize>a << 2;
  const bp = <usize>b << 2;
  const cp = <usize>c << 2;
  if (k <= 0 || alpha == 0) {
    scaleC(cp, m, n, ldc, beta);
    return;
  }
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = min(NC, n - j0);
    for (let k0 = 0; k0 < k; k0 += KC) {
      const kc = min(KC, k - k0);
      const betaEff: f32 = k0 == 0 ? beta : 1.0;
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
            sgemmMicro6x8(kc, packAPtr + (<usize>(ir * kc) << 2), bPanel, cTile, ldc, alpha, betaEff, mr, nr);
          }
        }
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
