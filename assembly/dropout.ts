// Dropout's mask, drawn from the counter-based generator (random.ts) and applied in one
// pass: no mask is stored. The mask of element (s, p, c) of x[n, hw, ch] is the uniform
// u(key, counter + s ch + c) >= rate, so the same call on (dy, dx) is the backward, and
// any split of the samples among threads draws the same values.
//
// u = (bits >> 8) 2^-24 (randUniform's 24-bit uniform), so u >= rate is the integer
// test (bits >> 8) >= ceil(rate 2^24): rate 2^24 is exact in float64.

import { blockKey, triple32 } from './random';

/** triple32 on four lanes: the same xor-shift-multiply steps, lane by lane. */
@inline function triple32v(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 17));
  x = i32x4.mul(x, i32x4.splat(0xed5ad4bb));
  x = v128.xor(x, i32x4.shr_u(x, 11));
  x = i32x4.mul(x, i32x4.splat(0xac4c1b51));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(0x31848bab));
  return v128.xor(x, i32x4.shr_u(x, 14));
}

/**
 * One row of ch elements whose counters lo .. lo + ch - 1 share one high word (its block
 * key bk): y = x scale where kept, else +0 (as TF's where(), even for a NaN x).
 */
@inline function maskRow(x: usize, y: usize, ch: i32, lo: u32, bk: u32, thr: u32, scale: f32): void {
  const bkv = i32x4.splat(bk);
  const thrv = i32x4.splat(thr);
  const sv = f32x4.splat(scale);
  let cv = i32x4.add(i32x4.splat(lo), i32x4(0, 1, 2, 3));
  const four = i32x4.splat(4);
  const c4 = ch & ~3;
  for (let c = 0; c < c4; c += 4) {
    const o = <usize>c << 2;
    const keep = i32x4.ge_u(i32x4.shr_u(triple32v(v128.xor(cv, bkv)), 8), thrv);
    v128.store(y + o, v128.and(f32x4.mul(v128.load(x + o), sv), keep));
    cv = i32x4.add(cv, four);
  }
  for (let c = c4; c < ch; c++) {
    const o = <usize>c << 2;
    const kept = triple32((lo + <u32>c) ^ bk) >> 8 >= thr;
    store<f32>(y + o, kept ? load<f32>(x + o) * scale : 0);
  }
}

/** A row whose counters cross a high word (once in 2^32 draws): one block key per element. */
function maskRowCrossing(x: usize, y: usize, ch: i32, key: u32, base: u64, thr: u32, scale: f32): void {
  for (let c = 0; c < ch; c++) {
    const ctr = base + <u64>c;
    const kept = triple32(<u32>ctr ^ blockKey(key, <u32>(ctr >> 32))) >> 8 >= thr;
    const o = <usize>c << 2;
    store<f32>(y + o, kept ? load<f32>(x + o) * scale : 0);
  }
}

/**
 * Overwrites y[s, p, c] = x[s, p, c] f32(1 / (1 - rate)) where u(key, counter + s ch + c)
 * >= rate, else 0, for x, y [n, hw, ch]; y may equal x. hw = 1 is Dropout (a draw per
 * element), hw = H W SpatialDropout2D (a draw per sample and channel). Its backward is
 * itself on (dy, dx) with the same key and counter.
 */
export function dropout(x: i32, y: i32, n: i32, hw: i32, ch: i32, key: u32, counter: f64, rate: f64): void {
  if (n <= 0 || hw <= 0 || ch <= 0) return;
  const thr = <u32>Math.ceil(rate * 16777216.0);
  const scale = <f32>(1.0 / (1.0 - rate));
  const start = <u64>counter;
  const rowBytes = <usize>ch << 2;
  let xp = <usize>x << 2;
  let yp = <usize>y << 2;
  for (let s = 0; s < n; s++) {
    const base = start + <u64>s * <u64>ch;
    const hi = <u32>(base >> 32);
    const crossing = <u32>((base + <u64>(ch - 1)) >> 32) != hi;
    const bk = blockKey(key, hi);
    for (let p = 0; p < hw; p++) {
      if (crossing) maskRowCrossing(xp, yp, ch, key, base, thr, scale);
      else maskRow(xp, yp, ch, <u32>base, bk, thr, scale);
      xp += rowBytes;
      yp += rowBytes;
    }
  }
}
