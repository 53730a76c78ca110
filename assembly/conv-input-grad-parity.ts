// conv2dBackwardInput (also Conv2DTranspose's forward) by output-parity classes, without
// col2im. The input pixels split into sh x sw parity classes (iy + pt ≡ ry mod sh,
// ix + pl ≡ rx mod sw). Class (ry, rx) receives exactly the ny x nx taps ky = ry + j sh,
// kx = rx + i sw: its pixel (iy, ix), with t = (iy + pt - ry) / sh and u = (ix + pl -
// rx) / sw, reads the dy pixels (t - j, u - i). In a copy of dy stacked ny rows deep
// (stackDy: entry [t][uu] holds dy rows t - ny + 1 .. t at one column) those are one
// contiguous run of ny nx cout floats, so each class is one implicit GEMM: one call of
// conv-tile.ts's micro-kernel per tile of MR class pixels and 8-channel panel,
// against the class's taps packed as Wᵀ, and every dx pixel is written once.
// (Three alternatives measured slower: GEMM + col2im; per-class GEMMs over unstacked dy,
// one call per tap row, whose runs are only nx cout = 8..16 long; fusing the tap rows
// into one micro-kernel.)
//
// Summation order per dx element: taps in stacked-run order, then cout, all in one
// micro-kernel call, the same wherever the pixel falls.

import { MR, KC, NC, WORK_FLOATS, dumpPtr, packBPtr, tabPtr, workPtr } from './scratch';
import { copyBytes, zeroBytes } from './conv-copy';
import { MAX_PANELS, TAB_A, TAB_C, TAB_OUT, TAB_SEG, endTile, flushPartialPanel, micro } from './conv-tile';

// TAB use beyond conv-tile.ts's tile rows: the packed-tap offset of each class.
const TAB_CLS = TAB_SEG;
const TAB_CLASSES = 1024;

/** How many of 0 .. n-1 are first, first + s, first + 2s, ... (0 when first >= n). */
@inline export function classCount(n: i32, s: i32, first: i32): i32 {
  return first < n ? (n - 1 - first) / s + 1 : 0;
}

/** Taps of a kernel axis of length k that reach outputs of parity class r (stride s). */
@inline export function classTaps(k: i32, s: i32, r: i32): i32 {
  return classCount(k, s, r);
}

/** The first input coordinate of parity class r along an axis with padding pad before it (stride s). */
@inline export function classFirst(r: i32, pad: i32, s: i32): i32 {
  return ((r - pad) % s + s) % s;
}

/** Rows of the stacked copies: class row t runs over 0 .. (ih - 1 + pt) / sh. */
@inline export function stackRows(ih: i32, sh: i32, pt: i32): i32 {
  return (ih - 1 + pt) / sh + 1;
}

/** Columns of the stacked copies: class column u + the nx - 1 columns before it. */
@inline export function stackCols(iw: i32, kw: i32, sw: i32, pl: i32): i32 {
  return (iw - 1 + pl) / sw + classTaps(kw, sw, 0);
}

/** Floats of one image's stacked copies of dy (one per distinct class height). */
export function stackFloats(ih: i32, iw: i32, cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): i32 {
  const nyA = classTaps(kh, sh, 0);
  const nyB = classTaps(kh, sh, sh - 1);
  const depth = nyA + (nyB != nyA ? nyB : 0);
  const f = <i64>stackRows(ih, sh, pt) * stackCols(iw, kw, sw, pl) * cout * depth;
  return f > <i64>WORK_FLOATS ? WORK_FLOATS + 1 : <i32>f;
}

/** Bytes of dx per image block of the input gradient. */
const DX_BLOCK_BYTES = 256 * 1024;
/** A dx at most this large is written in place (it stays in cache). */
const STAGE_MIN_BYTES: i64 = 4 << 20;

/** Whether convInputGradParity handles this shape (else the caller uses col2im). */
export function inputGradParityFits(ih: i32, iw: i32, cin: i32, cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): bool {
  const panels = (cin + 7) >> 3;
  // Fewer than 4 input channels would fill under half of each 8-column panel: col2im wins.
  return cin >= 4 && pt >= 0 && pl >= 0 && panels <= MAX_PANELS && sh * sw <= TAB_CLASSES &&
    <i64>kh * kw * cout * panels * 8 <= <i64>(KC * NC) && stackFloats(ih, iw, cout, kh, kw, sh, sw, pt, pl) <= WORK_FLOATS;
}

/**
 * Copies dy images b0 .. b0 + nb into dst stacked ny rows deep: dst[b][t][uu][jj][co] =
 * dy[b, t - ny + 1 + jj, uu - nx + 1, co] (zero outside dy), t < rows, uu < cols. A class
 * pixel's taps then read one contiguous run.
 */
