// conv2d over NHWC activations with HWIO kernels [kh, kw, cin, cout] (Keras layouts):
// the three exported passes and their dispatch. Conv2DTranspose reuses them: its forward
// is conv2dBackwardInput and its backward passes are conv2dForward and
// conv2dBackwardFilter with the roles of x and y swapped. Both backward passes overwrite
// their gradient (dx, dw), as does the forward y.
//
// Each pass takes the first of these that fits the shape (the "fits" functions check the
// scratch space each needs); files are named by pass, then algorithm:
//   one channel in or out    conv-onechannel-forward.ts, conv-onechannel-input-grad.ts,
//                            conv-onechannel-filter-grad.ts (padded blocks, then in place)
//   forward                  implicit GEMM (conv-forward-implicit.ts)
//   input gradient           implicit GEMM per output-parity class (conv-input-grad-parity.ts);
//                            one input channel: dot products per class pixel
//                            (conv-onechannel-input-grad-parity.ts)
//   filter gradient          implicit GEMM over padded images (conv-filter-grad-implicit.ts)
//   anything else            sgemm over an im2col matrix COL[P, K] (P output pixels,
//                            K = kh kw cin, columns ordered (ky, kx, ci)), a chunk of
//                            pixels at a time: Y = COL · W; dCOL = dY · Wᵀ scattered back
//                            (col2im) into dX; dW = Σ_chunks COLᵀ · dY; or, for a patch
//                            longer than COL itself, one sgemm per (pixel, tap).
// Every path sums a forward or input-gradient output in an order fixed by the shape
// alone, so an image's outputs do not depend on the other images of the call.

import { COL_FLOATS, colPtr, PARTIAL_FLOATS, partialPtr } from './scratch';
import { sgemm, sgemmUniform } from './gemm';
import { add, addAt, fill } from './elementwise';
import {
  DIRECT_MAX_CHANNELS, convForwardOneInPlane, convForwardOneOut, convForwardOneOutPadded, forwardOneInPlaneFits, forwardOneOutPaddedFits,
} from './conv-onechannel-forward';
import { convInputGradOneOut, convInputGradOneOutPlane, inputGradOneOutPlaneFits } from './conv-onechannel-input-grad';
import {
  convFilterGradOneInPadded, convFilterGradOneOutPadded, filterGradOneInPaddedFits, filterGradOneOutPaddedFits,
} from './conv-onechannel-filter-grad';
import { convForwardImplicit, forwardImplicitFits } from './conv-forward-implicit';
import { convInputGradParity, inputGradParityFits } from './conv-input-grad-parity';
import { convInputGradOneInParity, inputGradOneInParityFits } from './conv-onechannel-input-grad-parity';
import { convFilterGradImplicit, filterGradImplicitFits } from './conv-filter-grad-implicit';

/** Copies `cin` floats, or zeros them when `src` is 0 (a padding cell). */
@inline function copyChannels(dst: usize, src: usize, cin: i32): void {
  if (cin == 1) {
    store<f32>(dst, src == 0 ? 0 : load<f32>(src));
  } else if ((cin & 3) == 0) {
    const bytes = <usize>cin << 2;
    if (src == 0) for (let o: usize = 0; o < bytes; o += 16) v128.store(dst + o, f32x4.splat(0));
    else for (let o: usize = 0; o < bytes; o += 16) v128.store(dst + o, v128.load(src + o));
  } else {
    if (src == 0) memory.fill(dst, 0, <usize>cin << 2);
    else memory.copy(dst, src, <usize>cin << 2);
  }
}

/**
 * Rows p0 .. p0+pc of the im2col matrix COL[P, kh kw cin] at colPtr, against x: gathers
 * them from x (padding taps as zeros), or with `scatter` adds them back into x (col2im;
 * padding taps dropped). Inlined into one function per direction, so `scatter` folds.
 */
@inline function im2colRows(
  scatter: bool, x: usize, p0: i32, pc: i32,
  ih: i32, iw: i32, cin: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const cinBytes = <usize>cin << 2;
  let col = colPtr;
  for (let p = p0; p < p0 + pc; p++) {
    const ox = p % ow;
    const t = p / ow;
    const oy = t % oh;
    const nn = t / oh;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh - pt + ky;
      const rowOk = iy >= 0 && iy < ih;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ox * sw - pl + kx;
        const inside = rowOk && ix >= 0 && ix < iw;
        if (scatter) {
          if (inside) addAt(x + ((<usize>((nn * ih + iy) * iw + ix) * cin) << 2), col, cin);
        } else {
          copyChannels(col, inside ? x + ((<usize>((nn * ih + iy) * iw + ix) * cin) << 2) : 0, cin);
        }
        col += cinBytes;
      }
    }
  }
}

