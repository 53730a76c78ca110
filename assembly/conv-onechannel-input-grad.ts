// conv2dBackwardInput for one output channel. Geometry as in conv.ts. Each overwrites dx:
//   stride 1: dx[iy, ix, :] = Σ_{ky, kx} dy[iy + pt - ky, ix + pl - kx] w[ky, kx, :], a
//     one-input-channel convolution of dy with the kernel rotated 180 degrees, through
//     the plane kernel (conv-onechannel-plane.ts) over padded copies of dy;
//   otherwise (strided), tap by tap on dy in place, vectorised over input channels; a
//     tap that meets no output pixel reads the all-zero ZERO area instead of branching.
//
// Summation order: an output is summed in the same order wherever its pixel falls.

import { DUMP_FLOATS, PACK_A_FLOATS, TAB_ENTRIES, workPtr, zeroPtr } from './scratch';
import { madd } from './simd';
import { padImages } from './conv-copy';
import { blockOf } from './conv-onechannel-block';
import { packPlaneWeights, planeRow, planeTapOffsets } from './conv-onechannel-plane';

/** Whether convInputGradOneOutPlane handles this shape (cout = 1, stride 1). */
export function inputGradOneOutPlaneFits(n: i32, ih: i32, iw: i32, cin: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): bool {
  return sh == 1 && sw == 1 && pt >= 0 && pt < kh && pl >= 0 && pl < kw && (cin & 3) == 0 &&
    ((cin & 15) == 0 || (iw + 1) * 16 <= DUMP_FLOATS) && kh * kw <= TAB_ENTRIES &&
    ((cin + 15) >> 4) * kh * kw * 16 <= PACK_A_FLOATS && blockOf(n, <i64>(ih + kh - 1) * (iw + kw), 0) > 0;
}

/**
 * cout = 1, stride 1 input gradient: dx[iy, ix, :] = Σ_{ky, kx} dy[iy + pt - ky, ix + pl
 * - kx] w[ky, kx, :], a one-input-channel convolution of dy (padded by kh - 1 - pt rows
 * above, kw - 1 - pl columns left) with the kernel rotated 180 degrees (planeTaps).
 * Overwrites dx.
 */
export function convInputGradOneOutPlane(
  dy: usize, w: usize, dx: usize,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, kh: i32, kw: i32, pt: i32, pl: i32,
): void {
  const hp = ih + kh - 1;
  const wp = iw + kw;
  const rowBytes = <usize>wp << 2;
  const imageBytes = <usize>hp * rowBytes;
  const block = blockOf(n, <i64>hp * wp, 0);
  const nt = kh * kw;
  packPlaneWeights(w, nt, cin, true);
  planeTapOffsets(kh, kw, rowBytes);
  for (let b0 = 0; b0 < n; b0 += block) {
    const nb = min(block, n - b0);
    padImages(workPtr, dy, b0, nb, oh, ow, 1, hp, wp, kh - 1 - pt, kw - 1 - pl);
    for (let bl = 0; bl < nb; bl++) {
      for (let iy = 0; iy < ih; iy++) {
        const r = workPtr + <usize>bl * imageBytes + <usize>iy * rowBytes;
        planeRow(nt, r, 4, dx + (<usize>(((b0 + bl) * ih + iy) * iw * cin) << 2), iw, cin);
      }
    }
  }
}

/**
 * cout = 1 input gradient: dx[b, iy, ix, :] = Σ over taps with an output pixel of
 * dy[that pixel] · w[tap, :]: two input pixels of a row at a time, 16 channels (four
 * vectors) per pass sharing each load of w (cin a multiple of 4). Overwrites dx.
 */
export function convInputGradOneOut(
  dy: usize, w: usize, dx: usize,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const cinBytes = <usize>cin << 2;
  for (let c = 0; c < cin; c += 16) {
    const nv = min(4, (cin - c) >> 2);
    const o = <usize>c << 2;
    for (let b = 0; b < n; b++) {
      for (let iy = 0; iy < ih; iy++) {
        for (let ix = 0; ix < iw; ix += 2) {
          const two = ix + 1 < iw;
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
          let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
          for (let ky = 0; ky < kh; ky++) {
            // Input row iy meets output row oy through tap ky when oy sh - pt + ky = iy.
            const ty = iy + pt - ky;
            const oy = sh == 1 ? ty : ty / sh;
            const rowOk = ty >= 0 && ty - oy * sh == 0 && oy < oh;
            for (let kx = 0; kx < kw; kx++) {
              const wp = w + (<usize>((ky * kw + kx) * cin) << 2) + o;
              // Vectors beyond nv come from ZERO and are never stored.
              const w0 = v128.load(wp);
              const w1 = v128.load(nv > 1 ? wp + 16 : zeroPtr);
              const w2 = v128.load(nv > 2 ? wp + 32 : zeroPtr);
              const w3 = v128.load(nv > 3 ? wp + 48 : zeroPtr);
              const u = v128.load32_splat(gradAt(dy, rowOk, b, oy, ix + pl - kx, sw, oh, ow));
              a0 = madd(u, w0, a0); a1 = madd(u, w1, a1); a2 = madd(u, w2, a2); a3 = madd(u, w3, a3);
              const v = v128.load32_splat(two ? gradAt(dy, rowOk, b, oy, ix + 1 + pl - kx, sw, oh, ow) : zeroPtr);
              b0 = madd(v, w0, b0); b1 = madd(v, w1, b1); b2 = madd(v, w2, b2); b3 = madd(v, w3, b3);
            }
          }
          const dp = dx + ((<usize>((b * ih + iy) * iw + ix) * cin) << 2) + o;
          v128.store(dp, a0);
          if (nv > 1) v128.store(dp, a1, 16);
          if (nv > 2) v128.store(dp, a2, 32);
          if (nv > 3) v128.store(dp, a3, 48);
          if (two) {
            const dq = dp + cinBytes;
            v128.store(dq, b0);
            if (nv > 1) v128.store(dq, b1, 16);
            if (nv > 2) v128.store(dq, b2, 32);
            if (nv > 3) v128.store(dq, b3, 48);
          }
        }
      }
    }
  }
}

/** Address of dy[b, oy, tx / sw] when tx lands on an output column, else ZERO. */
@inline function gradAt(dy: usize, rowOk: bool, b: i32, oy: i32, tx: i32, sw: i32, oh: i32, ow: i32): usize {
  if (!rowOk || tx < 0) return zeroPtr;
  const ox = sw == 1 ? tx : tx / sw;
  return tx - ox * sw == 0 && ox < ow ? dy + (<usize>((b * oh + oy) * ow + ox) << 2) : zeroPtr;
}
