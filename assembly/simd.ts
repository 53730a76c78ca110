// Shared SIMD helpers: `madd`, and `hsum`, the one horizontal sum. `madd` is the multiply-add every hot loop uses: a fused
// relaxed_madd in the relaxed build (kernels-relaxed.wasm), mul then add in the
// baseline build; ASC_FEATURE_RELAXED_SIMD is a compile-time constant, so each build
// contains only its own instruction.

/** c + a * b */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Sum of v's four lanes in lane order: ((l0 + l1) + l2) + l3. */
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}
