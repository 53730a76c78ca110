// Vector (f32x4) and scalar float32 exp and log, the Cephes single-precision
// algorithms. Each scalar function performs exactly its vector twin's operations, so
// an element gets the same bits whether it falls in a SIMD body or a scalar tail (and
// so whichever thread computes it).

// The clamp only keeps the exponent n in [-150, 128]; 2^n is applied as 2^(n>>1) 2^(n-(n>>1)),
// two normal factors, so results overflow to +Inf above ln(FLT_MAX) ~ 88.72 and underflow
// gradually (denormals, then 0) below ln(FLT_MIN) ~ -87.34, as exp does in float32.
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

@inline export function expv(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const fx = f32x4.floor(f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(0.5)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(EXP_C1)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(EXP_C2)));
  const z = f32x4.mul(x, x);
  let y = f32x4.add(f32x4.mul(f32x4.splat(P0), x), f32x4.splat(P1));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(P2));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(P3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(P4));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(P5));
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), x), f32x4.splat(1.0));
  const n = i32x4.trunc_sat_f32x4_s(fx);
  const n1 = i32x4.shr_s(n, 1);
  const pow1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const pow2 = i32x4.shl(i32x4.add(i32x4.sub(n, n1), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(y, pow1), pow2);
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

/** sigmoid(x) = 1 / (1 + exp(-x)) */
@inline export function sigmoidv(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, expv(f32x4.neg(x))));
}

@inline export function sigmoids(x: f32): f32 {
  return 1.0 / (1.0 + exps(-x));
}

/** tanh(x) = 1 - 2 / (exp(2x) + 1) */
@inline export function tanhv(x: v128): v128 {
  const one = f32x4.splat(1.0);
  const e = expv(f32x4.add(x, x));
  return f32x4.sub(one, f32x4.div(f32x4.splat(2.0), f32x4.add(e, one)));
}

@inline export function tanhs(x: f32): f32 {
  return 1.0 - 2.0 / (exps(x + x) + 1.0);
}
