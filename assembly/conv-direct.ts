// Direct convolutions with one output channel, tap by tap on the input in place: the
// forward when conv-direct-padded.ts's pair-of-vectors kernel does not fit (kw cin not a
// multiple of 8, or an image too large for WORK) and the strided input gradient,
// vectorised over input channels. Geometry as in conv.ts (NHWC input [n, ih, iw, cin],
// HWIO kernel, output [n, oh, ow, cout]). A tap that falls in the padding reads the
// all-zero ZERO area instead of branching. Every output element is summed in a fixed
// order (taps, then channels), so results do not depend on how pixels are grouped.

import { zeroPtr, ZERO_FLOATS } from './scratch';
import { hsum, madd } from './simd';

/** Channels a direct kernel may read through the ZERO area. */
export const DIRECT_MAX_CHANNELS: i32 = ZERO_FLOATS;

/** Address of x[b, iy, ix, 0], or ZERO when (iy, ix) lies in the padding. */
@inline function at(x: usize, b: i32, iy: i32, ix: i32, ih: i32, iw: i32, c: i32): usize {
  return iy >= 0 && iy < ih && ix >= 0 && ix < iw ? x + ((<usize>((b * ih + iy) * iw + ix) * c) << 2) : zeroPtr;
}

/**
 * cout = 1 forward: y[b, oy, ox] = Σ over taps and ci of x · w, four output pixels of a
 * row at a time sharing each load of w. Overwrites y.
 */
export function convForwardOneOut(
  x: usize, w: usize, y: usize,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const c4 = cin & ~3;
  // Columns whose taps all lie inside the input: ox sw - pl >= 0, ox sw - pl + kw <= iw.
  const oxLo = min(ow, (pl + sw - 1) / sw);
  const oxHi = max(oxLo, min(ow, iw - kw + pl >= 0 ? (iw - kw + pl) / sw + 1 : 0));
  const fast = (cin & 3) == 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const yrow = y + (<usize>((b * oh + oy) * ow) << 2);
      for (let ox = 0; ox < ow; ) {
        if (fast && ox >= oxLo && ox + 4 <= oxHi) {
          forwardOneOutInterior(x, w, yrow + (<usize>ox << 2), b, oy, ox, ih, iw, cin, kh, kw, sh, sw, pt, pl);
          ox += 4;
          continue;
        }
        // Up to four pixels by taps: the left border, or what the interior groups leave.
        const np = ox < oxLo ? min(4, oxLo - ox) : min(4, ow - ox);
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky;
          for (let kx = 0; kx < kw; kx++) {
            const wp = w + (<usize>((ky * kw + kx) * cin) << 2);
            const ix = ox * sw - pl + kx;
            const p0 = at(x, b, iy, ix, ih, iw, cin);
            const p1 = np > 1 ? at(x, b, iy, ix + sw, ih, iw, cin) : zeroPtr;
            const p2 = np > 2 ? at(x, b, iy, ix + 2 * sw, ih, iw, cin) : zeroPtr;
            const p3 = np > 3 ? at(x, b, iy, ix + 3 * sw, ih, iw, cin) : zeroPtr;
            for (let c = 0; c < c4; c += 4) {
              const o = <usize>c << 2;
              const wv = v128.load(wp + o);
              a0 = madd(v128.load(p0 + o), wv, a0);
              a1 = madd(v128.load(p1 + o), wv, a1);
              a2 = madd(v128.load(p2 + o), wv, a2);
              a3 = madd(v128.load(p3 + o), wv, a3);
            }
            for (let c = c4; c < cin; c++) {
              const o = <usize>c << 2;
              const wv = load<f32>(wp + o);
              s0 += load<f32>(p0 + o) * wv;
              s1 += load<f32>(p1 + o) * wv;
              s2 += load<f32>(p2 + o) * wv;
              s3 += load<f32>(p3 + o) * wv;
            }
          }
        }
        const yp = yrow + (<usize>ox << 2);
        store<f32>(yp, hsum(a0) + s0);
        if (np > 1) store<f32>(yp, hsum(a1) + s1, 4);
        if (np > 2) store<f32>(yp, hsum(a2) + s2, 8);
        if (np > 3) store<f32>(yp, hsum(a3) + s3, 12);
        ox += np;
      }
    }
  }
}

/**
 * Four output pixels whose taps all lie inside the input columns: for each kernel row a
 * pixel's taps are one contiguous run of kw cin floats, as are w's, so one pointer per
 * pixel walks them. (Its summation order differs from the per-tap path's; which path a
 * pixel takes depends only on its position, so results stay fixed.)
 */
function forwardOneOutInterior(
  x: usize, w: usize, yp: usize, b: i32, oy: i32, ox: i32,
  ih: i32, iw: i32, cin: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  // Two accumulators per pixel (even and odd vectors of the run) halve the dependency
  // chains through the adds, which otherwise bound the loop.
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let e0 = f32x4.splat(0), e1 = f32x4.splat(0), e2 = f32x4.splat(0), e3 = f32x4.splat(0);
  const run = <usize>(kw * cin) << 2;
  const run2 = run & ~(<usize>31);
  const step = <usize>(sw * cin) << 2;
  for (let ky = 0; ky < kh; ky++) {
    const iy = oy * sh - pt + ky;
    if (iy < 0 || iy >= ih) continue;
    const p0 = x + ((<usize>((b * ih + iy) * iw + ox * sw - pl) * cin) << 2);
    const p1 = p0 + step;
    const p2 = p1 + step;
    const p3 = p2 + step;
    const wp = w + <usize>ky * run;
    let o: usize = 0;
    for (; o < run2; o += 32) {
      let wv = v128.load(wp + o);
      a0 = madd(v128.load(p0 + o), wv, a0);
      a1 = madd(v128.load(p1 + o), wv, a1);
      a2 = madd(v128.load(p2 + o), wv, a2);
      a3 = madd(v128.load(p3 + o), wv, a3);
      wv = v128.load(wp + o, 16);
      e0 = madd(v128.load(p0 + o, 16), wv, e0);
      e1 = madd(v128.load(p1 + o, 16), wv, e1);
      e2 = madd(v128.load(p2 + o, 16), wv, e2);
      e3 = madd(v128.load(p3 + o, 16), wv, e3);
    }
    if (o < run) {
      const wv = v128.load(wp + o);
      a0 = madd(v128.load(p0 + o), wv, a0);
      a1 = madd(v128.load(p1 + o), wv, a1);
      a2 = madd(v128.load(p2 + o), wv, a2);
      a3 = madd(v128.load(p3 + o), wv, a3);
    }
  }
  store<f32>(yp, hsum(f32x4.add(a0, e0)));
  store<f32>(yp, hsum(f32x4.add(a1, e1)), 4);
  store<f32>(yp, hsum(f32x4.add(a2, e2)), 8);
  store<f32>(yp, hsum(f32x4.add(a3, e3)), 12);
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
