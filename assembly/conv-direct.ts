// Direct convolutions for the one-channel ends of a network, where lowering to a GEMM
// wastes most of the micro-kernel (one output channel fills 1 of its 8 columns) or most
// of the time in im2col (one input channel copies one float per tap):
//   cout = 1: forward, input gradient and filter gradient, vectorised over input channels;
//   cin  = 1: forward and filter gradient, vectorised over output channels.
// Geometry as in conv.ts (NHWC input [n, ih, iw, cin], HWIO kernel, output [n, oh, ow,
// cout]). A tap that falls in the padding reads the all-zero ZERO area instead of
// branching. Every output element is summed in a fixed order (taps, then channels), so
// results do not depend on how pixels are grouped.

import { zeroPtr, ZERO_FLOATS } from './scratch';
import { madd } from './simd';

/** Channels a direct kernel may read through the ZERO area. */
export const DIRECT_MAX_CHANNELS: i32 = ZERO_FLOATS;

/** Address of x[b, iy, ix, 0], or ZERO when (iy, ix) lies in the padding. */
@inline function at(x: usize, b: i32, iy: i32, ix: i32, ih: i32, iw: i32, c: i32): usize {
  return iy >= 0 && iy < ih && ix >= 0 && ix < iw ? x + ((<usize>((b * ih + iy) * iw + ix) * c) << 2) : zeroPtr;
}

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
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

/**
 * cout = 1 filter gradient: dw[ky, kx, ci] = Σ over batch and output pixels of
 * x[input pixel of the tap, ci] · dy[pixel]. One kernel row at a time and image by
 * image (an image stays in cache across its passes), three taps x four channel vectors
 * in registers (cin a multiple of 4). Overwrites dw.
 */
export function convFilterGradOneOut(
  x: usize, dy: usize, dw: usize,
  n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  memory.fill(dw, 0, <usize>(kh * kw * cin) << 2);
  for (let b = 0; b < n; b++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx += 3) {
        const nt = min(3, kw - kx);
        for (let c = 0; c < cin; c += 16) {
          const nv = min(4, (cin - c) >> 2);
          filterOneOutBlock(x, dy, dw, b, ih, iw, cin, oh, ow, sh, sw, pt, pl, ky, kx, kw, nt, c, nv);
        }
      }
    }
  }
}

/** Up to 3 taps (kx .. kx+nt) x nv vectors of channels from c, over one image's pixels. */
function filterOneOutBlock(
  x: usize, dy: usize, dw: usize, b: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32,
  sh: i32, sw: i32, pt: i32, pl: i32, ky: i32, kx: i32, kw: i32, nt: i32, c: i32, nv: i32,
): void {
  // Taps and vectors beyond nt / nv accumulate into a dead row of TILE-like locals and
  // read ZERO, so the loop body has no branches; only live ones are stored.
  const o = <usize>c << 2;
  const w0 = dw + (<usize>((ky * kw + kx) * cin) << 2) + o;
  const w1 = w0 + (<usize>cin << 2);
  const w2 = w1 + (<usize>cin << 2);
  let a00 = v128.load(w0), a01 = nv > 1 ? v128.load(w0, 16) : f32x4.splat(0), a02 = nv > 2 ? v128.load(w0, 32) : f32x4.splat(0), a03 = nv > 3 ? v128.load(w0, 48) : f32x4.splat(0);
  let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
  let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a22 = f32x4.splat(0), a23 = f32x4.splat(0);
  if (nt > 1) {
    a10 = v128.load(w1);
    if (nv > 1) a11 = v128.load(w1, 16);
    if (nv > 2) a12 = v128.load(w1, 32);
    if (nv > 3) a13 = v128.load(w1, 48);
  }
  if (nt > 2) {
    a20 = v128.load(w2);
    if (nv > 1) a21 = v128.load(w2, 16);
    if (nv > 2) a22 = v128.load(w2, 32);
    if (nv > 3) a23 = v128.load(w2, 48);
  }
  // A vector beyond nv reads ZERO (at least 16 floats past any pointer we form: ZERO is 1024).
  const v1: usize = nv > 1 ? 16 : 0;
  const v2: usize = nv > 2 ? 32 : 0;
  const v3: usize = nv > 3 ? 48 : 0;
  for (let oy = 0; oy < oh; oy++) {
    const iy = oy * sh - pt + ky;
    const dyRow = dy + (<usize>((b * oh + oy) * ow) << 2);
    for (let ox = 0; ox < ow; ox++) {
      const g = v128.load32_splat(dyRow + (<usize>ox << 2));
      const ix = ox * sw - pl + kx;
      let p = at(x, b, iy, ix, ih, iw, cin);
      if (p != zeroPtr) p += o;
      a00 = madd(v128.load(p), g, a00);
      a01 = madd(v128.load(p + v1), g, a01);
      a02 = madd(v128.load(p + v2), g, a02);
      a03 = madd(v128.load(p + v3), g, a03);
      let q = nt > 1 ? at(x, b, iy, ix + 1, ih, iw, cin) : zeroPtr;
      if (q != zeroPtr) q += o;
      a10 = madd(v128.load(q), g, a10);
      a11 = madd(v128.load(q + v1), g, a11);
      a12 = madd(v128.load(q + v2), g, a12);
      a13 = madd(v128.load(q + v3), g, a13);
      let r = nt > 2 ? at(x, b, iy, ix + 2, ih, iw, cin) : zeroPtr;
      if (r != zeroPtr) r += o;
      a20 = madd(v128.load(r), g, a20);
      a21 = madd(v128.load(r + v1), g, a21);
      a22 = madd(v128.load(r + v2), g, a22);
      a23 = madd(v128.load(r + v3), g, a23);
    }
  }
  v128.store(w0, a00);
  if (nv > 1) v128.store(w0, a01, 16);
  if (nv > 2) v128.store(w0, a02, 32);
  if (nv > 3) v128.store(w0, a03, 48);
  if (nt > 1) {
    v128.store(w1, a10);
    if (nv > 1) v128.store(w1, a11, 16);
    if (nv > 2) v128.store(w1, a12, 32);
    if (nv > 3) v128.store(w1, a13, 48);
  }
  if (nt > 2) {
    v128.store(w2, a20);
    if (nv > 1) v128.store(w2, a21, 16);
    if (nv > 2) v128.store(w2, a22, 32);
    if (nv > 3) v128.store(w2, a23, 48);
  }
}

