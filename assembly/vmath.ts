// Vector (f32x4) and scalar float32 exp and log, the Cephes single-precision
// algorithms. Each scalar function performs exactly its vector twin's operations, so
// an element gets the same bits whether it falls in a SIMD body or a scalar tail (and
// so whichever thread computes it).

// Constants inside the vector loops are broadcast from this table (v128.load32_splat, one
// instruction) rather than written as f32x4.splat / v128.const: V8 hoists neither out of a
// loop and builds each v128.const from two 64-bit immediates (about five instructions).
// Measured (scripts/infer-timing.mts, [256, 784], medians, shared machine): exp 287-302 µs ->
// 242-258 µs; sigmoid unchanged within noise (~300-320 µs: its division and exp dominate).
const EXP_HI: f32 = 89.0;
const EXP_LO: f32 = -104.0;
const LOG2E: f32 = 1.44269504088896341;
const EXP_C1: f32 = 0.693359375;
const EXP_C2: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
/** 1.5 2^23: v + MAGIC rounds v to an integer held in the low mantissa bits (|v| < 2^22). */
const MAGIC: f32 = 12582912.0;
/** ln(FLT_MIN) = -87.3365...: below it exp(-a) is no normal float32 (tanh's exp is then 0). */
const EXP_NEG_CUT: f32 = 87.33654;
// Cephes tanhf's odd polynomial for |x| < 0.625, where 1 - e cancels.
const TANH_SMALL: f32 = 0.625;
const T0: f32 = -5.70498872745e-3;
const T1: f32 = 2.06390887954e-2;
const T2: f32 = -5.37397155531e-2;
const T3: f32 = 1.33314422036e-1;
const T4: f32 = -3.33332819422e-1;

// Table slots.
const K_EXP_HI = 0, K_EXP_LO = 1, K_LOG2E = 2, K_C1 = 3, K_C2 = 4;
const K_P0 = 5, K_P1 = 6, K_P2 = 7, K_P3 = 8, K_P4 = 9, K_P5 = 10;
const K_HALF = 11, K_ONE = 12, K_MAGIC = 13, K_CUT = 14, K_SMALL = 15;
const K_T0 = 16, K_T1 = 17, K_T2 = 18, K_T3 = 19, K_T4 = 20;
const K_ABS = 21, K_SIGN = 22, K_BIAS = 23;
const KTAB = memory.data<u32>([
  reinterpret<u32>(EXP_HI), reinterpret<u32>(EXP_LO), reinterpret<u32>(LOG2E), reinterpret<u32>(EXP_C1), reinterpret<u32>(EXP_C2),
  reinterpret<u32>(P0), reinterpret<u32>(P1), reinterpret<u32>(P2), reinterpret<u32>(P3), reinterpret<u32>(P4), reinterpret<u32>(P5),
  reinterpret<u32>(<f32>0.5), reinterpret<u32>(<f32>1.0), reinterpret<u32>(MAGIC),
  reinterpret<u32>(EXP_NEG_CUT), reinterpret<u32>(TANH_SMALL),
  reinterpret<u32>(T0), reinterpret<u32>(T1), reinterpret<u32>(T2), reinterpret<u32>(T3), reinterpret<u32>(T4),
  0x7fffffff, 0x80000000, 0x7f,
]);

/** Constant slot i of KTAB in every lane. */
@inline function kv(i: i32): v128 {
  return v128.load32_splat(KTAB + (<usize>i << 2));
}

// Max errors against float64, measured by test/kernels/vmath.test.ts over every 997th float32
// of magnitude 2^-40 .. 100 (both signs) and every 1/4096 step of [-20, 20], in ulps of the
// float32 result: sigmoid 2.13 ulp, absolute 8.9e-8 (denormal results to 2^-149 included);
// tanh 1.49 ulp, absolute 8.9e-8; exp 0.95 ulp for |x| <= 87. Plain mul / add only (no madd),
// so both builds, every thread and the float32 JS spec (src/kernels/vmath-spec.ts) give the
// same bits. The earlier forms (1 / (1 + exp(-x)), 1 - 2 / (exp(2x) + 1)) gave tanh only an absolute
// error near 0 (1 - q cancels) and sigmoid 0 below x = -88.7; tanh's polynomial branch costs
// about 15% more than that form did.

