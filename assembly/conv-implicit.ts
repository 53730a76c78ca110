// Implicit-GEMM convolution, forward: the GEMM's A operand is read straight from the
// input instead of from an im2col copy. Geometry as in conv.ts (NHWC input [n, ih, iw,
// cin], HWIO kernel [kh, kw, cin, cout], output [n, oh, ow, cout]).
//
// y[p, :] = Σ_ky run(p, ky) · W[ky]: for output pixel p and kernel row ky the kw cin
// inputs of the patch row are one contiguous run of NHWC memory, and W[ky] is a
// contiguous [kw cin, cout] block, packed here into 8-column panels. A tile of MR output
// pixels (crossing rows and images) is one micro-kernel call per kernel row and panel,
// fed by MR row pointers from a table; the call for kernel row ky > 0 adds to what the
// call for ky - 1 stored.
//
// The input normally goes through a zero-padded copy, a block of images at a time
// (conv-copy.ts), so every run lies inside it. When one padded image does not fit WORK,
// runs are read from x in place: a row in the padding points at ZERO, a run that crosses
// the left or right padding is copied, zero-filled, into WORK.
//
// Summation order: every output element is accumulated by the same micro-kernel code in
// the same order (kernel rows, then the run), whichever tile or call it falls in, so an
// image's outputs do not depend on the other images of the call. conv-parity.ts (the
// input gradient) runs the same micro-kernel and tile tables.

import { MR, KC, NC, ZERO_FLOATS, WORK_FLOATS, zeroPtr, packBPtr, dumpPtr, tabPtr, workPtr } from './scratch';
import { madd } from './simd';
import { blockImages, copyOrZero, padImages } from './conv-copy';

/** Packed-kernel panels the DUMP area and TAB tables have room for (output channels <= 1024). */
export const MAX_PANELS = 128;
/** Kernel rows the per-row A tables have room for. */
const MAX_SEGS = 1024 / 6;
/** Bytes of padded images per block: they stay in L2 while their tiles run. */
const BLOCK_BYTES = 64 * 1024;

// TAB layout (32-bit entries): per tile row r < MR, A[r] (its first run; an address
// outside x when that run starts in the padding), ROW[r] and COL[r] (the run's first row
// and column in x), OUT[r] (its output row); C[panel][r] from 64; per-kernel-row A
// tables SEG[ky][r] from 1024.
export const TAB_A = 0;
const TAB_ROW = 8 * 4;
const TAB_COL = 16 * 4;
export const TAB_OUT = 24 * 4;
export const TAB_C = 64 * 4;
export const TAB_SEG = 1024 * 4;
/** ROW of a tile row past the end: outside x for every kernel row. */
const NO_ROW: i32 = -0x40000000;

/**
 * The MR x 8 micro-kernel: C[r, 0..8] (+)= Σ_k A_r[k] B[k, 0..8] for MR rows, A_r at
 * aTab[r] + aOff (byte addresses), B a packed [kc][8] panel, C rows at cTab[0..MR];
 * accumulate 0 starts from zero. 2 MR accumulators + 2 B + 1 broadcast (+ 1 product with
 * mul + add): 15 live v128 at MR = 6, 14 at MR = 5. Rows past 5 sit under `MR > 5`, a
 * compile-time constant that Binaryen folds away.
 * Not @inline, and called from more than one place so that Binaryen does not inline it
 * either: inlined, V8 spills its accumulators (half speed). Looping over kernel rows
 * inside it (a loop nest, or one loop per row in sequence) also spills.
 */
