// conv2dBackwardFilter by implicit GEMM: dW[ky][m, :] = Σ_p run(p, ky)[m] dy[p, :] for
// output pixels p, kernel row ky and m over the patch row's kw cin floats (NHWC input
// [n, ih, iw, cin], HWIO kernel, output [n, oh, ow, cout], as in conv.ts). Images go
// through in blocks copied zero-padded into WORK (conv-copy.ts); for kernel row ky, MR
// consecutive values m and an 8-column panel of dy, one micro-kernel call sums over all
// the block's pixels, the pixel's patch row found through a table of byte offsets (one
// flat loop; the pixel rows of a block are not evenly spaced).
// (Reading x in place through a table of row pointers, with zero-filled copies at the
// padding, measured a third slower than the padded copy.)
//
// Summation order: dw sums over the images of the call in image order, then pixel order,
// the same for the same call wherever it runs.

import { MR, KC, NC, WORK_FLOATS, packBPtr, workPtr } from './scratch';
import { madd } from './simd';
import { blockImages, padImages } from './conv-copy';

/** Bytes of padded images per block: they stay in cache across the kernel rows' passes. */
const BLOCK_BYTES = 64 * 1024;

/**
 * The MR x 8 filter-gradient micro-kernel: C[r, 0..8] (+)= Σ_p A_p[r] B_p[0..8] over np
 * pixels, A_p = MR consecutive floats at a + offs[p] (byte offsets), B_p 8 floats at
 * b + p bStep; C rows ldc bytes apart; accumulate 0 starts from zero. One flat loop, 2 MR
 * accumulators + 2 B + 1 broadcast; rows past 5 under the folded constant `MR > 5`; not
 * inlined (see conv-tile.ts's implicitMicro).
 */
export function filterMicro(np: i32, a: usize, offs: usize, b: usize, bStep: usize, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  if (accumulate) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc); c31 = v128.load(c + 3 * ldc, 16);
    c40 = v128.load(c + 4 * ldc); c41 = v128.load(c + 4 * ldc, 16);
    if (MR > 5) {
      c50 = v128.load(c + 5 * ldc); c51 = v128.load(c + 5 * ldc, 16);
    }
  }
  for (let p = 0; p < np; p++) {
    const ap = a + load<usize>(offs);
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(ap);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(ap, 4);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(ap, 8);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(ap, 12);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    av = v128.load32_splat(ap, 16);
    c40 = madd(av, b0, c40); c41 = madd(av, b1, c41);
    if (MR > 5) {
      av = v128.load32_splat(ap, 20);
      c50 = madd(av, b0, c50); c51 = madd(av, b1, c51);
    }
    offs += 4;
    b += bStep;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
  v128.store(c + 4 * ldc, c40); v128.store(c + 4 * ldc, c41, 16);
  if (MR > 5) {
    v128.store(c + 5 * ldc, c50); v128.store(c + 5 * ldc, c51, 16);
  }
}

/** Images per block of the filter gradient, or 0 when one padded image does not fit WORK. */
function filterBlock(n: i32, cin: i32, oh: i32, ow: i32, cout: i32, kh: i32, kw: i32, sh: i32, sw: i32): i32 {
  const hp = (oh - 1) * sh + kh;
  const wp = (ow - 1) * sw + kw;
  // Per image: the padded copy, one offset per pixel, a partial panel's 8 columns of dy;
  // once: 64 floats of slack (a last m-tile reads up to MR - 1 floats past its run).
  const perImage = <i64>hp * wp * cin + <i64>oh * ow * ((cout & 7) != 0 ? 9 : 1);
  return blockImages(n, perImage, 64, WORK_FLOATS, BLOCK_BYTES);
}

