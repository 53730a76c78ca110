// Direct convolutions for one-channel layers over zero-padded copies of the input, where
// lowering to a GEMM wastes most of the micro-kernel (one output channel fills 1 of its
// 8 columns) and im2col copies one float per tap (one input channel). Geometry as in
// conv.ts (NHWC input [n, ih, iw, cin], HWIO kernel, output [n, oh, ow, cout]).
//   cout = 1 forward: dot products of three pixels' patches with w (dotMicro3);
//   cout = 1 filter gradient: 12 vectors of a patch row x dy (filterMicro12x1);
//   cin = 1 forward, and the cout = 1, stride-1 input gradient (a one-input-channel
//     convolution of dy with the rotated kernel): taps of a plane x 16 output channels
//     (planeTaps);
//   cin = 1 filter gradient: three taps x 16 channels of dy (filterMicro3x16).
// Images go through in blocks copied zero-padded into WORK (conv-copy.ts), so the loops
// have no bounds checks; pixels are found through tables of byte offsets. conv-direct.ts
// keeps per-tap kernels for the shapes these do not take.
//
// V8 constraints that shaped the micro-kernels (each measured about 2x): it hoists every
// load of a loop iteration above the iteration's arithmetic, so loaded values count
// against the 15 vector registers together with the accumulators (hence three pixels,
// not four, in dotMicro3); it sinks the arithmetic of a conditionally stored value into
// the branch (hence unconditional stores, and partial channel blocks through DUMP); and
// Binaryen inlines a function with one call site, so each micro-kernel has two.
//
// Summation order: a forward or input-gradient output is summed in the same order
// wherever its pixel falls; a filter gradient sums over the call's images in order.

import {
  DUMP_FLOATS, KC, NC, PACK_A_FLOATS, TAB_ENTRIES, WORK_FLOATS, dumpPtr, packAPtr, packBPtr, tabPtr, workPtr,
} from './scratch';
import { hsum, madd } from './simd';
import { blockImages, padImages } from './conv-copy';

/** Bytes of padded images per block: they stay in cache while their pixels run. */
const BLOCK_BYTES = 64 * 1024;

/** Images per block at `perImage` floats of WORK each plus `extra` once; 0 if one does not fit. */
@inline function blockOf(n: i32, perImage: i64, extra: i64): i32 {
  return blockImages(n, perImage, extra, WORK_FLOATS, BLOCK_BYTES);
}

/** offs[bl oh ow + oy ow + ox] = byte offset of output pixel (oy, ox) of image bl in a padded block. */
function pixelOffsets(
  offs: usize, nb: i32, oh: i32, ow: i32, imageBytes: usize, rowBytes: usize, sh: i32, sw: i32, pixelBytes: usize,
): void {
  let o = offs;
  for (let bl = 0; bl < nb; bl++) {
    for (let oy = 0; oy < oh; oy++) {
      let v = <usize>bl * imageBytes + <usize>(oy * sh) * rowBytes;
      for (let ox = 0; ox < ow; ox++) {
        store<usize>(o, v);
        v += <usize>sw * pixelBytes;
        o += 4;
      }
    }
  }
}

// ---- cout = 1 forward ---------------------------------------------------------------

/**
 * cout = 1 forward micro-kernel: for ng groups of three pixels, the pixels' dot products
 * with w over nk pairs of vectors: pixel g reads pair i at pTab[g] + offs[i] (byte
 * offsets), w pair i at w + 32 i; y of pixel g goes to out + 4g. Two accumulators per
 * pixel (even and odd vectors of the pair). V8 hoists every load of an iteration above
 * its arithmetic, so an iteration holds 6 accumulators + 2 kernel vectors + 6 loaded
 * vectors (four pixels would need 18 registers and spill).
 */
