// Counter-based random numbers: the twin of src/kernels/random.ts, operation for
// operation in float64 and 32-bit integers, so both backends produce identical values.
// Value i of a stream is a pure function of (key, counter + i): no state lives here.

const TWO_POW_M24: f64 = 1.0 / 16777216.0;
const TWO_POW_M32: f64 = 1.0 / 4294967296.0;
const LN2: f64 = 0.6931471805599453;
const HALF_PI: f64 = 1.5707963267948966;
const SQRT1_2: f64 = 0.7071067811865476;
const SQRT2: f64 = 1.4142135623730951;

/** Wellons' triple32 (src/random/generator.ts); dropout.ts runs it four lanes wide. */
@inline export function triple32(x: u32): u32 {
  x ^= x >> 17;
  x *= 0xed5ad4bb;
  x ^= x >> 11;
  x *= 0xac4c1b51;
  x ^= x >> 15;
  x *= 0x31848bab;
  x ^= x >> 14;
  return x;
}

@inline export function blockKey(key: u32, hi: u32): u32 {
  return triple32(hi ^ triple32(key ^ 0x9e3779b9));
}

function logUnit(h: u32): f64 {
  const y: f64 = <f64>h + 0.5;
  let e: i32 = h == 0 ? -1 : 31 - <i32>clz<u32>(h);
  let m: f64 = y / pow2(e);
  if (m > SQRT2) {
    m = m * 0.5;
    e = e + 1;
  }
  const s: f64 = (m - 1.0) / (m + 1.0);
  const s2: f64 = s * s;
  let p: f64 = 1.0 / 21.0;
  p = p * s2 + 1.0 / 19.0;
  p = p * s2 + 1.0 / 17.0;
  p = p * s2 + 1.0 / 15.0;
  p = p * s2 + 1.0 / 13.0;
  p = p * s2 + 1.0 / 11.0;
  p = p * s2 + 1.0 / 9.0;
  p = p * s2 + 1.0 / 7.0;
  p = p * s2 + 1.0 / 5.0;
  p = p * s2 + 1.0 / 3.0;
  p = p * s2 + 1.0;
  return <f64>(e - 32) * LN2 + 2.0 * s * p;
}

@inline function pow2(e: i32): f64 {
  return reinterpret<f64>(<u64>(e + 1023) << 52);
}

function sinSmall(b: f64): f64 {
  const b2 = b * b;
  let p: f64 = -1.0 / 1307674368000.0;
  p = p * b2 + 1.0 / 6227020800.0;
  p = p * b2 - 1.0 / 39916800.0;
  p = p * b2 + 1.0 / 362880.0;
  p = p * b2 - 1.0 / 5040.0;
  p = p * b2 + 1.0 / 120.0;
  p = p * b2 - 1.0 / 6.0;
  p = p * b2 + 1.0;
  return b * p;
}

function cosSmall(b: f64): f64 {
  const b2 = b * b;
  let p: f64 = 1.0 / 20922789888000.0;
  p = p * b2 - 1.0 / 87178291200.0;
  p = p * b2 + 1.0 / 479001600.0;
  p = p * b2 - 1.0 / 3628800.0;
  p = p * b2 + 1.0 / 40320.0;
  p = p * b2 - 1.0 / 720.0;
  p = p * b2 + 1.0 / 24.0;
  p = p * b2 - 0.5;
  return p * b2 + 1.0;
}

/** out[i] = lo + (hi - lo) u(key, counter + i). */
export function randUniform(out: i32, n: i32, key: u32, counter: f64, lo: f64, hi: f64): void {
  let c = <u64>counter;
  let hiWord = <u32>(c >> 32);
  let bk = blockKey(key, hiWord);
  const span = hi - lo;
  let p = <usize>out << 2;
  for (let i = 0; i < n; i++) {
    const cw = <u32>(c >> 32);
    if (cw != hiWord) {
      hiWord = cw;
      bk = blockKey(key, hiWord);
    }
    const u = <f64>(triple32(<u32>c ^ bk) >> 8) * TWO_POW_M24;
    store<f32>(p, <f32>(lo + span * u));
    p += 4;
    c++;
  }
}

@inline function bitsAt(key: u32, c: u64): u32 {
  return triple32(<u32>c ^ blockKey(key, <u32>(c >> 32)));
}

/** The pair (cos, sin) sample for an even counter value, written to the globals below. */
let pairCos: f64 = 0;
let pairSin: f64 = 0;

function normalPair(key: u32, even: u64): void {
  const h1 = bitsAt(key, even);
  const h2 = bitsAt(key, even + 1);
  const r = Math.sqrt(-2.0 * logUnit(h1));
  const t4 = <f64>h2 * TWO_POW_M32 * 4.0;
  const q = Math.floor(t4);
  const b = (t4 - q - 0.5) * HALF_PI;
  const sb = sinSmall(b);
  const cb = cosSmall(b);
  const sa = (sb + cb) * SQRT1_2;
  const ca = (cb - sb) * SQRT1_2;
  let s: f64;
  let co: f64;
  const qi = <i32>q;
  if (qi == 0) {
    s = sa;
    co = ca;
  } else if (qi == 1) {
    s = ca;
    co = -sa;
  } else if (qi == 2) {
    s = -sa;
    co = -ca;
  } else {
    s = -ca;
    co = sa;
  }
  pairCos = r * co;
  pairSin = r * s;
}

/** out[i] = mean + std z(key, counter + i), z standard normal (Box-Muller pairs). */
export function randNormal(out: i32, n: i32, key: u32, counter: f64, mean: f64, std: f64): void {
  if (n <= 0) return;
  let c = <u64>counter;
  let p = <usize>out << 2;
  let i = 0;
  if (c & 1) {
    normalPair(key, c - 1);
    store<f32>(p, <f32>(mean + std * pairSin));
    p += 4;
    c++;
    i++;
  }
  for (; i + 1 < n; i += 2) {
    normalPair(key, c);
    store<f32>(p, <f32>(mean + std * pairCos));
    store<f32>(p + 4, <f32>(mean + std * pairSin));
    p += 8;
    c += 2;
  }
  if (i < n) {
    normalPair(key, c);
    store<f32>(p, <f32>(mean + std * pairCos));
  }
}