function implicitMicro(kc: i32, aTab: usize, aOff: usize, b: usize, cTab: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  if (accumulate) {
    let c = load<usize>(cTab);
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c = load<usize>(cTab, 4);
    c10 = v128.load(c); c11 = v128.load(c, 16);
    c = load<usize>(cTab, 8);
    c20 = v128.load(c); c21 = v128.load(c, 16);
    c = load<usize>(cTab, 12);
    c30 = v128.load(c); c31 = v128.load(c, 16);
    c = load<usize>(cTab, 16);
    c40 = v128.load(c); c41 = v128.load(c, 16);
    if (MR > 5) {
      c = load<usize>(cTab, 20);
      c50 = v128.load(c); c51 = v128.load(c, 16);
    }
  }
  let a0 = load<usize>(aTab) + aOff, a1 = load<usize>(aTab, 4) + aOff, a2 = load<usize>(aTab, 8) + aOff;
  let a3 = load<usize>(aTab, 12) + aOff, a4 = load<usize>(aTab, 16) + aOff, a5 = MR > 5 ? load<usize>(aTab, 20) + aOff : 0;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a0);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(a1);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(a2);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(a3);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    av = v128.load32_splat(a4);
    c40 = madd(av, b0, c40); c41 = madd(av, b1, c41);
    if (MR > 5) {
      av = v128.load32_splat(a5);
      c50 = madd(av, b0, c50); c51 = madd(av, b1, c51);
    }
    a0 += 4; a1 += 4; a2 += 4; a3 += 4; a4 += 4;
    if (MR > 5) a5 += 4;
    b += 32;
  }
  let c = load<usize>(cTab);
  v128.store(c, c00); v128.store(c, c01, 16);
  c = load<usize>(cTab, 4);
  v128.store(c, c10); v128.store(c, c11, 16);
  c = load<usize>(cTab, 8);
  v128.store(c, c20); v128.store(c, c21, 16);
  c = load<usize>(cTab, 12);
  v128.store(c, c30); v128.store(c, c31, 16);
  c = load<usize>(cTab, 16);
  v128.store(c, c40); v128.store(c, c41, 16);
  if (MR > 5) {
    c = load<usize>(cTab, 20);
    v128.store(c, c50); v128.store(c, c51, 16);
  }
}

/**
 * C = Σ over segs kernel rows s of A_s B_s, one call per row: row s reads tile row r at
 * aTab[s aTabStep + r] + s aSegOff (a tile inside a padded copy uses one table and a
 * fixed offset per kernel row) and the panel at b + s bSegStep.
 */
@inline export function micro(
  kc: i32, segs: i32, aTab: usize, aTabStep: usize, aSegOff: usize, b: usize, bSegStep: usize, cTab: usize,
): void {
  let aOff: usize = 0;
  for (let s = 0; s < segs; s++) {
    implicitMicro(kc, aTab, aOff, b, cTab, s > 0);
    aTab += aTabStep;
    aOff += aSegOff;
    b += bSegStep;
  }
}

/** Records GEMM row r of the tile: its first run, that run's position in x, its output row. */
@inline export function setRow(r: i32, a: usize, row: i32, col: i32, out: usize, panels: i32, full: i32): void {
  const t = tabPtr;
  const ro = <usize>r << 2;
  store<usize>(t + TAB_A + ro, a);
  store<i32>(t + TAB_ROW + ro, row);
  store<i32>(t + TAB_COL + ro, col);
  store<usize>(t + TAB_OUT + ro, out);
  let c = t + TAB_C + ro;
  for (let p = 0; p < panels; p++) {
    store<usize>(c, (p << 3) < full ? out + (<usize>p << 5) : dumpPtr + (<usize>((p * MR + r) * 8) << 2));
    c += <usize>MR << 2;
  }
}

/**
 * Marks rows r .. MR of the tile as past the end: they repeat row 0's run (or read ZERO
 * when row 0's position says so) and write DUMP.
 */
export function endTile(r: i32, panels: i32): void {
  const t = tabPtr;
  const a0 = load<usize>(t + TAB_A);
  for (; r < MR; r++) {
    const ro = <usize>r << 2;
    store<usize>(t + TAB_A + ro, a0);
    store<i32>(t + TAB_ROW + ro, NO_ROW);
    store<i32>(t + TAB_COL + ro, 0);
    for (let p = 0; p < panels; p++) {
      store<usize>(t + TAB_C + (<usize>(p * MR + r) << 2), dumpPtr + (<usize>((p * MR + r) * 8) << 2));
    }
  }
}

