// int8 inference (README "int8 models"): per-row dynamic quantization of activations and
// the int8 x int8 -> int32 gemm of a quantized Dense layer, dequantized with its bias.
//
// Layouts (bytes; an element offset `p` is byte address p * 4):
//   q [rows, kp]  int8 codes, kp a multiple of 16, columns >= k zero (so padding adds 0);
//   w [n4, kp]    int8 weights, one row per output channel (Wᵀ), n4 = n rounded up to 4,
//                 rows >= n zero; wScale and bias are read for n4 lanes.
// Every integer sum is exact int32 (|code| <= 127, so kp < 133,000 never wraps) and is
// added in any order with the same result, so the two gemms below and the JS spec agree
// bit for bit; the float epilogue is f32(f32(acc) * f32(xScale[r] * wScale[c])) + bias[c].

import { int8DotAdd } from './int8-dot';

/**
 * Quantizes x [rows, cols] (f32) row by row: scale[r] = max|x[r, :]| / 127 (0 for a zero
 * row), q[r, c] = nearest-even(x[r, c] * f32(127 / max)) in [-127, 127], padding to kp
 * zeroed. Returns 1 when every code is >= 0 (the i7 operand range of int8GemmRelaxed),
 * else 0.
 */
export function int8QuantizeRows(x: i32, rows: i32, cols: i32, q: i32, kp: i32, scale: i32): f64 {
  let low = i8x16.splat(0);
  const cols4 = cols & ~3;
  const cols16 = cols & ~15;
  for (let r = 0; r < rows; r++) {
    const src = (<usize>x << 2) + ((<usize>r * <usize>cols) << 2);
    const dst = (<usize>q << 2) + <usize>r * <usize>kp;
    let mv = f32x4.splat(0);
    for (let c = 0; c < cols4; c += 4) mv = f32x4.max(mv, f32x4.abs(v128.load(src + (<usize>c << 2))));
    let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    for (let c = cols4; c < cols; c++) m = max(m, abs(load<f32>(src + (<usize>c << 2))));
    const inv: f32 = m > 0 ? <f32>127 / m : 0;
    store<f32>((<usize>scale << 2) + (<usize>r << 2), m / 127);
    const iv = f32x4.splat(inv);
    for (let c = 0; c < cols16; c += 16) {
      const s = src + (<usize>c << 2);
      const a = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s), iv)));
      const b = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s, 16), iv)));
      const e = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s, 32), iv)));
      const f = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s, 48), iv)));
      const codes = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(e, f));
      low = i8x16.min_s(low, codes);
      v128.store(dst + <usize>c, codes);
    }
    for (let c = cols16; c < kp; c++) {
      const v: i32 = c < cols ? <i32>nearest(load<f32>(src + (<usize>c << 2)) * inv) : 0;
      if (v < 0) low = i8x16.splat(-1);
      store<i8>(dst + <usize>c, <i8>v);
    }
  }
  // low <= 0 in every lane: any lane not zero saw a negative code.
  return v128.any_true(low) ? 0 : 1;
}

/** Lane sums of four i32x4 accumulators: [Σa, Σb, Σc, Σd]. */
@inline function sum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const t0 = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const t1 = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(t0, t1, 0, 1, 4, 5), v128.shuffle<i32>(t0, t1, 2, 3, 6, 7));
}

/** Dequantizes four column sums of row r into y[r, c .. c + cols) (cols <= 4 stored). */
@inline function epilogue(acc: v128, xs: f32, ws: usize, bias: i32, y: usize, c: i32, cols: i32): void {
  let v = f32x4.mul(f32x4.convert_i32x4_s(acc), f32x4.mul(f32x4.splat(xs), v128.load(ws + (<usize>c << 2))));
  if (bias >= 0) v = f32x4.add(v, v128.load((<usize>bias << 2) + (<usize>c << 2)));
  const o = y + (<usize>c << 2);
  if (cols == 4) {
    v128.store(o, v);
    return;
  }
  store<f32>(o, f32x4.extract_lane(v, 0));
  if (cols > 1) store<f32>(o, f32x4.extract_lane(v, 1), 4);
  if (cols > 2) store<f32>(o, f32x4.extract_lane(v, 2), 8);
}

// The micro-kernels: 2 rows x 4 output channels (8 accumulators, 2 + 1 inputs live) and
// 1 x 4 for an odd last row, each dequantizing its own tile. R selects the dot: i8 = the
// relaxed i8 x i7 dot (relaxed builds; the q operand must be in [0, 127]), i16 = sign-extend
// to i16 and i32x4.dot_i16x8_s (every build). Not @inline (PERF-NOTES: inlined
// micro-kernels run at half speed).