function dotMicro3(ng: i32, nk: i32, offs: usize, w: usize, pTab: usize, out: usize): void {
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

// ---- cout = 1 filter gradient -------------------------------------------------------

/**
 * cout = 1 filter-gradient micro-kernel: C[0 .. 48] (+)= Σ_p A_p[0 .. 48] dy[p] over np
 * pixels, A_p at a + offs[p] (byte offsets), dy[p] at b + 4p; accumulate 0 starts from
 * zero. 12 accumulators + broadcast + one loaded vector.
 */
function filterMicro12x1(np: i32, a: usize, offs: usize, b: usize, c: usize, accumulate: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
  let c8 = f32x4.splat(0), c9 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  if (accumulate) {
    c0 = v128.load(c, 0);
    c1 = v128.load(c, 16);
    c2 = v128.load(c, 32);
    c3 = v128.load(c, 48);
    c4 = v128.load(c, 64);
    c5 = v128.load(c, 80);
    c6 = v128.load(c, 96);
    c7 = v128.load(c, 112);
    c8 = v128.load(c, 128);
    c9 = v128.load(c, 144);
    c10 = v128.load(c, 160);
    c11 = v128.load(c, 176);
  }
  for (let p = 0; p < np; p++) {
    const ap = a + load<usize>(offs);
    const g = v128.load32_splat(b);
    c0 = madd(v128.load(ap, 0), g, c0);
    c1 = madd(v128.load(ap, 16), g, c1);
    c2 = madd(v128.load(ap, 32), g, c2);
    c3 = madd(v128.load(ap, 48), g, c3);
    c4 = madd(v128.load(ap, 64), g, c4);
    c5 = madd(v128.load(ap, 80), g, c5);
    c6 = madd(v128.load(ap, 96), g, c6);
    c7 = madd(v128.load(ap, 112), g, c7);
    c8 = madd(v128.load(ap, 128), g, c8);
    c9 = madd(v128.load(ap, 144), g, c9);
    c10 = madd(v128.load(ap, 160), g, c10);
    c11 = madd(v128.load(ap, 176), g, c11);
    offs += 4;
    b += 4;
  }
  v128.store(c, c0, 0);
  v128.store(c, c1, 16);
  v128.store(c, c2, 32);
  v128.store(c, c3, 48);
  v128.store(c, c4, 64);
  v128.store(c, c5, 80);
  v128.store(c, c6, 96);
  v128.store(c, c7, 112);
  v128.store(c, c8, 128);
  v128.store(c, c9, 144);
  v128.store(c, c10, 160);
  v128.store(c, c11, 176);
}

/** Whether convFilterGradOneOutPadded handles this shape. */
export function filterGradOneOutPaddedFits(n: i32, cin: i32, oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): bool {
  const hp = (oh - 1) * sh + kh;
  const wp = (ow - 1) * sw + kw;
  const groups = ((kw * cin + 47) / 48);
  return n > 0 && pt >= 0 && pl >= 0 && (cin & 3) == 0 && <i64>kh * groups * 48 <= <i64>(KC * NC) &&
    blockOf(n, <i64>hp * wp * cin + oh * ow, 64) > 0;
}

/**
 * cout = 1 filter gradient: dw[ky][m] = Σ_p run(p, ky)[m] dy[p], 48 values m (12
 * vectors) per micro-kernel call over a padded block's pixels, accumulated in PACK_B in
 * image order and copied to dw at the end. Overwrites dw.
 */
export function convFilterGradOneOutPadded(
  x: usize, dy: usize, dw: usize,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const hp = (oh - 1) * sh + kh;
  const wp = (ow - 1) * sw + kw;
  const cinBytes = <usize>cin << 2;
  const rowBytes = <usize>wp * cinBytes;
  const imageBytes = <usize>hp * rowBytes;
  const run = kw * cin;
  const groups = (run + 47) / 48;
  const pixels = oh * ow;
  const block = blockOf(n, <i64>hp * wp * cin + pixels, 64);
  const pad = workPtr;
  // 48 floats of slack: the last group of a run reads up to 44 floats past it.
  const offs = pad + <usize>block * imageBytes + 192;
  const acc = packBPtr;
  pixelOffsets(offs, block, oh, ow, imageBytes, rowBytes, sh, sw, cinBytes);
  for (let b0 = 0; b0 < n; b0 += block) {
    const nb = min(block, n - b0);
    padImages(pad, x, b0, nb, ih, iw, cin, hp, wp, pt, pl);
    const dyBlock = dy + (<usize>(b0 * pixels) << 2);
    for (let ky = 0; ky < kh; ky++) {
      for (let g = 0; g < groups; g++) {
        const a = pad + <usize>ky * rowBytes + <usize>g * 192;
        const c = acc + (<usize>((ky * groups + g) * 48) << 2);
        // Two call sites, so that Binaryen does not inline the micro-kernel (half speed).
        if (b0 == 0) filterMicro12x1(nb * pixels, a, offs, dyBlock, c, false);
        else filterMicro12x1(nb * pixels, a, offs, dyBlock, c, true);
      }
    }
  }
  for (let ky = 0; ky < kh; ky++) {
    memory.copy(dw + (<usize>(ky * run) << 2), acc + (<usize>(ky * groups * 48) << 2), <usize>run << 2);
  }
}

// ---- cin = 1 forward; cout = 1, stride-1 input gradient -----------------------------

/**
 * One input channel to 16 channels, np pairs of pixels of a padded plane: for pixel q of
 * pair i (q = 0, 1), out[4v ..] = Σ_t plane[r + (2i + q) pStep + offs[t]] · wp[16 t +
 * 4v ..] over nt taps (byte offsets offs[t]); pixel q of pair i writes all 16 channels
 * at out + (2i + q) outStep. 8 accumulators + 4 kernel vectors + 2 broadcasts. (Stores
 * must be unconditional: V8 sinks the arithmetic of a conditionally stored value into
 * the branch, past the loop, and spills.)
 */
function planeTaps(np: i32, nt: i32, r: usize, pStep: usize, offs: usize, wp: usize, out: usize, outStep: usize): void {
  for (let i = 0; i < np; i++) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    const s = r + pStep;
    let o = offs;
    let w = wp;
    for (let t = 0; t < nt; t++) {
      const off = load<usize>(o);
      const w0 = v128.load(w), w1 = v128.load(w, 16), w2 = v128.load(w, 32), w3 = v128.load(w, 48);
      const u = v128.load32_splat(r + off);
      const v = v128.load32_splat(s + off);
      a0 = madd(u, w0, a0); a1 = madd(u, w1, a1); a2 = madd(u, w2, a2); a3 = madd(u, w3, a3);
      b0 = madd(v, w0, b0); b1 = madd(v, w1, b1); b2 = madd(v, w2, b2); b3 = madd(v, w3, b3);
      o += 4;
      w += 64;
    }
    v128.store(out, a0); v128.store(out, a1, 16); v128.store(out, a2, 32); v128.store(out, a3, 48);
    const o1 = out + outStep;
    v128.store(o1, b0); v128.store(o1, b1, 16); v128.store(o1, b2, 32); v128.store(o1, b3, 48);
    r += pStep << 1;
    out += outStep << 1;
  }
}

