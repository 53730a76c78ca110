// Per-dimension affine quantisation of codes and the bit packing of the result.
//
// Rule (also in the README): for code dimension d, lo = min and hi = max of that dimension
// over the n codes quantised (float32 values, so exact), L = 2^bits - 1 and
// step = (hi - lo) / L in float64. A value x becomes q = round((x - lo) / step), rounding
// half up, clamped to [0, L]; it comes back as lo + q * step rounded to float32 (hi itself for q = L). So
// |x - x'| <= step / 2 (plus half a float32 ulp of x'), and lo and hi come back exactly.
// A constant dimension (hi = lo) stores q = 0 and comes back as lo.
//
// Packing: the quantised values dimension-major (all n values of dimension 0, then of
// dimension 1, ...: a dimension's values share a distribution, which deflate's Huffman
// blocks can adapt to), each `bits` bits wide, least significant bit first, filling each
// byte from its least significant bit; the last byte's unused high bits are zero.

import { ArgumentError, DataError } from '../errors.js';

export const MIN_BITS = 4;
export const MAX_BITS = 16;

/** Per-dimension [lo, hi] of n codes of k values each. */
export interface Ranges {
  lo: Float32Array;
  hi: Float32Array;
}

export function checkBits(bits: number, where: string): void {
  if (!Number.isInteger(bits) || bits < MIN_BITS || bits > MAX_BITS) {
    throw new ArgumentError(`${where}: bits must be an integer ${MIN_BITS}..${MAX_BITS}, found ${bits}`);
  }
}

/** The min and max of each of the k dimensions of `codes` (n x k, row-major); every value must be finite. */
export function codeRanges(codes: Float32Array, k: number, where = 'codeRanges'): Ranges {
  if (!Number.isInteger(k) || k < 1 || codes.length === 0 || codes.length % k !== 0) {
    throw new ArgumentError(`${where}: expected n >= 1 codes of ${k} values, found ${codes.length} values`);
  }
  const lo = new Float32Array(k).fill(Infinity);
  const hi = new Float32Array(k).fill(-Infinity);
  for (let i = 0; i < codes.length; i++) {
    const v = codes[i]!;
    if (!Number.isFinite(v)) throw new DataError(`${where}: code value ${i} (sample ${Math.floor(i / k)}, dimension ${i % k}) is ${v}; codes must be finite`);
    const d = i % k;
    if (v < lo[d]!) lo[d] = v;
    if (v > hi[d]!) hi[d] = v;
  }
  return { lo, hi };
}

/** The step of dimension d: (hi - lo) / (2^bits - 1), 0 for a constant dimension. */
function step(ranges: Ranges, d: number, levels: number): number {
  return (ranges.hi[d]! - ranges.lo[d]!) / levels;
}

/** Quantised codes, dimension-major (q[d * n + i] is sample i's dimension d), each in [0, 2^bits - 1]. */
export function quantize(codes: Float32Array, k: number, ranges: Ranges, bits: number): Uint16Array {
  checkBits(bits, 'quantize');
  const n = codes.length / k;
  const levels = 2 ** bits - 1;
  const q = new Uint16Array(codes.length);
  for (let d = 0; d < k; d++) {
    const s = step(ranges, d, levels);
    const lo = ranges.lo[d]!;
    for (let i = 0; i < n; i++) {
      const t = s > 0 ? Math.floor((codes[i * k + d]! - lo) / s + 0.5) : 0;
      q[d * n + i] = t < 0 ? 0 : t > levels ? levels : t;
    }
  }
  return q;
}

/** Codes (n x k, row-major) back from dimension-major quantised values. */
export function dequantize(q: Uint16Array, n: number, k: number, ranges: Ranges, bits: number): Float32Array {
  const levels = 2 ** bits - 1;
  const out = new Float32Array(n * k);
  for (let d = 0; d < k; d++) {
    const s = step(ranges, d, levels);
    const lo = ranges.lo[d]!;
    // The top level is hi itself: lo + L * step may miss it by a float64 rounding.
    for (let i = 0; i < n; i++) {
      const t = q[d * n + i]!;
      out[i * k + d] = t === levels ? ranges.hi[d]! : lo + t * s;
    }
  }
  return out;
}

/** Bytes that `count` values of `bits` bits pack into. */
export function packedBytes(count: number, bits: number): number {
  return Math.ceil((count * bits) / 8);
}

/** `values` (each < 2^bits) packed LSB-first, `bits` bits each. */
export function packBits(values: Uint16Array, bits: number): Uint8Array {
  const out = new Uint8Array(packedBytes(values.length, bits));
  let acc = 0;
  let held = 0;
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    acc |= values[i]! << held;
    held += bits;
    while (held >= 8) {
      out[at++] = acc & 0xff;
      acc >>>= 8;
      held -= 8;
    }
  }
  if (held > 0) out[at] = acc & 0xff;
  return out;
}

/** The first `count` values of `bits` bits each from `bytes` (packBits' inverse). */
export function unpackBits(bytes: Uint8Array, count: number, bits: number): Uint16Array {
  const out = new Uint16Array(count);
  const mask = 2 ** bits - 1;
  let acc = 0;
  let held = 0;
  let at = 0;
  for (let i = 0; i < count; i++) {
    while (held < bits) {
      acc |= bytes[at++]! << held;
      held += 8;
    }
    out[i] = acc & mask;
    acc >>>= bits;
    held -= bits;
  }
  return out;
}
