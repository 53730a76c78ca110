// The one place the two int8 gemms differ: acc + the dot of 16 int8 weights with 16 int8
// codes, four int32 lanes of four products each. Both give the same integers whenever the
// codes are in [0, 127]; the relaxed dot's result for codes with the top bit set is
// implementation-defined, which is why only int8GemmRelaxed calls it with R = i8.
//
// The relaxed form is i16x8.relaxed_dot_i8x16_i7x16_s (pairs of products, at most
// 2 * 127 * 127 = 32258: no i16 saturation) widened by i32x4.extadd_pairwise_i16x8_s, not
// the fused i32x4.relaxed_dot_i8x16_i7x16_add_s: Node 20.20's V8 (11.3, x64) returns wrong
// sums for the fused opcode (twice the dot for one 16-code step, with acc = 0 too), found
// by test/int8/kernels.test.ts. Both lower to the same pmaddubsw + pmaddwd-class pair.

/** R = i8: the relaxed i8 x i7 dot (relaxed builds only); R = i16: i32x4.dot_i16x8_s. */
@inline export function int8DotAdd<R>(w: v128, q: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && sizeof<R>() == 1) return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w, q)));
  const lo = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w), i16x8.extend_low_i8x16_s(q));
  const hi = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w), i16x8.extend_high_i8x16_s(q));
  return i32x4.add(acc, i32x4.add(lo, hi));
}