/** Copies the partial panel's columns full .. nout of tile rows r < mr from DUMP to OUT[r]. */
export function flushPartialPanel(mr: i32, panels: i32, full: i32, nout: i32): void {
  const src0 = dumpPtr + (<usize>((panels - 1) * MR * 8) << 2);
  for (let r = 0; r < mr; r++) {
    const src = src0 + (<usize>(r * 8) << 2);
    const dst = load<usize>(tabPtr + TAB_OUT + (<usize>r << 2)) + (<usize>full << 2);
    for (let c = 0; c < nout - full; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
  }
}

/** Whether convForwardImplicit handles this shape (else the caller uses im2col). */
export function forwardImplicitFits(cin: i32, cout: i32, kh: i32, kw: i32): bool {
  const run = kw * cin;
  const panels = (cout + 7) >> 3;
  return run <= ZERO_FLOATS && panels <= MAX_PANELS && kh <= MAX_SEGS && kh * 6 * run <= WORK_FLOATS &&
    kh * run * panels * 8 <= KC * NC;
}

/** Packs W [kh][run][cout] into [kh][panel][run][8] at PACK_B (columns past cout zero). */
function packForwardWeights(w: usize, kh: i32, run: i32, cout: i32, panels: i32): void {
  let d = packBPtr;
  const coutBytes = <usize>cout << 2;
  for (let ky = 0; ky < kh; ky++) {
    for (let j = 0; j < panels; j++) {
      const c0 = j << 3;
      const nc = min(8, cout - c0);
      let s = w + (<usize>(ky * run * cout + c0) << 2);
      for (let r = 0; r < run; r++) {
        if (nc == 8) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
        } else {
          for (let c = 0; c < 8; c++) store<f32>(d + (<usize>c << 2), c < nc ? load<f32>(s + (<usize>c << 2)) : 0);
        }
        s += coutBytes;
        d += 32;
      }
    }
  }
}

/**
 * Runs one forward tile whose TAB rows are set: kh kernel rows x panels micro-kernel
 * calls. inside: row ky of tile row r is at A[r] + ky rowBytes (a padded copy). Otherwise
 * each kernel row's A table is built from ROW / COL: a row outside x reads ZERO, a run
 * crossing the left or right padding is copied zero-filled into WORK. Then the partial
 * panel (columns full .. cout) goes from DUMP to y.
 */
function forwardTile(
  mr: i32, inside: bool, kh: i32, kw: i32, cin: i32, ih: i32, iw: i32, rowBytes: usize,
  panels: i32, panelBytes: usize, full: i32, cout: i32,
): void {
  const t = tabPtr;
  const run = kw * cin;
  const segBytes = <usize>panels * panelBytes;
  if (inside) {
    for (let p = 0; p < panels; p++) {
      micro(run, kh, t + TAB_A, 0, rowBytes, packBPtr + <usize>p * panelBytes, segBytes, t + TAB_C + (<usize>(p * MR) << 2));
    }
  } else {
    const cinBytes = <usize>cin << 2;
    for (let ky = 0; ky < kh; ky++) {
      for (let r = 0; r < MR; r++) {
        const ro = <usize>r << 2;
        const iy = load<i32>(t + TAB_ROW + ro) + ky;
        const ix0 = load<i32>(t + TAB_COL + ro);
        let ap = zeroPtr;
        if (iy >= 0 && iy < ih) {
          const start = load<usize>(t + TAB_A + ro) + <usize>ky * rowBytes;
          if (ix0 >= 0 && ix0 + kw <= iw) {
            ap = start;
          } else {
            ap = workPtr + (<usize>((ky * MR + r) * run) << 2);
            for (let kx = 0; kx < kw; kx++) {
              const ix = ix0 + kx;
              copyOrZero(ap + <usize>kx * cinBytes, ix >= 0 && ix < iw ? start + <usize>kx * cinBytes : 0, cin);
            }
          }
        }
        store<usize>(t + TAB_SEG + (<usize>(ky * MR) << 2) + ro, ap);
      }
    }
    for (let p = 0; p < panels; p++) {
      micro(run, kh, t + TAB_SEG, <usize>MR << 2, 0, packBPtr + <usize>p * panelBytes, segBytes, t + TAB_C + (<usize>(p * MR) << 2));
    }
  }
  if (full < cout) flushPartialPanel(mr, panels, full, cout);
}

