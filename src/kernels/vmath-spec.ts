// The JS spec of assembly/vmath.ts's exp, sigmoid and tanh in float32: the same operations
// in the same order, each rounded with Math.fround, so the float32 JS baseline gives the
// WASM kernels' bits (a float64 operation on two float32 values rounded once to float32 is
// the float32 operation: 53 >= 2 * 24 + 2 bits). The float64 heap keeps Math.exp / Math.tanh
// (its results are the reference the kernels' documented errors are measured against).

const f = Math.fround;

const EXP_HI = f(89);
const EXP_LO = f(-104);
const LOG2E = f(1.44269504088896341);
const C1 = f(0.693359375);
const C2 = f(-2.1219444e-4);
const P0 = f(1.98756915e-4);
const P1 = f(1.3981999507e-3);
const P2 = f(8.3334519073e-3);
const P3 = f(4.1665795894e-2);
const P4 = f(1.6666665459e-1);
const P5 = f(5.0000001201e-1);
const MAGIC = 12582912;
const CUT = f(87.33654);
const TANH_SMALL = 0.625;
const T0 = f(-5.70498872745e-3);
const T1 = f(2.06390887954e-2);
const T2 = f(-5.37397155531e-2);
const T3 = f(1.33314422036e-1);
const T4 = f(-3.33332819422e-1);

/** Cephes' polynomial: 1 + r + r^2 P(r), every step rounded. */
function expPoly(r: number): number {
  const z = f(r * r);
  let y = f(f(P0 * r) + P1);
  y = f(f(y * r) + P2);
  y = f(f(y * r) + P3);
  y = f(f(y * r) + P4);
  y = f(f(y * r) + P5);
  return f(f(f(y * z) + r) + 1);
}

/** timesPow2v: y 2^n as two normal factors 2^(n>>1) 2^(n-(n>>1)), each product rounded. */
function timesPow2(y: number, n: number): number {
  const n1 = n >> 1;
  return f(f(y * 2 ** n1) * 2 ** (n - n1));
}

/** expv: clamp, n = floor(x log2 e + 1/2), two-step reduction, 2^n as two normal factors. */
export function expF32(x: number): number {
  x = x < EXP_LO ? EXP_LO : x;
  x = EXP_HI < x ? EXP_HI : x;
  const fx = Math.floor(f(f(x * LOG2E) + 0.5));
  let r = f(x - f(fx * C1));
  r = f(r - f(fx * C2));
  return timesPow2(expPoly(r), fx);
}

/** expNegv: exp(u), u <= 0 past the cut, n = round-to-nearest-even(u log2 e) (the MAGIC add); 2^n in one or two factors. */
function expNegF32(u: number, denormals: boolean): number {
  const t = f(f(u * LOG2E) + MAGIC);
  const fx = f(t - MAGIC);
  let r = f(u - f(fx * C1));
  r = f(r - f(fx * C2));
  const y = expPoly(r);
  if (!denormals) return f(y * 2 ** fx);
  return timesPow2(y, fx);
}

/** expNegAbsv: exp(-|x|), 0 past the cut (104 with denormals, else 87.3365); NaN stays NaN. */
function expNegAbsF32(x: number, denormals: boolean): number {
  const a = Math.abs(x);
  return a > (denormals ? -EXP_LO : CUT) ? 0 : expNegF32(-a, denormals);
}

/** sigmoidv: (x >= 0 ? 1 : e) / (1 + e), e = exp(-|x|). */
export function sigmoidF32(x: number): number {
  const e = expNegAbsF32(x, true);
  return f((x >= 0 ? 1 : e) / f(1 + e));
}

/** tanhv: (1 - e) / (1 + e), e = exp(-2|x|), or the odd polynomial below 0.625; x's sign. */
export function tanhF32(x: number): number {
  const a = Math.abs(x);
  const e = expNegAbsF32(f(x + x), false);
  const big = f(f(1 - e) / f(1 + e));
  const z = f(a * a);
  let p = f(f(T0 * z) + T1);
  p = f(f(p * z) + T2);
  p = f(f(p * z) + T3);
  p = f(f(p * z) + T4);
  const small = f(a + f(f(a * z) * p));
  const t = a < TANH_SMALL ? small : big;
  return x < 0 || Object.is(x, -0) ? -t : t;
}