/**
 * Packs taps [t][ch] (nt taps, ch of nch) into [block of 16 ch][t][16] at PACK_A (channels
 * past nch zero); flip: tap nt - 1 - t (the kernel rotated 180 degrees).
 */
function packPlaneWeights(w: usize, nt: i32, nch: i32, flip: bool): void {
  const blocks = (nch + 15) >> 4;
  let d = packAPtr;
  for (let cb = 0; cb < blocks; cb++) {
    for (let t = 0; t < nt; t++) {
      const src = w + (<usize>((flip ? nt - 1 - t : t) * nch + (cb << 4)) << 2);
      for (let c = 0; c < 16; c++) store<f32>(d + (<usize>c << 2), (cb << 4) + c < nch ? load<f32>(src + (<usize>c << 2)) : 0);
      d += 64;
    }
  }
}

/** TAB[ky kw + kx] = byte offset of tap (ky, kx) in a plane with rows rowBytes apart. */
function planeTapOffsets(kh: i32, kw: i32, rowBytes: usize): void {
  let o = tabPtr;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      store<usize>(o, <usize>ky * rowBytes + (<usize>kx << 2));
      o += 4;
    }
  }
}

/**
 * Runs planeTaps over one row of np pixels for every 16-channel block: the plane row at
 * r (pixels pStep bytes apart), the output row at out (nch channels per pixel). An odd
 * last pixel runs as a pair whose second pixel writes DUMP.
 */
