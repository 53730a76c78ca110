// conv2dForward for one-channel layers, where lowering to a GEMM wastes most of the
// micro-kernel (one output channel fills 1 of its 8 columns) and im2col copies one float
// per tap (one input channel). Geometry as in conv.ts (NHWC input [n, ih, iw, cin], HWIO
// kernel, output [n, oh, ow, cout]). Each overwrites y:
//   cout = 1 over a padded block: dot products of three pixels' patches with w (dotMicro3);
//   cout = 1 in place, tap by tap, when the padded kernel does not fit (kw cin not a
//     multiple of 8, or an image too large for WORK): a tap in the padding reads ZERO;
//   cin = 1 over padded planes: the plane kernel (conv-onechannel-plane.ts).
//
// V8 constraints that shaped the micro-kernels (each measured about 2x): it hoists every
// load of a loop iteration above the iteration's arithmetic, so loaded values count
// against the 15 vector registers together with the accumulators (hence three pixels,
// not four, in dotMicro3); and Binaryen inlines a function with one call site.
//
// Summation order: an output is summed in the same order wherever its pixel falls.

import { DUMP_FLOATS, PACK_A_FLOATS, TAB_ENTRIES, ZERO_FLOATS, dumpPtr, workPtr, zeroPtr } from './scratch';
import { hsum, madd } from './simd';
import { padImages } from './conv-copy';
import { blockOf } from './conv-onechannel-block';
import { packPlaneWeights, planeRow, planeTapOffsets } from './conv-onechannel-plane';

/** Channels a direct kernel may read through the ZERO area. */
export const DIRECT_MAX_CHANNELS: i32 = ZERO_FLOATS;

/** Address of x[b, iy, ix, 0], or ZERO when (iy, ix) lies in the padding. */
@inline function at(x: usize, b: i32, iy: i32, ix: i32, ih: i32, iw: i32, c: i32): usize {
  return iy >= 0 && iy < ih && ix >= 0 && ix < iw ? x + ((<usize>((b * ih + iy) * iw + ix) * c) << 2) : zeroPtr;
}

// ---- cout = 1 over a padded block ------------------------------------------------------

/**
 * cout = 1 forward micro-kernel: for ng groups of three pixels, the pixels' dot products
 * with w over nk pairs of vectors: pixel g reads pair i at pTab[g] + offs[i] (byte
 * offsets), w pair i at w + 32 i; y of pixel g goes to out + 4g. Two accumulators per
 * pixel (even and odd vectors of the pair). V8 hoists every load of an iteration above
 * its arithmetic, so an iteration holds 6 accumulators + 2 kernel vectors + 6 loaded
 * vectors (four pixels would need 18 registers and spill).
 */
export function dotMicro3(ng: i32, nk: i32, offs: usize, w: usize, pTab: usize, out: usize): void {
  for (let g = 0; g < ng; g++) {
    const p0 = load<usize>(pTab), p1 = load<usize>(pTab, 4), p2 = load<usize>(pTab, 8);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
    let e0 = f32x4.splat(0), e1 = f32x4.splat(0), e2 = f32x4.splat(0);
    let o = offs;
    let wp = w;
    for (let i = 0; i < nk; i++) {
      const off = load<usize>(o);
      const w0 = v128.load(wp);
      const w1 = v128.load(wp, 16);
      const q0 = p0 + off, q1 = p1 + off, q2 = p2 + off;
      a0 = madd(v128.load(q0), w0, a0); e0 = madd(v128.load(q0, 16), w1, e0);
      a1 = madd(v128.load(q1), w0, a1); e1 = madd(v128.load(q1, 16), w1, e1);
      a2 = madd(v128.load(q2), w0, a2); e2 = madd(v128.load(q2, 16), w1, e2);
      o += 4;
      wp += 32;
    }
    store<f32>(out, hsum(f32x4.add(a0, e0)));
    store<f32>(out, hsum(f32x4.add(a1, e1)), 4);
    store<f32>(out, hsum(f32x4.add(a2, e2)), 8);
    pTab += 12;
    out += 12;
  }
}

/** Whether convForwardOneOutPadded handles this shape. */
export function forwardOneOutPaddedFits(n: i32, cin: i32, oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): bool {
  const hp = (oh - 1) * sh + kh;
  const wp = (ow - 1) * sw + kw;
  const pairs = kh * kw * cin / 8;
  return pt >= 0 && pl >= 0 && ((kw * cin) & 7) == 0 && blockOf(n, <i64>hp * wp * cin + <i64>oh * ow, <i64>pairs + 8) > 0;
}