/** Whether convFilterGradImplicit handles this shape (else the caller uses im2col). */
export function filterGradImplicitFits(n: i32, cin: i32, oh: i32, ow: i32, cout: i32, kh: i32, kw: i32, sh: i32, sw: i32): bool {
  const run = kw * cin;
  const mtiles = (run + MR - 1) / MR;
  const panels = (cout + 7) >> 3;
  return n > 0 && <i64>kh * mtiles * MR * panels * 8 <= <i64>(KC * NC) && filterBlock(n, cin, oh, ow, cout, kh, kw, sh, sw) > 0;
}

/**
 * Overwrites dw[kh, kw, cin, cout] from x and dy (filterGradImplicitFits must hold),
 * accumulating in PACK_B [kh][mtiles MR][panels 8], copied to dw at the end.
 */
export function convFilterGradImplicit(
  x: usize, dy: usize, dw: usize,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const run = kw * cin;
  const mtiles = (run + MR - 1) / MR;
  const panels = (cout + 7) >> 3;
  const full = cout & ~7;
  const hp = (oh - 1) * sh + kh;
  const wp = (ow - 1) * sw + kw;
  const block = filterBlock(n, cin, oh, ow, cout, kh, kw, sh, sw);
  const pixels = oh * ow;
  const padRow = <usize>(wp * cin) << 2;
  const padImage = <usize>hp * padRow;
  const pad = workPtr;
  // MR floats of slack after the padded images: a last m-tile reads past its run.
  const offs = pad + <usize>block * padImage + 64;
  const part = offs + (<usize>(block * pixels) << 2);
  const acc = packBPtr;
  const ldc = <usize>(panels * 8) << 2;
  const coutBytes = <usize>cout << 2;
  // Pixel p of image bl of a block reads its patch at pad + offs[bl pixels + p].
  let o = offs;
  for (let bl = 0; bl < block; bl++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        store<usize>(o, <usize>bl * padImage + <usize>(oy * sh) * padRow + (<usize>(ox * sw * cin) << 2));
        o += 4;
      }
    }
  }
  for (let b0 = 0; b0 < n; b0 += block) {
    const nb = min(block, n - b0);
    const np = nb * pixels;
    padImages(pad, x, b0, nb, ih, iw, cin, hp, wp, pt, pl);
    const dyBlock = dy + <usize>(b0 * pixels) * coutBytes;
    if (full < cout) {
      // The partial panel's columns, zero-padded to 8 (reading 8 from dy could run past it).
      let d = part;
      let sp = dyBlock + (<usize>full << 2);
      for (let p = 0; p < np; p++) {
        for (let c = 0; c < 8; c++) store<f32>(d + (<usize>c << 2), c < cout - full ? load<f32>(sp + (<usize>c << 2)) : 0);
        d += 32;
        sp += coutBytes;
      }
    }
    for (let ky = 0; ky < kh; ky++) {
      for (let mt = 0; mt < mtiles; mt++) {
        const a = pad + <usize>ky * padRow + (<usize>(mt * MR) << 2);
        const c0 = acc + <usize>((ky * mtiles + mt) * MR) * ldc;
        for (let p = 0; p < panels; p++) {
          const partial = (p << 3) >= full;
          const b = partial ? part : dyBlock + (<usize>p << 5);
          const bStep: usize = partial ? 32 : coutBytes;
          const c = c0 + (<usize>p << 5);
          // Two call sites, so that Binaryen does not inline the micro-kernel (half speed).
          if (b0 == 0) filterMicro(np, a, offs, b, bStep, c, ldc, false);
          else filterMicro(np, a, offs, b, bStep, c, ldc, true);
        }
      }
    }
  }
  // dw[ky][m][co] = acc[ky][m][co] for m < run, co < cout.
  for (let ky = 0; ky < kh; ky++) {
    for (let m = 0; m < run; m++) {
      const src = acc + <usize>(ky * mtiles * MR + m) * ldc;
      const dst = dw + (<usize>((ky * run + m) * cout) << 2);
      for (let c = 0; c < cout; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
    }
  }
}