/** Cephes' polynomial on the reduced argument: 1 + r + r^2 P(r) (expv's and expNegv's). */
@inline function expPolyv(r: v128): v128 {
  const z = f32x4.mul(r, r);
  let y = f32x4.add(f32x4.mul(kv(K_P0), r), kv(K_P1));
  y = f32x4.add(f32x4.mul(y, r), kv(K_P2));
  y = f32x4.add(f32x4.mul(y, r), kv(K_P3));
  y = f32x4.add(f32x4.mul(y, r), kv(K_P4));
  y = f32x4.add(f32x4.mul(y, r), kv(K_P5));
  return f32x4.add(f32x4.add(f32x4.mul(y, z), r), kv(K_ONE));
}

/** y 2^n for integer lanes n in [-150, 128], as two normal factors 2^(n>>1) 2^(n-(n>>1)). */
@inline function timesPow2v(y: v128, n: v128): v128 {
  const n1 = i32x4.shr_s(n, 1);
  const pow1 = i32x4.shl(i32x4.add(n1, kv(K_BIAS)), 23);
  const pow2 = i32x4.shl(i32x4.add(i32x4.sub(n, n1), kv(K_BIAS)), 23);
  return f32x4.mul(f32x4.mul(y, pow1), pow2);
}

// expv: the clamp only keeps the exponent n in [-150, 128]; 2^n is applied as 2^(n>>1) 2^(n-(n>>1)),
// two normal factors, so results overflow to +Inf above ln(FLT_MAX) ~ 88.72 and underflow
// gradually (denormals, then 0) below ln(FLT_MIN) ~ -87.34, as exp does in float32. n is read
// from fx + MAGIC's bits (fx is a whole number), the same integer trunc_sat would give, in one add.
@inline export function expv(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, kv(K_EXP_LO)), kv(K_EXP_HI));
  const fx = f32x4.floor(f32x4.add(f32x4.mul(x, kv(K_LOG2E)), kv(K_HALF)));
  x = f32x4.sub(x, f32x4.mul(fx, kv(K_C1)));
  x = f32x4.sub(x, f32x4.mul(fx, kv(K_C2)));
  return timesPow2v(expPolyv(x), i32x4.sub(f32x4.add(fx, kv(K_MAGIC)), kv(K_MAGIC)));
}

@inline export function exps(x: f32): f32 {
  // pmin/pmax order as in expv: pmax(a, b) = a < b ? b : a.
  x = x < EXP_LO ? EXP_LO : x;
  x = EXP_HI < x ? EXP_HI : x;
  const fx = Mathf.floor(x * LOG2E + 0.5);
  x = x - fx * EXP_C1;
  x = x - fx * EXP_C2;
  const z = x * x;
  let y = P0 * x + P1;
  y = y * x + P2;
  y = y * x + P3;
  y = y * x + P4;
  y = y * x + P5;
  y = y * z + x + 1.0;
  const n = <i32>fx;
  const n1 = n >> 1;
  const pow1 = reinterpret<f32>((n1 + 127) << 23);
  const pow2 = reinterpret<f32>((n - n1 + 127) << 23);
  return y * pow1 * pow2;
}

/**
 * exp(u) for u <= 0 (callers mask the lanes below the cut): Cephes' reduction and polynomial
 * with n = round(u log2 e) from the MAGIC add. For u >= -87.3365 (a normal result, `denormals`
 * false) 2^n is one factor, (n + 127) << 23 straight from the sum's bits (MAGIC's own bits
 * vanish in the shift): about half of expv's instructions. With `denormals` (u >= -104, results
 * down to 2^-149) it is expv's two normal factors 2^(n>>1) 2^(n-(n>>1)).
 */