function planeRow(nt: i32, r: usize, pStep: usize, out: usize, np: i32, nch: i32): void {
  const blocks = (nch + 15) >> 4;
  const outStep = <usize>nch << 2;
  for (let cb = 0; cb < blocks; cb++) {
    const wp = packAPtr + <usize>(cb * nt) * 64;
    const o = out + (<usize>cb << 6);
    const nc = min(16, nch - (cb << 4));
    if (nc < 16) {
      // A partial block goes to DUMP (16 channels per pixel) and is copied out.
      planeTaps((np + 1) >> 1, nt, r, pStep, tabPtr, wp, dumpPtr, 64);
      for (let q = 0; q < np; q++) {
        const src = dumpPtr + (<usize>q << 6);
        const dst = o + <usize>q * outStep;
        for (let c = 0; c < nc; c += 4) v128.store(dst + (<usize>c << 2), v128.load(src + (<usize>c << 2)));
      }
      continue;
    }
    planeTaps(np >> 1, nt, r, pStep, tabPtr, wp, o, outStep);
    if (np & 1) {
      const last = o + <usize>(np - 1) * outStep;
      planeTaps(1, nt, r + <usize>(np - 1) * pStep, pStep, tabPtr, wp, last, dumpPtr - last);
    }
  }
}

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

// ---- cin = 1 filter gradient --------------------------------------------------------

/**
 * cin = 1 filter-gradient micro-kernel: C[t, 0 .. 16] (+)= Σ_p A_p[t] B_p[0 .. 16] for
 * three taps t over np pixels, A_p at a + offs[p] (three consecutive floats of a plane),
 * B_p at b + p bStep, C rows ldc bytes apart; accumulate 0 starts from zero. 12
 * accumulators + broadcast + one loaded vector (B is reloaded per tap, not held).
 */
function filterMicro3x16(np: i32, a: usize, offs: usize, b: usize, bStep: usize, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0), c23 = f32x4.splat(0);
  if (accumulate) {
    c00 = v128.load(c, 0);
    c01 = v128.load(c, 16);
    c02 = v128.load(c, 32);
    c03 = v128.load(c, 48);
    c10 = v128.load(c + 1 * ldc, 0);
    c11 = v128.load(c + 1 * ldc, 16);
    c12 = v128.load(c + 1 * ldc, 32);
    c13 = v128.load(c + 1 * ldc, 48);
    c20 = v128.load(c + 2 * ldc, 0);
    c21 = v128.load(c + 2 * ldc, 16);
    c22 = v128.load(c + 2 * ldc, 32);
    c23 = v128.load(c + 2 * ldc, 48);
  }
  for (let p = 0; p < np; p++) {
    const ap = a + load<usize>(offs);
    let u: v128;
    u = v128.load32_splat(ap, 0);
    c00 = madd(u, v128.load(b), c00); c01 = madd(u, v128.load(b, 16), c01);
    c02 = madd(u, v128.load(b, 32), c02); c03 = madd(u, v128.load(b, 48), c03);
    u = v128.load32_splat(ap, 4);
    c10 = madd(u, v128.load(b), c10); c11 = madd(u, v128.load(b, 16), c11);
    c12 = madd(u, v128.load(b, 32), c12); c13 = madd(u, v128.load(b, 48), c13);
    u = v128.load32_splat(ap, 8);
    c20 = madd(u, v128.load(b), c20); c21 = madd(u, v128.load(b, 16), c21);
    c22 = madd(u, v128.load(b, 32), c22); c23 = madd(u, v128.load(b, 48), c23);
    offs += 4;
    b += bStep;
  }
  v128.store(c, c00, 0);
  v128.store(c, c01, 16);
  v128.store(c, c02, 32);
  v128.store(c, c03, 48);
  v128.store(c + 1 * ldc, c10, 0);
  v128.store(c + 1 * ldc, c11, 16);
  v128.store(c + 1 * ldc, c12, 32);
  v128.store(c + 1 * ldc, c13, 48);
  v128.store(c + 2 * ldc, c20, 0);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 2 * ldc, c22, 32);
  v128.store(c + 2 * ldc, c23, 48);
}

