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
// image's outputs do not depend on the other images of the call.

import { KC, NC, ZERO_FLOATS, WORK_FLOATS, MR, zeroPtr, packBPtr, tabPtr, workPtr } from './scratch';
import { blockImages, copyOrZero, padImages } from './conv-copy';
import { MAX_PANELS, TAB_A, TAB_C, TAB_COL, TAB_ROW, TAB_SEG, endTile, flushPartialPanel, micro, setRow } from './conv-tile';

/** Kernel rows the per-row A tables have room for. */
const MAX_SEGS = 1024 / 6;
/** Bytes of padded images per block: they stay in L2 while their tiles run. */
const BLOCK_BYTES = 64 * 1024;

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
