// conv2dBackwardFilter for one-channel layers, over blocks of images copied zero-padded
// into WORK (conv-copy.ts); pixels are found through tables of byte offsets
// (conv-onechannel-block.ts). Geometry as in conv.ts. Each overwrites dw, accumulating
// in PACK_B in image order and copying to dw at the end:
//   cout = 1: 12 vectors of a patch row x dy (filterMicro12x1);
//   cin = 1: three taps x 16 channels of dy (filterMicro3x16).
// Binaryen inlines a function with one call site (half speed), so each micro-kernel has two.
//
// Summation order: a filter gradient sums over the call's images in order, then pixels.

import { KC, NC, packBPtr, workPtr } from './scratch';
import { madd } from './simd';
import { padImages } from './conv-copy';
import { blockOf, pixelOffsets } from './conv-onechannel-block';

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

// ---- cin = 1 --------------------------------------------------------------------------

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