function tile2x4<R>(q0: usize, w: usize, kp: usize, s0: f32, s1: f32, ws: usize, bias: i32, y0: usize, y1: usize, c: i32, cols: i32): void {
  const q1 = q0 + kp;
  let a00 = i32x4.splat(0), a01 = i32x4.splat(0), a02 = i32x4.splat(0), a03 = i32x4.splat(0);
  let a10 = i32x4.splat(0), a11 = i32x4.splat(0), a12 = i32x4.splat(0), a13 = i32x4.splat(0);
  for (let k: usize = 0; k < kp; k += 16) {
    const x0 = v128.load(q0 + k);
    const x1 = v128.load(q1 + k);
    let wv = v128.load(w + k);
    a00 = int8DotAdd<R>(wv, x0, a00); a10 = int8DotAdd<R>(wv, x1, a10);
    wv = v128.load(w + kp + k);
    a01 = int8DotAdd<R>(wv, x0, a01); a11 = int8DotAdd<R>(wv, x1, a11);
    wv = v128.load(w + 2 * kp + k);
    a02 = int8DotAdd<R>(wv, x0, a02); a12 = int8DotAdd<R>(wv, x1, a12);
    wv = v128.load(w + 3 * kp + k);
    a03 = int8DotAdd<R>(wv, x0, a03); a13 = int8DotAdd<R>(wv, x1, a13);
  }
  epilogue(sum4(a00, a01, a02, a03), s0, ws, bias, y0, c, cols);
  epilogue(sum4(a10, a11, a12, a13), s1, ws, bias, y1, c, cols);
}

function tile1x4<R>(q0: usize, w: usize, kp: usize, s0: f32, ws: usize, bias: i32, y0: usize, c: i32, cols: i32): void {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  for (let k: usize = 0; k < kp; k += 16) {
    const x0 = v128.load(q0 + k);
    a0 = int8DotAdd<R>(v128.load(w + k), x0, a0);
    a1 = int8DotAdd<R>(v128.load(w + kp + k), x0, a1);
    a2 = int8DotAdd<R>(v128.load(w + 2 * kp + k), x0, a2);
    a3 = int8DotAdd<R>(v128.load(w + 3 * kp + k), x0, a3);
  }
  epilogue(sum4(a0, a1, a2, a3), s0, ws, bias, y0, c, cols);
}

function int8Gemm<R>(m: i32, n: i32, kp: i32, q: i32, xScale: i32, w: i32, wScale: i32, bias: i32, y: i32): void {
  const k = <usize>kp;
  const qb = <usize>q << 2;
  const wb = <usize>w << 2;
  const ws = <usize>wScale << 2;
  const xs = <usize>xScale << 2;
  const yb = <usize>y << 2;
  const rowBytes = <usize>n << 2;
  let r = 0;
  for (; r + 2 <= m; r += 2) {
    const q0 = qb + <usize>r * k;
    const y0 = yb + <usize>r * rowBytes;
    const s0 = load<f32>(xs + (<usize>r << 2));
    const s1 = load<f32>(xs + (<usize>r << 2), 4);
    for (let c = 0; c < n; c += 4) tile2x4<R>(q0, wb + <usize>c * k, k, s0, s1, ws, bias, y0, y0 + rowBytes, c, min(4, n - c));
  }
  if (r < m) {
    const q0 = qb + <usize>r * k;
    const y0 = yb + <usize>r * rowBytes;
    const s0 = load<f32>(xs + (<usize>r << 2));
    for (let c = 0; c < n; c += 4) tile1x4<R>(q0, wb + <usize>c * k, k, s0, ws, bias, y0, c, min(4, n - c));
  }
}

/**
 * y[m, n] = f32(acc) * f32(xScale[r] * wScale[c]) + bias[c] (bias < 0: none), acc[r, c] =
 * Σ_k q[r, k] w[c, k] in int32, with i32x4.dot_i16x8_s: any codes in [-127, 127].
 */
export function int8GemmDot16(m: i32, n: i32, kp: i32, q: i32, xScale: i32, w: i32, wScale: i32, bias: i32, y: i32): void {
  int8Gemm<i16>(m, n, kp, q, xScale, w, wScale, bias, y);
}

/**
 * int8GemmDot16 with i32x4.relaxed_dot_i8x16_i7x16_add_s in the relaxed builds, for codes
 * q in [0, 127] only (int8QuantizeRows returned 1): the same integers, bit for bit. In
 * the other builds it is int8GemmDot16.
 */
export function int8GemmRelaxed(m: i32, n: i32, kp: i32, q: i32, xScale: i32, w: i32, wScale: i32, bias: i32, y: i32): void {
  // A compile-time choice: the baseline builds carry one copy of the gemm, not two.
  if (ASC_FEATURE_RELAXED_SIMD) int8Gemm<i8>(m, n, kp, q, xScale, w, wScale, bias, y);
  else int8Gemm<i16>(m, n, kp, q, xScale, w, wScale, bias, y);
}