/** Writes rows p0 .. p0+pc of the im2col matrix of x to colPtr. */
function im2col(
  x: usize, p0: i32, pc: i32,
  ih: i32, iw: i32, cin: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  im2colRows(false, x, p0, pc, ih, iw, cin, oh, ow, kh, kw, sh, sw, pt, pl);
}

/** Adds rows p0 .. p0+pc of the column matrix at colPtr back into dx (col2im). */
function col2imAdd(
  dx: usize, p0: i32, pc: i32,
  ih: i32, iw: i32, cin: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  im2colRows(true, dx, p0, pc, ih, iw, cin, oh, ow, kh, kw, sh, sw, pt, pl);
}

@inline function chunkRows(kdim: i32): i32 {
  return max(1, COL_FLOATS / kdim);
}

const PASS_FORWARD = 0;
const PASS_INPUT = 1;
const PASS_FILTER = 2;

/**
 * A patch longer than the column buffer (kh kw cin > COL_FLOATS) cannot become one im2col
 * row. No autoencoder comes near that, so such shapes run one sgemm per (output pixel,
 * kernel tap) pair, accumulating into an output the caller has zeroed: slow, but exact
 * and inside the outputs. x, w, y are the input, kernel and output or their gradients.
 */
function convByTaps(
  pass: i32, x: i32, w: i32, y: i32,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const rows = n * oh * ow;
  for (let p = 0; p < rows; p++) {
    const ox = p % ow;
    const t = p / ow;
    const oy = t % oh;
    const nn = t / oh;
    const yp = y + p * cout;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh - pt + ky;
      if (iy < 0 || iy >= ih) continue;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ox * sw - pl + kx;
        if (ix < 0 || ix >= iw) continue;
        const xp = x + ((nn * ih + iy) * iw + ix) * cin;
        const wp = w + (ky * kw + kx) * cin * cout;
        if (pass == PASS_FORWARD) sgemm(0, 0, 1, cout, cin, 1.0, xp, cin, wp, cout, 1.0, yp, cout);
        else if (pass == PASS_INPUT) sgemm(0, 1, 1, cin, cout, 1.0, yp, cout, wp, cout, 1.0, xp, cin);
        else sgemm(1, 0, cin, cout, 1, 1.0, xp, cin, yp, cout, 1.0, wp, cout);
      }
    }
  }
}