@inline function expNegv(u: v128, denormals: bool): v128 {
  const t = f32x4.add(f32x4.mul(u, kv(K_LOG2E)), kv(K_MAGIC));
  const fx = f32x4.sub(t, kv(K_MAGIC));
  let r = f32x4.sub(u, f32x4.mul(fx, kv(K_C1)));
  r = f32x4.sub(r, f32x4.mul(fx, kv(K_C2)));
  const y = expPolyv(r);
  if (!denormals) return f32x4.mul(y, i32x4.shl(i32x4.add(t, kv(K_BIAS)), 23));
  return timesPow2v(y, i32x4.sub(t, kv(K_MAGIC)));
}

/**
 * exp(-|x|), 0 where |x| is past the cut (and for ±Inf); NaN stays NaN. The cut: 87.3365
 * (normal results only), or with `denormals` 104, below which exp rounds to 0 anyway.
 */
@inline function expNegAbsv(x: v128, denormals: bool): v128 {
  const a = v128.and(x, kv(K_ABS));
  const e = expNegv(v128.or(x, kv(K_SIGN)), denormals);
  return v128.andnot(e, f32x4.gt(a, denormals ? f32x4.neg(kv(K_EXP_LO)) : kv(K_CUT)));
}

/**
 * sigmoid(x) from e = exp(-|x|), which never overflows: 1 / (1 + e) for x >= 0, e / (1 + e)
 * below (one division either way), so the lower tail keeps its relative accuracy (no 1 - s
 * cancellation). Errors: see the table above. sigmoid(+Inf) = 1, sigmoid(-Inf) = 0, NaN in
 * gives NaN. Scalar tails run this on a splat.
 */
@inline export function sigmoidv(x: v128): v128 {
  const e = expNegAbsv(x, true);
  const num = v128.bitselect(kv(K_ONE), e, f32x4.ge(x, f32x4.splat(0)));
  return f32x4.div(num, f32x4.add(kv(K_ONE), e));
}

@inline export function sigmoids(x: f32): f32 {
  return f32x4.extract_lane(sigmoidv(f32x4.splat(x)), 0);
}

/**
 * tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|), for |x| >= 0.625; below, where 1 - e
 * would cancel, Cephes tanhf's odd polynomial a + a z P(z), z = a^2. Within 2.5 ulp of tanh
 * everywhere, tanh(±0) = ±0, tanh(±Inf) = ±1, NaN in gives NaN. One division.
 */
@inline export function tanhv(x: v128): v128 {
  const a = v128.and(x, kv(K_ABS));
  const e = expNegAbsv(f32x4.add(x, x), false);
  const big = f32x4.div(f32x4.sub(kv(K_ONE), e), f32x4.add(kv(K_ONE), e));
  const z = f32x4.mul(a, a);
  let p = f32x4.add(f32x4.mul(kv(K_T0), z), kv(K_T1));
  p = f32x4.add(f32x4.mul(p, z), kv(K_T2));
  p = f32x4.add(f32x4.mul(p, z), kv(K_T3));
  p = f32x4.add(f32x4.mul(p, z), kv(K_T4));
  const small = f32x4.add(a, f32x4.mul(f32x4.mul(a, z), p));
  const t = v128.bitselect(small, big, f32x4.lt(a, kv(K_SMALL)));
  return v128.or(t, v128.and(x, kv(K_SIGN)));
}

@inline export function tanhs(x: f32): f32 {
  return f32x4.extract_lane(tanhv(f32x4.splat(x)), 0);
}

const SQRTHF: f32 = 0.707106781186547524;
const L0: f32 = 7.0376836292e-2;
const L1: f32 = -1.1514610310e-1;
const L2: f32 = 1.1676998740e-1;
const L3: f32 = -1.2420140846e-1;
const L4: f32 = 1.4249322787e-1;
const L5: f32 = -1.6668057665e-1;
const L6: f32 = 2.0000714765e-1;
const L7: f32 = -2.4999993993e-1;
const L8: f32 = 3.3333331174e-1;