export function stackDy(dst: usize, dy: usize, b0: i32, nb: i32, oh: i32, ow: i32, cout: i32, ny: i32, nx: i32, rows: i32, cols: i32): void {
  const coutBytes = <usize>cout << 2;
  const entry = <usize>ny * coutBytes;
  const rowBytes = <usize>cols * entry;
  // Stacked columns uu = ox + nx - 1 for ox in [0, ow) hold dy; the rest are zero.
  const uLo = min(cols, nx - 1);
  const uHi = max(uLo, min(cols, ow + nx - 1));
  for (let b = b0; b < b0 + nb; b++) {
    const image = dst + <usize>((b - b0) * rows) * rowBytes;
    for (let t = 0; t < rows; t++) {
      for (let jj = 0; jj < ny; jj++) {
        const oy = t - ny + 1 + jj;
        let d = image + <usize>t * rowBytes + <usize>jj * coutBytes;
        if (oy < 0 || oy >= oh) {
          for (let uu = 0; uu < cols; uu++) {
            zeroBytes(d, coutBytes);
            d += entry;
          }
          continue;
        }
        for (let uu = 0; uu < uLo; uu++) {
          zeroBytes(d, coutBytes);
          d += entry;
        }
        let src = dy + (<usize>((b * oh + oy) * ow + uLo - nx + 1) * coutBytes);
        for (let uu = uLo; uu < uHi; uu++) {
          copyBytes(d, src, coutBytes);
          d += entry;
          src += coutBytes;
        }
        for (let uu = uHi; uu < cols; uu++) {
          zeroBytes(d, coutBytes);
          d += entry;
        }
      }
    }
  }
}

/**
 * Packs the kernel taps of parity class (ry, rx) (ny x nx of them) at dst as
 * [panel][(q ny + jj) cout + co][8]: tap (ry + (ny - 1 - jj) sh, rx + (nx - 1 - q) sw),
 * input channels of the panel (past cin zero): Wᵀ in the order a stacked run meets it.
 */
function packClassWeights(dst: usize, w: usize, kw: i32, cin: i32, cout: i32, sh: i32, sw: i32, ry: i32, rx: i32, ny: i32, nx: i32, panels: i32): void {
  let d = dst;
  for (let p = 0; p < panels; p++) {
    const c0 = p << 3;
    const nc = min(8, cin - c0);
    for (let q = 0; q < nx; q++) {
      const kx = rx + (nx - 1 - q) * sw;
      for (let jj = 0; jj < ny; jj++) {
        const ky = ry + (ny - 1 - jj) * sh;
        const tap = w + (<usize>((ky * kw + kx) * cin * cout) << 2);
        for (let co = 0; co < cout; co++) {
          for (let c = 0; c < 8; c++) {
            store<f32>(d + (<usize>c << 2), c < nc ? load<f32>(tap + (<usize>((c0 + c) * cout + co) << 2)) : 0);
          }
          d += 32;
        }
      }
    }
  }
}

/** One tile of the input gradient: every row's run is inside the stacked copy. */
function runClassTile(mr: i32, run: i32, panels: i32, panelBytes: usize, b: usize, full: i32, cin: i32): void {
  for (let p = 0; p < panels; p++) {
    micro(run, 1, tabPtr + TAB_A, 0, 0, b + <usize>p * panelBytes, 0, tabPtr + TAB_C + (<usize>(p * MR) << 2));
  }
  if (full < cin) flushPartialPanel(mr, panels, full, cin);
}

/** Records GEMM row r of a class tile: its run and its dx pixel. */
@inline function setClassRow(r: i32, a: usize, out: usize, panels: i32, full: i32): void {
  const t = tabPtr;
  const ro = <usize>r << 2;
  store<usize>(t + TAB_A + ro, a);
  store<usize>(t + TAB_OUT + ro, out);
  let c = t + TAB_C + ro;
  for (let p = 0; p < panels; p++) {
    store<usize>(c, (p << 3) < full ? out + (<usize>p << 5) : dumpPtr + (<usize>((p * MR + r) * 8) << 2));
    c += <usize>MR << 2;
  }
}

/**
 * Overwrites dx[n, ih, iw, cin] from dy and w by parity classes (inputGradParityFits must
 * hold). Images go through in blocks whose stacked copies fit WORK.
 */