/**
 * Overwrites y[n, oh, ow, cout] = conv(x, w) by implicit GEMM (forwardImplicitFits must
 * hold).
 */
export function convForwardImplicit(
  x: usize, w: usize, y: usize,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const run = kw * cin;
  const panels = (cout + 7) >> 3;
  packForwardWeights(w, kh, run, cout, panels);
  const cinBytes = <usize>cin << 2;
  const panelBytes = <usize>(run * 8) << 2;
  const full = cout & ~7;
  const step = <usize>sw * cinBytes;
  const coutBytes = <usize>cout << 2;
  const hp = (oh - 1) * sh + kh;
  const wp = (ow - 1) * sw + kw;
  const block = blockImages(n, <i64>hp * wp * cin, 0, WORK_FLOATS, BLOCK_BYTES);
  let yp = y;
  if (block > 0) {
    const padRow = <usize>wp * cinBytes;
    const padImage = <usize>hp * padRow;
    for (let b0 = 0; b0 < n; b0 += block) {
      const nb = min(block, n - b0);
      padImages(workPtr, x, b0, nb, ih, iw, cin, hp, wp, pt, pl);
      let r = 0;
      for (let bl = 0; bl < nb; bl++) {
        for (let oy = 0; oy < oh; oy++) {
          let ap = workPtr + <usize>bl * padImage + <usize>(oy * sh) * padRow;
          for (let ox = 0; ox < ow; ox++) {
            setRow(r, ap, 0, 0, yp, panels, full);
            ap += step;
            yp += coutBytes;
            if (++r == MR) {
              forwardTile(MR, true, kh, kw, cin, hp, wp, padRow, panels, panelBytes, full, cout);
              r = 0;
            }
          }
        }
      }
      if (r > 0) {
        endTile(r, panels);
        forwardTile(r, true, kh, kw, cin, hp, wp, padRow, panels, panelBytes, full, cout);
      }
    }
    return;
  }
  // No padded image fits WORK: runs come from x in place.
  const rowBytes = <usize>iw * cinBytes;
  // Output columns whose kw taps all lie inside the input.
  const oxLo = min(ow, (pl + sw - 1) / sw);
  const oxHi = max(oxLo, min(ow, iw - kw + pl >= 0 ? (iw - kw + pl) / sw + 1 : 0));
  let r = 0;
  let inside = true;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - pt;
      const rowIn = iy0 >= 0 && iy0 + kh <= ih;
      let ap = x + (<usize>(((b * ih + iy0) * iw - pl) * cin) << 2);
      for (let ox = 0; ox < ow; ox++) {
        setRow(r, ap, iy0, ox * sw - pl, yp, panels, full);
        inside = inside && rowIn && ox >= oxLo && ox < oxHi;
        ap += step;
        yp += coutBytes;
        if (++r == MR) {
          forwardTile(MR, inside, kh, kw, cin, ih, iw, rowBytes, panels, panelBytes, full, cout);
          r = 0;
          inside = true;
        }
      }
    }
  }
  if (r > 0) {
    endTile(r, panels);
    forwardTile(r, false, kh, kw, cin, ih, iw, rowBytes, panels, panelBytes, full, cout);
  }
}
