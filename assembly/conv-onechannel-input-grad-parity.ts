// conv2dBackwardInput for one input channel (cin = 1), by output-parity classes as in
// conv-input-grad-parity.ts: the input pixels split into sh x sw classes, and a class
// pixel's taps read one contiguous run of ny nx cout floats of dy stacked ny rows deep
// (stackDy). With one input channel the class GEMM has a single column, so instead of an
// 8-column panel that would be 7/8 empty (the generic kernel refuses cin < 4 and col2im
// ran at 5 GFLOP/s on the denoiser's first layer), each class pixel is a dot product of
// its run with the class's taps, three pixels at a time (dotMicro3). The class's results
// land in WORK in order and are then written to their strided places in dx.
//
// Summation order per dx element: dotMicro3's (pairs of vectors of the run in order, the
// lanes summed last), the same wherever the pixel falls.

import { KC, NC, TAB_ENTRIES, WORK_FLOATS, dumpPtr, packBPtr, tabPtr, workPtr } from './scratch';
import { blockImages, zeroBytes } from './conv-copy';
import { classCount, classFirst, classTaps, stackCols, stackDy, stackFloats, stackRows } from './conv-input-grad-parity';
import { dotMicro3 } from './conv-onechannel-forward';

/** Bytes of stacked dy per block: they stay in L2 while the classes run over them. */
const BLOCK_BYTES = 256 * 1024;

/** Pixels of the largest parity class of one image. */
@inline function classPixels(ih: i32, iw: i32, sh: i32, sw: i32): i32 {
  return ((ih + sh - 1) / sh) * ((iw + sw - 1) / sw);
}

/** Images per block: stacked dy, the class pixels' run pointers and results; 0 if one does not fit. */
function parityBlock(n: i32, ih: i32, iw: i32, cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): i32 {
  const stack = <i64>stackFloats(ih, iw, cout, kh, kw, sh, sw, pt, pl);
  return blockImages(n, stack + 2 * <i64>classPixels(ih, iw, sh, sw), 8, WORK_FLOATS, BLOCK_BYTES);
}

/** Whether convInputGradOneInParity handles this shape (cin = 1). */
export function inputGradOneInParityFits(n: i32, ih: i32, iw: i32, cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): bool {
  // Runs of whole pairs of vectors (dotMicro3) for every class: cout a multiple of 8.
  const pairs = <i64>classTaps(kh, sh, 0) * classTaps(kw, sw, 0) * cout / 8;
  return (cout & 7) == 0 && pt >= 0 && pl >= 0 && pairs <= TAB_ENTRIES && <i64>kh * kw * cout <= <i64>(KC * NC) &&
    parityBlock(n, ih, iw, cout, kh, kw, sh, sw, pt, pl) > 0;
}

/**
 * Packs the taps of class (ry, rx) (ny x nx of them) at dst in the order a stacked run
 * meets them: [q][jj][co] = w[ry + (ny - 1 - jj) sh, rx + (nx - 1 - q) sw, 0, co].
 */
function packClassTaps(dst: usize, w: usize, kw: i32, cout: i32, sh: i32, sw: i32, ry: i32, rx: i32, ny: i32, nx: i32): void {
  const coutBytes = <usize>cout << 2;
  let d = dst;
  for (let q = 0; q < nx; q++) {
    const kx = rx + (nx - 1 - q) * sw;
    for (let jj = 0; jj < ny; jj++) {
      const ky = ry + (ny - 1 - jj) * sh;
      memory.copy(d, w + <usize>(ky * kw + kx) * coutBytes, coutBytes);
      d += coutBytes;
    }
  }
}

/**
 * cin = 1 input gradient by parity classes (inputGradOneInParityFits must hold).
 * Overwrites dx[n, ih, iw, 1].
 */
export function convInputGradOneInParity(
  dy: usize, w: usize, dx: usize,
  n: i32, ih: i32, iw: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const nyA = classTaps(kh, sh, 0);
  const nyB = classTaps(kh, sh, sh - 1);
  const nxMax = classTaps(kw, sw, 0);
  const rows = stackRows(ih, sh, pt);
  const cols = stackCols(iw, kw, sw, pl);
  const imageFloats = stackFloats(ih, iw, cout, kh, kw, sh, sw, pt, pl);
  const block = parityBlock(n, ih, iw, cout, kh, kw, sh, sw, pt, pl);
  const perClass = block * classPixels(ih, iw, sh, sw);
  const stackA = workPtr;
  const stackB = workPtr + (<usize>(block * rows * cols * nyA * cout) << 2);
  // Run pointers of a class's pixels (two spare entries for a padded last group), then their results.
  const pTab = workPtr + (<usize>(block * imageFloats) << 2);
  const res = pTab + (<usize>(perClass + 8) << 2);
  // The runs are contiguous: pair i of every run is 32 i bytes in.
  for (let i = 0; i < nyA * nxMax * cout / 8; i++) store<usize>(tabPtr + (<usize>i << 2), <usize>i << 5);
  for (let b0 = 0; b0 < n; b0 += block) {
    const nb = min(block, n - b0);
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
        const count = nb * cy * cx;
        if (ny == 0 || nx == 0) {
          // No tap reaches this class: its pixels are zero.
          zeroBytes(res, <usize>count << 2);
        } else {
          const entryBytes = <usize>(ny * cout) << 2;
          const stack = ny == nyA ? stackA : stackB;
          let t = pTab;
          for (let bl = 0; bl < nb; bl++) {
            for (let ty = 0; ty < cy; ty++) {
              // Stacked column uu = u + nxMax - nx starts the run of the class's nx columns.
              let ap = stack + <usize>(((bl * rows + tFirst + ty) * cols + uFirst + nxMax - nx)) * entryBytes;
              for (let tx = 0; tx < cx; tx++) {
                store<usize>(t, ap);
                ap += entryBytes;
                t += 4;
              }
            }
          }
          packClassTaps(packBPtr, w, kw, cout, sh, sw, ry, rx, ny, nx);
          const nk = nx * ny * cout / 8;
          const ng = count / 3;
          dotMicro3(ng, nk, tabPtr, packBPtr, pTab, res);
          if (ng * 3 < count) {
            // The last one or two pixels: a group padded with the first pixel, through DUMP.
            const last = pTab + (<usize>(ng * 3) << 2);
            for (let r = count - ng * 3; r < 3; r++) store<usize>(last + (<usize>r << 2), load<usize>(pTab));
            dotMicro3(1, nk, tabPtr, packBPtr, last, dumpPtr);
            for (let r = 0; r < count - ng * 3; r++) store<f32>(res + (<usize>(ng * 3 + r) << 2), load<f32>(dumpPtr + (<usize>r << 2)));
          }
        }
        let s = res;
        for (let bl = 0; bl < nb; bl++) {
          for (let ty = 0; ty < cy; ty++) {
            let d = dx + (<usize>(((b0 + bl) * ih + iyFirst + ty * sh) * iw + ixFirst) << 2);
            for (let tx = 0; tx < cx; tx++) {
              store<f32>(d, load<f32>(s));
              s += 4;
              d += <usize>sw << 2;
            }
          }
        }
      }
    }
  }
}