/** Natural log for positive normal floats (callers clip their inputs away from 0). */
@inline export function logv(x: v128): v128 {
  const bits = x;
  let e = i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(126));
  let m = v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  const small = f32x4.lt(m, f32x4.splat(SQRTHF));
  e = i32x4.add(e, small);
  m = f32x4.sub(f32x4.add(m, v128.and(m, small)), f32x4.splat(1.0));
  const ef = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let y = f32x4.add(f32x4.mul(f32x4.splat(L0), m), f32x4.splat(L1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L2));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L3));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L4));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L5));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L6));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L7));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(L8));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(ef, f32x4.splat(EXP_C2)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  m = f32x4.add(m, y);
  return f32x4.add(m, f32x4.mul(ef, f32x4.splat(EXP_C1)));
}

@inline export function logs(x: f32): f32 {
  const bits = reinterpret<i32>(x);
  let e = (<i32>(<u32>bits >> 23)) - 126;
  let m = reinterpret<f32>((bits & 0x007fffff) | 0x3f000000);
  if (m < SQRTHF) {
    e -= 1;
    m = m + m - 1.0;
  } else {
    m = m - 1.0;
  }
  const ef = <f32>e;
  const z = m * m;
  let y = L0 * m + L1;
  y = y * m + L2;
  y = y * m + L3;
  y = y * m + L4;
  y = y * m + L5;
  y = y * m + L6;
  y = y * m + L7;
  y = y * m + L8;
  y = y * m * z;
  y = y + ef * EXP_C2;
  y = y - z * 0.5;
  m = m + y;
  return m + ef * EXP_C1;
}

// ---- the activations added for Keras' elu, selu, gelu, softplus, silu / swish ----------
// Each is a vector function only; its scalar form (for tails) runs the vector one on a
// splat and takes lane 0, so an element gets the same bits in a SIMD body or a tail, on
// any thread. Plain mul / add throughout (no madd): both builds give the same bits.
// Max errors against float64, measured by test/kernels/activations.test.ts over every
// 1/4096 step of [-20, 20] plus magnitudes up to 3e38 (u = 2^-24; slopes absolute where
// they cross 0): elu 1.5u, selu 2.7u, softplus 3.5u, silu 2.8u relative; gelu ~6u for
// x > -3, then about 2 x^2 u relative in the lower tail (exp(-x^2/2) amplifies the rounding
// of x^2: 312u at x = -12.6, where gelu = -2.6e-35), gelu tanh form about 2.5 |v| u there;
// slopes elu 0.8u relative, softplus 1.5u relative, selu 1.1u of scale alpha, gelu, gelu
// tanh and silu 3.3u absolute.

/** Lane 0 of a vector activation applied to a splat: the scalar twin of any of these. */
@inline export function lane0(v: v128): f32 {
  return f32x4.extract_lane(v, 0);
}

const INV6: f32 = 1.0 / 6.0;
const INV24: f32 = 1.0 / 24.0;
const INV120: f32 = 1.0 / 120.0;
const INV720: f32 = 1.0 / 720.0;
const INV5040: f32 = 1.0 / 5040.0;
const INV40320: f32 = 1.0 / 40320.0;

/**
 * exp(x) - 1 without the cancellation near 0: for |x| < 0.5 its Taylor polynomial to x^8
 * (truncation below 1.1e-8 relative), else exp(x) - 1 (Sterbenz: the subtraction is exact
 * for x <= -0.5, so the error is exp's): elu's 1.5u above is this function's.
 */