/** Whether convFilterGradOneInPadded handles this shape (cin = 1). */
export function filterGradOneInPaddedFits(n: i32, oh: i32, ow: i32, cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): bool {
  const tg = (kw + 2) / 3;
  const hp = (oh - 1) * sh + kh;
  const wp = (ow - 1) * sw + tg * 3;
  const blocks = (cout + 15) >> 4;
  return n > 0 && pt >= 0 && pl >= 0 && <i64>kh * tg * 3 * blocks * 16 <= <i64>(KC * NC) &&
    blockOf(n, <i64>hp * wp + <i64>oh * ow * ((cout & 15) != 0 ? 17 : 1), 0) > 0;
}

/**
 * cin = 1 filter gradient: dw[ky, kx, co] = Σ_p x[tap of p] dy[p, co], three taps of a
 * kernel row x 16 channels per micro-kernel call over a padded block's pixels,
 * accumulated in PACK_B in image order and copied to dw at the end. Overwrites dw.
 */
export function convFilterGradOneInPadded(
  x: usize, dy: usize, dw: usize,
  n: i32, ih: i32, iw: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const tg = (kw + 2) / 3;
  const hp = (oh - 1) * sh + kh;
  const wp = (ow - 1) * sw + tg * 3;
  const rowBytes = <usize>wp << 2;
  const imageBytes = <usize>hp * rowBytes;
  const pixels = oh * ow;
  const blocks = (cout + 15) >> 4;
  const full = cout & ~15;
  const block = blockOf(n, <i64>hp * wp + <i64>pixels * ((cout & 15) != 0 ? 17 : 1), 0);
  const pad = workPtr;
  const offs = pad + <usize>block * imageBytes;
  const part = offs + (<usize>(block * pixels) << 2);
  const acc = packBPtr;
  const ldc = <usize>(blocks << 6);
  const coutBytes = <usize>cout << 2;
  pixelOffsets(offs, block, oh, ow, imageBytes, rowBytes, sh, sw, 4);
  for (let b0 = 0; b0 < n; b0 += block) {
    const nb = min(block, n - b0);
    const np = nb * pixels;
    padImages(pad, x, b0, nb, ih, iw, 1, hp, wp, pt, pl);
    const dyBlock = dy + <usize>(b0 * pixels) * coutBytes;
    if (full < cout) {
      // The partial block's channels, zero-padded to 16 (reading 16 from dy could run past it).
      let d = part;
      let sp = dyBlock + (<usize>full << 2);
      for (let p = 0; p < np; p++) {
        for (let c = 0; c < 16; c++) store<f32>(d + (<usize>c << 2), c < cout - full ? load<f32>(sp + (<usize>c << 2)) : 0);
        d += 64;
        sp += coutBytes;
      }
    }
    for (let ky = 0; ky < kh; ky++) {
      for (let t = 0; t < tg; t++) {
        const a = pad + <usize>ky * rowBytes + (<usize>(t * 3) << 2);
        const c = acc + <usize>((ky * tg + t) * 3) * ldc;
        for (let cb = 0; cb < blocks; cb++) {
          const partial = (cb << 4) >= full;
          const bp = partial ? part : dyBlock + (<usize>cb << 6);
          const bStep: usize = partial ? 64 : coutBytes;
          // Two call sites, so that Binaryen does not inline the micro-kernel (half speed).
          if (b0 == 0) filterMicro3x16(np, a, offs, bp, bStep, c + (<usize>cb << 6), ldc, false);
          else filterMicro3x16(np, a, offs, bp, bStep, c + (<usize>cb << 6), ldc, true);
        }
      }
    }
  }
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      memory.copy(dw + (<usize>((ky * kw + kx) * cout) << 2), acc + <usize>(ky * tg * 3 + kx) * ldc, coutBytes);
    }
  }
}