/**
 * cout = 1 forward: y[p] = Σ over the patch of x · w, as dot products of
 * three pixels at a time with w (dotMicro3), the patches read from a
 * padded block. Overwrites y. Each pixel's sum runs in the same order wherever it falls.
 */
export function convForwardOneOutPadded(
  x: usize, w: usize, y: usize,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const hp = (oh - 1) * sh + kh;
  const wp = (ow - 1) * sw + kw;
  const cinBytes = <usize>cin << 2;
  const rowBytes = <usize>wp * cinBytes;
  const imageBytes = <usize>hp * rowBytes;
  const run = kw * cin;
  const pairsPerRow = run >> 3;
  const nk = kh * pairsPerRow;
  const block = blockOf(n, <i64>hp * wp * cin + <i64>oh * ow, <i64>nk + 8);
  const pad = workPtr;
  const offs = pad + <usize>block * imageBytes;
  const pTab = offs + (<usize>nk << 2);
  // Pair i of a patch: kernel row i / pairsPerRow, vectors 2 (i % pairsPerRow) .. of that row.
  let o = offs;
  for (let ky = 0; ky < kh; ky++) {
    for (let j = 0; j < pairsPerRow; j++) {
      store<usize>(o, <usize>ky * rowBytes + (<usize>j << 5));
      o += 4;
    }
  }
  for (let b0 = 0; b0 < n; b0 += block) {
    const nb = min(block, n - b0);
    padImages(pad, x, b0, nb, ih, iw, cin, hp, wp, pt, pl);
    let t = pTab;
    for (let bl = 0; bl < nb; bl++) {
      for (let oy = 0; oy < oh; oy++) {
        let ap = pad + <usize>bl * imageBytes + <usize>(oy * sh) * rowBytes;
        for (let ox = 0; ox < ow; ox++) {
          store<usize>(t, ap);
          ap += <usize>sw * cinBytes;
          t += 4;
        }
      }
    }
    const np = nb * oh * ow;
    const ng = np / 3;
    const yBlock = y + (<usize>(b0 * oh * ow) << 2);
    dotMicro3(ng, nk, offs, w, pTab, yBlock);
    if (ng * 3 < np) {
      // The last one or two pixels: a group padded with the first pixel, through DUMP.
      const last = pTab + (<usize>(ng * 3) << 2);
      for (let r = np - ng * 3; r < 3; r++) store<usize>(last + (<usize>r << 2), load<usize>(pTab));
      dotMicro3(1, nk, offs, w, last, dumpPtr);
      for (let r = 0; r < np - ng * 3; r++) store<f32>(yBlock + (<usize>(ng * 3 + r) << 2), load<f32>(dumpPtr + (<usize>r << 2)));
    }
  }
}

// ---- cout = 1 in place -------------------------------------------------------------------

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

// ---- cin = 1 over padded planes ---------------------------------------------------------

/** Whether convForwardOneInPlane handles this shape (cin = 1). */
export function forwardOneInPlaneFits(n: i32, oh: i32, ow: i32, cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): bool {
  const hp = (oh - 1) * sh + kh;
  const wp = ow * sw + kw;
  return pt >= 0 && pl >= 0 && (cout & 3) == 0 && ((cout & 15) == 0 || (ow + 1) * 16 <= DUMP_FLOATS) && kh * kw <= TAB_ENTRIES &&
    ((cout + 15) >> 4) * kh * kw * 16 <= PACK_A_FLOATS && blockOf(n, <i64>hp * wp, 0) > 0;
}

/** cin = 1 forward over padded planes (planeTaps, 16 output channels per pass). Overwrites y. */
export function convForwardOneInPlane(
  x: usize, w: usize, y: usize,
  n: i32, ih: i32, iw: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const hp = (oh - 1) * sh + kh;
  // Slack columns: an odd row's last pair reads one pixel further.
  const wp = ow * sw + kw;
  const rowBytes = <usize>wp << 2;
  const imageBytes = <usize>hp * rowBytes;
  const block = blockOf(n, <i64>hp * wp, 0);
  const nt = kh * kw;
  packPlaneWeights(w, nt, cout, false);
  planeTapOffsets(kh, kw, rowBytes);
  for (let b0 = 0; b0 < n; b0 += block) {
    const nb = min(block, n - b0);
    padImages(workPtr, x, b0, nb, ih, iw, 1, hp, wp, pt, pl);
    for (let bl = 0; bl < nb; bl++) {
      for (let oy = 0; oy < oh; oy++) {
        const r = workPtr + <usize>bl * imageBytes + <usize>(oy * sh) * rowBytes;
        planeRow(nt, r, <usize>sw << 2, y + (<usize>(((b0 + bl) * oh + oy) * ow * cout) << 2), ow, cout);
      }
    }
  }
}
