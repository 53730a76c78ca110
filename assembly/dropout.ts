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

/** Whether counter c's unit is kept: the scalar twin of the lanes below. */
@inline function keptAt(key: u32, c: u64, thr: u32): bool {
  return triple32(<u32>c ^ blockKey(key, <u32>(c >> 32))) >> 8 >= thr;
}

/**
 * Keep masks (all ones or zero per lane) of counters c .. c + 3. `bk` is the block key of
 * c's high word, valid for all four unless `crossing` (the sample's counters pass a
 * multiple of 2^32, once in 2^32 draws): then each lane takes its own block key.
 */
@inline function keepLanes(key: u32, c: u64, bk: u32, crossing: bool, thr: u32): v128 {
  if (!crossing) {
    const h = triple32v(v128.xor(i32x4.add(i32x4.splat(<u32>c), i32x4(0, 1, 2, 3)), i32x4.splat(bk)));
    return i32x4.ge_u(i32x4.shr_u(h, 8), i32x4.splat(thr));
  }
  let m = i32x4.splat(0);
  if (keptAt(key, c, thr)) m = i32x4.replace_lane(m, 0, -1);
  if (keptAt(key, c + 1, thr)) m = i32x4.replace_lane(m, 1, -1);
  if (keptAt(key, c + 2, thr)) m = i32x4.replace_lane(m, 2, -1);
  if (keptAt(key, c + 3, thr)) m = i32x4.replace_lane(m, 3, -1);
  return m;
}

/**
 * Dropout's row (hw = 1): ch elements whose counters lo .. lo + ch - 1 share the block
 * key bk, drawn and applied in one contiguous pass.
 */
@inline function maskRow(x: usize, y: usize, ch: i32, lo: u32, bk: u32, thr: u32, scale: f32): void {
  const bkv = i32x4.splat(bk);
  const thrv = i32x4.splat(thr);
  const sv = f32x4.splat(scale);
  const four = i32x4.splat(4);
  let cv = i32x4.add(i32x4.splat(lo), i32x4(0, 1, 2, 3));
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

/**
 * Overwrites y[s, p, c] = x[s, p, c] f32(1 / (1 - rate)) where u(key, counter + s ch + c)
 * >= rate, else +0 (as TF's where(), even for a NaN x), for x, y [n, hw, ch]; y may
 * equal x. hw = 1 is Dropout (a draw per element), hw = H W SpatialDropout2D (a draw per
 * sample and channel). Its backward is itself on (dy, dx) with the same key and counter.
 * With hw > 1 each group of four channels draws its mask once and applies it to every
 * pixel (loads strided by ch): one hash per channel, not per element.
 */
export function dropout(x: i32, y: i32, n: i32, hw: i32, ch: i32, key: u32, counter: f64, rate: f64): void {
  if (n <= 0 || hw <= 0 || ch <= 0) return;
  const thr = <u32>Math.ceil(rate * 16777216.0);
  const scale = <f32>(1.0 / (1.0 - rate));
  const sv = f32x4.splat(scale);
  const start = <u64>counter;
  const pixelBytes = <usize>ch << 2;
  const sampleBytes = <usize>hw * pixelBytes;
  const c4 = ch & ~3;
  for (let s = 0; s < n; s++) {
    const base = start + <u64>s * <u64>ch;
    const crossing = <u32>((base + <u64>(ch - 1)) >> 32) != <u32>(base >> 32);
    const bk = blockKey(key, <u32>(base >> 32));
    const xs = (<usize>x << 2) + <usize>s * sampleBytes;
    const ys = (<usize>y << 2) + <usize>s * sampleBytes;
    if (hw == 1 && !crossing) {
      maskRow(xs, ys, ch, <u32>base, bk, thr, scale);
      continue;
    }
    for (let c = 0; c < c4; c += 4) {
      const keep = keepLanes(key, base + <u64>c, bk, crossing, thr);
      let o = <usize>c << 2;
      for (let p = 0; p < hw; p++) {
        v128.store(ys + o, v128.and(f32x4.mul(v128.load(xs + o), sv), keep));
        o += pixelBytes;
      }
    }
    for (let c = c4; c < ch; c++) {
      const kept = keptAt(key, base + <u64>c, thr);
      let o = <usize>c << 2;
      for (let p = 0; p < hw; p++) {
        store<f32>(ys + o, kept ? load<f32>(xs + o) * scale : 0);
        o += pixelBytes;
      }
    }
  }
}