/** Overwrites y[n, oh, ow, cout] = conv(x, w). */
export function conv2dForward(
  x: i32, w: i32, y: i32,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  if (cout == 1 && forwardOneOutPaddedFits(n, cin, oh, ow, kh, kw, sh, sw, pt, pl)) {
    convForwardOneOutPadded(<usize>x << 2, <usize>w << 2, <usize>y << 2, n, ih, iw, cin, oh, ow, kh, kw, sh, sw, pt, pl);
    return;
  }
  if (cin == 1 && forwardOneInPlaneFits(n, oh, ow, cout, kh, kw, sh, sw, pt, pl)) {
    convForwardOneInPlane(<usize>x << 2, <usize>w << 2, <usize>y << 2, n, ih, iw, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    return;
  }
  if (cout == 1 && cin <= DIRECT_MAX_CHANNELS) {
    convForwardOneOut(<usize>x << 2, <usize>w << 2, <usize>y << 2, n, ih, iw, cin, oh, ow, kh, kw, sh, sw, pt, pl);
    return;
  }
  if (forwardImplicitFits(cin, cout, kh, kw)) {
    convForwardImplicit(<usize>x << 2, <usize>w << 2, <usize>y << 2, n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    return;
  }
  const kdim = kh * kw * cin;
  const rows = n * oh * ow;
  if (kdim > COL_FLOATS) {
    fill(y, rows * cout, 0);
    convByTaps(PASS_FORWARD, x, w, y, n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    return;
  }
  const step = chunkRows(kdim);
  const col = <i32>(colPtr >> 2);
  for (let p0 = 0; p0 < rows; p0 += step) {
    const pc = min(step, rows - p0);
    im2col(<usize>x << 2, p0, pc, ih, iw, cin, oh, ow, kh, kw, sh, sw, pt, pl);
    // Every chunk through the packed kernel: a chunk of a few rows must sum as a big one does.
    sgemmUniform(0, 0, pc, cout, kdim, 1.0, col, kdim, w, cout, 0.0, y + p0 * cout, cout);
  }
}

/** Overwrites dx[n, ih, iw, cin] from dy and w (also Conv2DTranspose's forward). */
export function conv2dBackwardInput(
  dy: i32, w: i32, dx: i32,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  if (cout == 1 && inputGradOneOutPlaneFits(n, ih, iw, cin, kh, kw, sh, sw, pt, pl)) {
    convInputGradOneOutPlane(<usize>dy << 2, <usize>w << 2, <usize>dx << 2, n, ih, iw, cin, oh, ow, kh, kw, pt, pl);
    return;
  }
  if (cout == 1 && (cin & 3) == 0 && cin <= DIRECT_MAX_CHANNELS) {
    convInputGradOneOut(<usize>dy << 2, <usize>w << 2, <usize>dx << 2, n, ih, iw, cin, oh, ow, kh, kw, sh, sw, pt, pl);
    return;
  }
  if (cin == 1 && inputGradOneInParityFits(n, ih, iw, cout, kh, kw, sh, sw, pt, pl)) {
    convInputGradOneInParity(<usize>dy << 2, <usize>w << 2, <usize>dx << 2, n, ih, iw, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    return;
  }
  if (inputGradParityFits(ih, iw, cin, cout, kh, kw, sh, sw, pt, pl)) {
    convInputGradParity(<usize>dy << 2, <usize>w << 2, <usize>dx << 2, n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    return;
  }
  const kdim = kh * kw * cin;
  const rows = n * oh * ow;
  fill(dx, n * ih * iw * cin, 0);
  if (kdim > COL_FLOATS) {
    convByTaps(PASS_INPUT, dx, w, dy, n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    return;
  }
  const step = chunkRows(kdim);
  const col = <i32>(colPtr >> 2);
  for (let p0 = 0; p0 < rows; p0 += step) {
    const pc = min(step, rows - p0);
    sgemm(0, 1, pc, kdim, cout, 1.0, dy + p0 * cout, cout, w, cout, 0.0, col, kdim);
    col2imAdd(<usize>dx << 2, p0, pc, ih, iw, cin, oh, ow, kh, kw, sh, sw, pt, pl);
  }
}

/** Images per filter-gradient chunk; the thread pool deals out the same chunks (exported). */
export const FILTER_CHUNK = 16;

/**
 * Overwrites dw[kh, kw, cin, cout] from x and dy. The sum over images runs in chunks of
 * FILTER_CHUNK images whose partial sums are added in chunk order (chunk 0 written, each
 * next one added): a thread pool can compute the chunks on different threads and add
 * them the same way, so the result does not depend on the thread count. Kernels larger
 * than PARTIAL_FLOATS are summed in one pass (and not split across threads).
 */
export function conv2dBackwardFilter(
  x: i32, dy: i32, dw: i32,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const size = kh * kw * cin * cout;
  if (n <= FILTER_CHUNK || size > PARTIAL_FLOATS) {
    filterGradient(x, dy, dw, n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    return;
  }
  const xs = ih * iw * cin;
  const ys = oh * ow * cout;
  filterGradient(x, dy, dw, FILTER_CHUNK, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  const part = <i32>(partialPtr >> 2);
  for (let b0 = FILTER_CHUNK; b0 < n; b0 += FILTER_CHUNK) {
    filterGradient(x + b0 * xs, dy + b0 * ys, part, min(FILTER_CHUNK, n - b0), ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    add(dw, part, dw, size);
  }
}

/** The filter gradient of one call's images, summed in image order. */
function filterGradient(
  x: i32, dy: i32, dw: i32,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  if (cout == 1 && filterGradOneOutPaddedFits(n, cin, oh, ow, kh, kw, sh, sw, pt, pl)) {
    convFilterGradOneOutPadded(<usize>x << 2, <usize>dy << 2, <usize>dw << 2, n, ih, iw, cin, oh, ow, kh, kw, sh, sw, pt, pl);
    return;
  }
  if (cin == 1 && filterGradOneInPaddedFits(n, oh, ow, cout, kh, kw, sh, sw, pt, pl)) {
    convFilterGradOneInPadded(<usize>x << 2, <usize>dy << 2, <usize>dw << 2, n, ih, iw, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    return;
  }
  if (filterGradImplicitFits(n, cin, oh, ow, cout, kh, kw, sh, sw)) {
    convFilterGradImplicit(<usize>x << 2, <usize>dy << 2, <usize>dw << 2, n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    return;
  }
  const kdim = kh * kw * cin;
  const rows = n * oh * ow;
  if (rows == 0 || kdim > COL_FLOATS) {
    fill(dw, kdim * cout, 0);
    convByTaps(PASS_FILTER, x, dw, dy, n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    return;
  }
  const step = chunkRows(kdim);
  const col = <i32>(colPtr >> 2);
  for (let p0 = 0; p0 < rows; p0 += step) {
    const pc = min(step, rows - p0);
    im2col(<usize>x << 2, p0, pc, ih, iw, cin, oh, ow, kh, kw, sh, sw, pt, pl);
    sgemm(1, 0, kdim, cout, pc, 1.0, col, kdim, dy + p0 * cout, cout, p0 == 0 ? 0.0 : 1.0, dw, cout);
  }
}