export function convInputGradParity(
  dy: usize, w: usize, dx: usize,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const panels = (cin + 7) >> 3;
  const full = cin & ~7;
  const cinBytes = <usize>cin << 2;
  const t = tabPtr;
  const nyA = classTaps(kh, sh, 0);
  const nyB = classTaps(kh, sh, sh - 1);
  const nxMax = classTaps(kw, sw, 0);
  const rows = stackRows(ih, sh, pt);
  const cols = stackCols(iw, kw, sw, pl);
  const imageFloats = stackFloats(ih, iw, cout, kh, kw, sh, sw, pt, pl);
  // Blocks of images. The class passes each write every sh-th pixel of every sh-th row:
  // straight into dx that pattern misses cache on nearly every line (half speed), so
  // when a block's dx fits L2 it is staged in WORK and copied out in one sweep.
  const dxFloats = ih * iw * cin;
  const staged = <i64>n * dxFloats * 4 > STAGE_MIN_BYTES && dxFloats <= DX_BLOCK_BYTES / 4 && imageFloats + dxFloats <= WORK_FLOATS;
  const block = staged
    ? max(1, min(n, min(DX_BLOCK_BYTES / 4 / dxFloats, WORK_FLOATS / (imageFloats + dxFloats))))
    : max(1, min(n, WORK_FLOATS / max(1, imageFloats)));
  const stackA = workPtr;
  const stackB = workPtr + (<usize>(block * rows * cols * nyA * cout) << 2);
  const stage = workPtr + (<usize>(block * imageFloats) << 2);
  // Every class's packed taps, one after another; TAB_CLS[class] = its offset.
  let off: usize = packBPtr;
  for (let ry = 0; ry < sh; ry++) {
    for (let rx = 0; rx < sw; rx++) {
      const ny = classTaps(kh, sh, ry);
      const nx = classTaps(kw, sw, rx);
      store<usize>(t + TAB_CLS + (<usize>(ry * sw + rx) << 2), off);
      packClassWeights(off, w, kw, cin, cout, sh, sw, ry, rx, ny, nx, panels);
      off += <usize>(panels * nx * ny * cout * 8) << 2;
    }
  }
  for (let b0 = 0; b0 < n; b0 += block) {
    const nb = min(block, n - b0);
    // Image b of the block is written at out + b ih iw cin.
    const out = staged ? stage - (<usize>(b0 * dxFloats) << 2) : dx;
    if (nyA > 0) stackDy(stackA, dy, b0, nb, oh, ow, cout, nyA, nxMax, rows, cols);
    if (nyB > 0 && nyB != nyA) stackDy(stackB, dy, b0, nb, oh, ow, cout, nyB, nxMax, rows, cols);
    for (let ry = 0; ry < sh; ry++) {
      const ny = classTaps(kh, sh, ry);
      const iyFirst = classFirst(ry, pt, sh);
      const cy = classCount(ih, sh, iyFirst);
      const tFirst = (iyFirst + pt - ry) / sh;
      for (let rx = 0; rx < sw; rx++) {
        const nx = classTaps(kw, sw, rx);
        const ixFirst = classFirst(rx, pl, sw);
        const cx = classCount(iw, sw, ixFirst);
        const uFirst = (ixFirst + pl - rx) / sw;
        if (cy == 0 || cx == 0) continue;
        if (ny == 0 || nx == 0) {
          // No tap reaches this class: its pixels are zero.
          for (let b = b0; b < b0 + nb; b++) {
            for (let ty = 0; ty < cy; ty++) {
              for (let tx = 0; tx < cx; tx++) {
                const iy = iyFirst + ty * sh;
                const ix = ixFirst + tx * sw;
                zeroBytes(out + (<usize>(((b * ih + iy) * iw + ix) * cin) << 2), cinBytes);
              }
            }
          }
          continue;
        }
        const entryBytes = <usize>(ny * cout) << 2;
        const stack = ny == nyA ? stackA : stackB;
        const run = nx * ny * cout;
        const panelBytes = <usize>(run * 8) << 2;
        const bClass = load<usize>(t + TAB_CLS + (<usize>(ry * sw + rx) << 2));
        const dxStep = <usize>sw * cinBytes;
        let r = 0;
        for (let bl = 0; bl < nb; bl++) {
          for (let ty = 0; ty < cy; ty++) {
            // Stacked column uu = u + nxMax - nx starts the run of the class's nx columns.
            let ap = stack + <usize>(((bl * rows + tFirst + ty) * cols + uFirst + nxMax - nx)) * entryBytes;
            let dp = out + (<usize>((((b0 + bl) * ih + iyFirst + ty * sh) * iw + ixFirst) * cin) << 2);
            for (let tx = 0; tx < cx; tx++) {
              setClassRow(r, ap, dp, panels, full);
              ap += entryBytes;
              dp += dxStep;
              if (++r == MR) {
                runClassTile(MR, run, panels, panelBytes, bClass, full, cin);
                r = 0;
              }
            }
          }
        }
        if (r > 0) {
          endTile(r, panels);
          runClassTile(r, run, panels, panelBytes, bClass, full, cin);
        }
      }
    }
    if (staged) memory.copy(dx + (<usize>(b0 * dxFloats) << 2), stage, <usize>(nb * dxFloats) << 2);
  }
}