/**
 * cin = 1 forward: y[pixel, co] = Σ over taps of x[tap's input] · w[tap, co], two output
 * pixels at a time, 16 output channels (4 vectors) per pass (cout a multiple of 4).
 * Overwrites y.
 */
export function convForwardOneIn(
  x: usize, w: usize, y: usize,
  n: i32, ih: i32, iw: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const coutBytes = <usize>cout << 2;
  for (let c = 0; c < cout; c += 16) {
    const nv = min(4, (cout - c) >> 2);
    const o = <usize>c << 2;
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox += 2) {
          const two = ox + 1 < ow;
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
          let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx;
              const u = v128.load32_splat(at(x, b, iy, ix, ih, iw, 1));
              const v = v128.load32_splat(two ? at(x, b, iy, ix + sw, ih, iw, 1) : zeroPtr);
              // w[tap, c ..]: vectors beyond nv come from ZERO and are never stored.
              const wp = w + <usize>(ky * kw + kx) * coutBytes + o;
              const w0 = v128.load(wp);
              const w1 = v128.load(nv > 1 ? wp + 16 : zeroPtr);
              const w2 = v128.load(nv > 2 ? wp + 32 : zeroPtr);
              const w3 = v128.load(nv > 3 ? wp + 48 : zeroPtr);
              a0 = madd(u, w0, a0); a1 = madd(u, w1, a1); a2 = madd(u, w2, a2); a3 = madd(u, w3, a3);
              b0 = madd(v, w0, b0); b1 = madd(v, w1, b1); b2 = madd(v, w2, b2); b3 = madd(v, w3, b3);
            }
          }
          const yp = y + <usize>((b * oh + oy) * ow + ox) * coutBytes + o;
          v128.store(yp, a0);
          if (nv > 1) v128.store(yp, a1, 16);
          if (nv > 2) v128.store(yp, a2, 32);
          if (nv > 3) v128.store(yp, a3, 48);
          if (two) {
            const yq = yp + coutBytes;
            v128.store(yq, b0);
            if (nv > 1) v128.store(yq, b1, 16);
            if (nv > 2) v128.store(yq, b2, 32);
            if (nv > 3) v128.store(yq, b3, 48);
          }
        }
      }
    }
  }
}

/**
 * cin = 1 filter gradient: dw[tap, co] = Σ over batch and output pixels of
 * x[tap's input] · dy[pixel, co]: a kernel row's three taps x four vectors of output
 * channels in registers, image by image (cout a multiple of 4). Overwrites dw.
 */