@inline export function expm1v(x: v128): v128 {
  let p = f32x4.add(f32x4.mul(f32x4.splat(INV40320), x), f32x4.splat(INV5040));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(INV720));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(INV120));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(INV24));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(INV6));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(0.5));
  p = f32x4.add(x, f32x4.mul(f32x4.mul(x, x), p));
  const e = f32x4.sub(expv(x), f32x4.splat(1.0));
  return v128.bitselect(p, e, f32x4.lt(f32x4.abs(x), f32x4.splat(0.5)));
}

/**
 * log(1 + u) for u in [0, 1] (Goldberg's trick: w = 1 + u rounds, and log(w) u / (w - 1)
 * cancels that rounding to first order; w = 1 means u is below 2^-24 and log1p(u) = u).
 */
@inline export function log1pUnitv(u: v128): v128 {
  const w = f32x4.add(u, f32x4.splat(1.0));
  const d = f32x4.sub(w, f32x4.splat(1.0));
  const r = f32x4.mul(logv(w), f32x4.div(u, d));
  return v128.bitselect(u, r, f32x4.eq(d, f32x4.splat(0)));
}

/** elu(x) = x (x > 0), alpha (exp(x) - 1) (x <= 0); NaN stays NaN (x > 0 is false). */
@inline export function eluv(x: v128, alpha: v128): v128 {
  return v128.bitselect(x, f32x4.mul(alpha, expm1v(x)), f32x4.gt(x, f32x4.splat(0)));
}

/** Keras' selu constants (keras.activations.selu), rounded to float32. */
export const SELU_ALPHA: f32 = 1.67326324;
export const SELU_SCALE: f32 = 1.05070098;

/** selu(x) = scale elu(x, alpha) with Keras' constants. */
@inline export function seluv(x: v128): v128 {
  return f32x4.mul(f32x4.splat(SELU_SCALE), eluv(x, f32x4.splat(SELU_ALPHA)));
}

/**
 * softplus(x) = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): exp never overflows, so
 * softplus(100) = 100 and softplus(-100) = exp(-100) (a denormal), not 0 or Inf.
 */
@inline export function softplusv(x: v128): v128 {
  const u = expv(f32x4.neg(f32x4.abs(x)));
  return f32x4.add(f32x4.pmax(x, f32x4.splat(0)), log1pUnitv(u));
}


/**
 * sigmoid(v) and sigmoid(v) (1 - sigmoid(v)) from one e = exp(-|v|), which never overflows:
 * s(1 - s) = e / (1 + e)^2 keeps its digits where 1 - s would round to 0 or 2^-24.
 */
@inline function sigmoidAndSlopev(v: v128, slope: bool): v128 {
  const e = expv(f32x4.neg(f32x4.abs(v)));
  const r = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
  if (slope) return f32x4.mul(f32x4.mul(e, r), r);
  return v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(v, f32x4.splat(0)));
}

/** silu(x) = swish(x) = x sigmoid(x), sigmoid from exp(-|x|) so x sigmoid(x) stays nonzero below x = -88.7. */
@inline export function siluv(x: v128): v128 {
  return f32x4.mul(x, sigmoidAndSlopev(x, false));
}

/** d silu / dx = s + x s (1 - s), s = sigmoid(x); from the input x (silu is not invertible). */
@inline export function siluSlopev(x: v128): v128 {
  return f32x4.add(sigmoidAndSlopev(x, false), f32x4.mul(x, sigmoidAndSlopev(x, true)));
}

// erfc(z) for z >= 0 as t exp(-z^2 + P(t)), t = 1 / (1 + z / 2): the Chebyshev fit of
// Numerical Recipes' erfcc (fractional error below 1.2e-7 for every z >= 0), so the normal
// CDF keeps its relative accuracy deep in the lower tail, where 1 + erf would cancel.
const ERFC_C0: f32 = -1.26551223;
const ERFC_C1: f32 = 1.00002368;
const ERFC_C2: f32 = 0.37409196;
const ERFC_C3: f32 = 0.09678418;
const ERFC_C4: f32 = -0.18628806;
const ERFC_C5: f32 = 0.27886807;
const ERFC_C6: f32 = -1.13520398;
const ERFC_C7: f32 = 1.48851587;
const ERFC_C8: f32 = -0.82215223;
const ERFC_C9: f32 = 0.17087277;
const SQRT1_2: f32 = 0.707106781186547524;
const INV_SQRT_2PI: f32 = 0.398942280401432678;

