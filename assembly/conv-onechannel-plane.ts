// The plane kernel of the one-channel convolutions: one input channel (a plane, zero-
// padded in WORK) to blocks of 16 channels, taps of the plane x 16 channels. It serves
// the cin = 1 forward (conv-onechannel-forward.ts) and the cout = 1, stride-1 input
// gradient, a one-input-channel convolution of dy with the rotated kernel
// (conv-onechannel-input-grad.ts). Packed taps live in PACK_A, tap offsets in TAB.
//
// V8 sinks the arithmetic of a conditionally stored value into the branch and spills,
// so every store is unconditional and partial channel blocks go through DUMP.

import { dumpPtr, packAPtr, tabPtr } from './scratch';
import { madd } from './simd';

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
export function packPlaneWeights(w: usize, nt: i32, nch: i32, flip: bool): void {
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
export function planeTapOffsets(kh: i32, kw: i32, rowBytes: usize): void {
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
export function planeRow(nt: i32, r: usize, pStep: usize, out: usize, np: i32, nch: i32): void {
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
