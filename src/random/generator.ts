// Counter-based random numbers: value i of a stream is a pure function of (key, i), so
// any slice of a stream can be generated anywhere (either backend, any thread, any
// chunking) with identical results, and a stream's whole state is two numbers.
// assembly/random.ts is a line-by-line twin of this file (which src/kernels/random.ts
// re-exports as the JS kernels' spec): both use only IEEE float64 +, -, *, /, sqrt and
// 32-bit integer ops, so they agree bit for bit (tests hold them to it). Math.log /
// Math.cos are avoided because engines differ in their last bits.

const TWO_POW_M24 = 1 / 16777216;
const TWO_POW_M32 = 1 / 4294967296;
const LN2 = 0.6931471805599453;
const HALF_PI = 1.5707963267948966;
const SQRT1_2 = 0.7071067811865476;
const SQRT2 = 1.4142135623730951;

/** A well-mixing 32-bit bijection (Wellons' "triple32"). */
export function triple32(x: number): number {
  x ^= x >>> 17;
  x = Math.imul(x, 0xed5ad4bb);
  x ^= x >>> 11;
  x = Math.imul(x, 0xac4c1b51);
  x ^= x >>> 15;
  x = Math.imul(x, 0x31848bab);
  x ^= x >>> 14;
  return x >>> 0;
}

/** Mixes a key with the high 32 bits of a counter. */
export function blockKey(key: number, hi: number): number {
  return triple32((hi ^ triple32((key ^ 0x9e3779b9) >>> 0)) >>> 0);
}

/** 32 random bits for counter value c (0 <= c < 2^53). */
export function randomBits(key: number, c: number): number {
  const hi = Math.floor(c / 4294967296);
  return triple32(((c >>> 0) ^ blockKey(key, hi)) >>> 0);
}

/** Uniform in [0, 1) with 24 bits (exactly representable in float32). */
export function uniformAt(key: number, c: number): number {
  return (randomBits(key, c) >>> 8) * TWO_POW_M24;
}

/** ln(u) for u = (h + 0.5) 2^-32, h a 32-bit integer. */
export function logUnit(h: number): number {
  const y = h + 0.5;
  let e = h === 0 ? -1 : 31 - Math.clz32(h);
  let m = y / pow2(e);
  if (m > SQRT2) {
    m = m * 0.5;
    e = e + 1;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let p = 1 / 21;
  p = p * s2 + 1 / 19;
  p = p * s2 + 1 / 17;
  p = p * s2 + 1 / 15;
  p = p * s2 + 1 / 13;
  p = p * s2 + 1 / 11;
  p = p * s2 + 1 / 9;
  p = p * s2 + 1 / 7;
  p = p * s2 + 1 / 5;
  p = p * s2 + 1 / 3;
  p = p * s2 + 1;
  return (e - 32) * LN2 + 2 * s * p;
}

/** 2^e for integer -1 <= e <= 32, exactly. */
function pow2(e: number): number {
  return e < 0 ? 0.5 : 2 ** e;
}

/** sin(b) for |b| <= pi/4 (Taylor to b^15). */
function sinSmall(b: number): number {
  const b2 = b * b;
  let p = -1 / 1307674368000;
  p = p * b2 + 1 / 6227020800;
  p = p * b2 - 1 / 39916800;
  p = p * b2 + 1 / 362880;
  p = p * b2 - 1 / 5040;
  p = p * b2 + 1 / 120;
  p = p * b2 - 1 / 6;
  p = p * b2 + 1;
  return b * p;
}

/** cos(b) for |b| <= pi/4 (Taylor to b^16). */
function cosSmall(b: number): number {
  const b2 = b * b;
  let p = 1 / 20922789888000;
  p = p * b2 - 1 / 87178291200;
  p = p * b2 + 1 / 479001600;
  p = p * b2 - 1 / 3628800;
  p = p * b2 + 1 / 40320;
  p = p * b2 - 1 / 720;
  p = p * b2 + 1 / 24;
  p = p * b2 - 0.5;
  return p * b2 + 1;
}

/**
 * Standard normal for counter value c: Box-Muller on the pair (c & ~1, c | 1); the even
 * member of a pair takes r cos(2 pi u2), the odd one r sin(2 pi u2).
 */
export function normalAt(key: number, c: number): number {
  const odd = (c & 1) === 1;
  const even = odd ? c - 1 : c;
  const h1 = randomBits(key, even);
  const h2 = randomBits(key, even + 1);
  const r = Math.sqrt(-2 * logUnit(h1));
  // Angle 2 pi t with t = h2 2^-32: quadrant q, then b in [-pi/4, pi/4) around its middle.
  const t4 = h2 * TWO_POW_M32 * 4;
  const q = Math.floor(t4);
  const b = (t4 - q - 0.5) * HALF_PI;
  const sb = sinSmall(b);
  const cb = cosSmall(b);
  const sa = (sb + cb) * SQRT1_2;
  const ca = (cb - sb) * SQRT1_2;
  let s: number;
  let co: number;
  if (q === 0) {
    s = sa;
    co = ca;
  } else if (q === 1) {
    s = ca;
    co = -sa;
  } else if (q === 2) {
    s = -sa;
    co = -ca;
  } else {
    s = -ca;
    co = sa;
  }
  return odd ? r * s : r * co;
}