/** Phi(x) = P(X <= x), X ~ N(0, 1) = erfc(-x / sqrt 2) / 2. */
@inline export function normalCdfv(x: v128): v128 {
  const z = f32x4.mul(f32x4.abs(x), f32x4.splat(SQRT1_2));
  const t = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), f32x4.mul(z, f32x4.splat(0.5))));
  let p = f32x4.add(f32x4.mul(f32x4.splat(ERFC_C9), t), f32x4.splat(ERFC_C8));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(ERFC_C7));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(ERFC_C6));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(ERFC_C5));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(ERFC_C4));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(ERFC_C3));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(ERFC_C2));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(ERFC_C1));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(ERFC_C0));
  // q = erfc(|x| / sqrt 2) / 2 = Phi(-|x|)
  const q = f32x4.mul(f32x4.mul(t, f32x4.splat(0.5)), expv(f32x4.sub(p, f32x4.mul(z, z))));
  return v128.bitselect(q, f32x4.sub(f32x4.splat(1.0), q), f32x4.lt(x, f32x4.splat(0)));
}

/** gelu(x) = x Phi(x) (Keras' default, approximate=False). */
@inline export function geluv(x: v128): v128 {
  return f32x4.mul(x, normalCdfv(x));
}

/** d gelu / dx = Phi(x) + x phi(x), from the input x (gelu is not invertible). */
@inline export function geluSlopev(x: v128): v128 {
  const pdf = f32x4.mul(expv(f32x4.mul(f32x4.mul(x, x), f32x4.splat(-0.5))), f32x4.splat(INV_SQRT_2PI));
  return f32x4.add(normalCdfv(x), f32x4.mul(x, pdf));
}

// The tanh form (approximate=True): 0.5 x (1 + tanh(c (x + 0.044715 x^3))), c = sqrt(2/pi),
// computed as x sigmoid(v) with v = 2c (x + 0.044715 x^3) — the same function, since
// (1 + tanh(a)) / 2 = sigmoid(2a), without 1 + tanh cancelling in the lower tail.
const GELU_K0: f32 = 1.59576912160573071; // 2 sqrt(2 / pi)
const GELU_K1: f32 = 0.0713548162726009; // 2 sqrt(2 / pi) 0.044715
/** Beyond |x| = 30 the tanh form's slope is exactly 0 or 1 in float32; clamping keeps x^3 finite. */
const GELU_TANH_CLAMP: f32 = 30.0;

@inline export function geluTanhv(x: v128): v128 {
  const v = f32x4.mul(x, f32x4.add(f32x4.splat(GELU_K0), f32x4.mul(f32x4.splat(GELU_K1), f32x4.mul(x, x))));
  return f32x4.mul(x, sigmoidAndSlopev(v, false));
}

/** d/dx x sigmoid(v) = s + x s (1 - s) v'(x), v' = k0 + 3 k1 x^2; from the input x. */
@inline export function geluTanhSlopev(x: v128): v128 {
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-GELU_TANH_CLAMP)), f32x4.splat(GELU_TANH_CLAMP));
  const x2 = f32x4.mul(xc, xc);
  const v = f32x4.mul(xc, f32x4.add(f32x4.splat(GELU_K0), f32x4.mul(f32x4.splat(GELU_K1), x2)));
  const dv = f32x4.add(f32x4.splat(GELU_K0), f32x4.mul(f32x4.splat(3.0 * GELU_K1), x2));
  const ds = f32x4.mul(sigmoidAndSlopev(v, true), f32x4.mul(xc, dv));
  return f32x4.add(sigmoidAndSlopev(v, false), ds);
}