export function convFilterGradOneIn(
  x: usize, dy: usize, dw: usize,
  n: i32, ih: i32, iw: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  memory.fill(dw, 0, <usize>(kh * kw * cout) << 2);
  for (let b = 0; b < n; b++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx += 3) {
        const nt = min(3, kw - kx);
        for (let c = 0; c < cout; c += 16) {
          filterOneInBlock(x, dy, dw, b, ih, iw, oh, ow, cout, sh, sw, pt, pl, ky, kx, kw, nt, c, min(4, (cout - c) >> 2));
        }
      }
    }
  }
}

function filterOneInBlock(
  x: usize, dy: usize, dw: usize, b: i32, ih: i32, iw: i32, oh: i32, ow: i32, cout: i32,
  sh: i32, sw: i32, pt: i32, pl: i32, ky: i32, kx: i32, kw: i32, nt: i32, c: i32, nv: i32,
): void {
  const coutBytes = <usize>cout << 2;
  const o = <usize>c << 2;
  const w0 = dw + <usize>(ky * kw + kx) * coutBytes + o;
  const w1 = w0 + coutBytes;
  const w2 = w1 + coutBytes;
  let a00 = v128.load(w0), a01 = nv > 1 ? v128.load(w0, 16) : f32x4.splat(0), a02 = nv > 2 ? v128.load(w0, 32) : f32x4.splat(0), a03 = nv > 3 ? v128.load(w0, 48) : f32x4.splat(0);
  let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
  let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a22 = f32x4.splat(0), a23 = f32x4.splat(0);
  if (nt > 1) {
    a10 = v128.load(w1);
    if (nv > 1) a11 = v128.load(w1, 16);
    if (nv > 2) a12 = v128.load(w1, 32);
    if (nv > 3) a13 = v128.load(w1, 48);
  }
  if (nt > 2) {
    a20 = v128.load(w2);
    if (nv > 1) a21 = v128.load(w2, 16);
    if (nv > 2) a22 = v128.load(w2, 32);
    if (nv > 3) a23 = v128.load(w2, 48);
  }
  for (let oy = 0; oy < oh; oy++) {
    const iy = oy * sh - pt + ky;
    for (let ox = 0; ox < ow; ox++) {
      const gp = dy + <usize>((b * oh + oy) * ow + ox) * coutBytes + o;
      // Vectors beyond nv read ZERO: their accumulators stay unused.
      const g0 = v128.load(gp);
      const g1 = v128.load(nv > 1 ? gp + 16 : zeroPtr);
      const g2 = v128.load(nv > 2 ? gp + 32 : zeroPtr);
      const g3 = v128.load(nv > 3 ? gp + 48 : zeroPtr);
      const ix = ox * sw - pl + kx;
      const u = v128.load32_splat(at(x, b, iy, ix, ih, iw, 1));
      a00 = madd(u, g0, a00); a01 = madd(u, g1, a01); a02 = madd(u, g2, a02); a03 = madd(u, g3, a03);
      const v = v128.load32_splat(nt > 1 ? at(x, b, iy, ix + 1, ih, iw, 1) : zeroPtr);
      a10 = madd(v, g0, a10); a11 = madd(v, g1, a11); a12 = madd(v, g2, a12); a13 = madd(v, g3, a13);
      const t = v128.load32_splat(nt > 2 ? at(x, b, iy, ix + 2, ih, iw, 1) : zeroPtr);
      a20 = madd(t, g0, a20); a21 = madd(t, g1, a21); a22 = madd(t, g2, a22); a23 = madd(t, g3, a23);
    }
  }
  v128.store(w0, a00);
  if (nv > 1) v128.store(w0, a01, 16);
  if (nv > 2) v128.store(w0, a02, 32);
  if (nv > 3) v128.store(w0, a03, 48);
  if (nt > 1) {
    v128.store(w1, a10);
    if (nv > 1) v128.store(w1, a11, 16);
    if (nv > 2) v128.store(w1, a12, 32);
    if (nv > 3) v128.store(w1, a13, 48);
  }
  if (nt > 2) {
    v128.store(w2, a20);
    if (nv > 1) v128.store(w2, a21, 16);
    if (nv > 2) v128.store(w2, a22, 32);
    if (nv > 3) v128.store(w2, a23, 48);
  }
}
