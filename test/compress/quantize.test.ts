// Quantisation: the error bound of the documented rule at every bit depth, the exact
// round trip of quantised values through packing, and the edges (constant dimensions,
// extremes, bad input).
import { describe, expect, it } from 'vitest';
import { codeRanges, dequantize, packBits, quantize, unpackBits, MAX_BITS, MIN_BITS } from '../../src/compress/quantize.js';
import { ArgumentError, DataError } from '../../src/errors.js';
import { normal } from '../helpers.js';

const BITS = Array.from({ length: MAX_BITS - MIN_BITS + 1 }, (_, i) => MIN_BITS + i);

/** n codes of k values: dimension d scaled by 10^(d - 2) and shifted, so ranges differ widely. */
function codes(n: number, k: number, seed: number): Float32Array {
  const z = normal(n * k, seed);
  return Float32Array.from(z, (v, i) => v * 10 ** ((i % k) - 2) + (i % k) * 3);
}

describe('quantize / dequantize', () => {
  it.each(BITS)('%i bits: |code - dequantised| <= range / (2^bits - 1) / 2 in every dimension; lo and hi come back exactly', (bits) => {
    const n = 301;
    const k = 5;
    const x = codes(n, k, bits);
    const r = codeRanges(x, k);
    const q = quantize(x, k, r, bits);
    expect(Math.max(...q)).toBe(2 ** bits - 1);
    expect(Math.min(...q)).toBe(0);
    const y = dequantize(q, n, k, r, bits);
    for (let d = 0; d < k; d++) {
      const half = (r.hi[d]! - r.lo[d]!) / (2 ** bits - 1) / 2;
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const v = y[i * k + d]!;
        // The float32 rounding of the dequantised value is the only slack.
        const err = Math.abs(x[i * k + d]! - v) - Math.abs(v) * 2 ** -24;
        worst = Math.max(worst, err);
      }
      expect(worst, `dimension ${d}`).toBeLessThanOrEqual(half);
      // The rule is tight: some value lands near the middle between two levels.
      expect(worst, `dimension ${d}`).toBeGreaterThan(half * 0.5);
    }
    for (let i = 0; i < n * k; i++) {
      const d = i % k;
      if (x[i] === r.lo[d]) expect(y[i]).toBe(r.lo[d]);
      if (x[i] === r.hi[d]) expect(y[i]).toBe(r.hi[d]);
    }
  });

  it('rounds half up and is idempotent: quantising dequantised codes gives the same levels', () => {
    // Range [0, 15] at 4 bits: step 1, so 0.5 -> 1, 1.49 -> 1, 2.5 -> 3.
    const x = Float32Array.of(0, 0.5, 1.49, 2.5, 15);
    const r = codeRanges(x, 1);
    const q = quantize(x, 1, r, 4);
    expect([...q]).toEqual([0, 1, 1, 3, 15]);
    for (const bits of BITS) {
      const y = codes(50, 3, 7);
      const rr = codeRanges(y, 3);
      const q1 = quantize(y, 3, rr, bits);
      const again = quantize(dequantize(q1, 50, 3, rr, bits), 3, rr, bits);
      expect(again).toEqual(q1);
    }
  });

  it('a constant dimension stores 0 and comes back as its value', () => {
    const x = Float32Array.of(2, -1, 2, 5, 2, 3);
    const r = codeRanges(x, 2);
    const q = quantize(x, 2, r, 8);
    expect([...q.subarray(0, 3)]).toEqual([0, 0, 0]);
    expect([...dequantize(q, 3, 2, r, 8)].filter((_, i) => i % 2 === 0)).toEqual([2, 2, 2]);
  });

  it('refuses non-finite codes (naming the sample and dimension) and bits outside 4..16', () => {
    expect(() => codeRanges(Float32Array.of(1, 2, NaN, 4), 2)).toThrow(DataError);
    expect(() => codeRanges(Float32Array.of(1, 2, NaN, 4), 2)).toThrow(/sample 1, dimension 0\) is NaN/);
    expect(() => codeRanges(Float32Array.of(1, Infinity), 1)).toThrow(/Infinity/);
    expect(() => codeRanges(new Float32Array(0), 1)).toThrow(ArgumentError);
    expect(() => codeRanges(new Float32Array(3), 2)).toThrow(ArgumentError);
    for (const bits of [3, 17, 8.5, 0, NaN]) expect(() => quantize(Float32Array.of(1), 1, codeRanges(Float32Array.of(1), 1), bits)).toThrow(ArgumentError);
  });
});

describe('packBits / unpackBits', () => {
  it.each(BITS)('%i bits: every level, at every offset in a byte, round-trips exactly', (bits) => {
    const levels = 2 ** bits;
    // Enough values that each level meets each of the 8 bit offsets; a count not a multiple of 8.
    const count = Math.min(levels, 4096) * 3 + 5;
    const values = Uint16Array.from({ length: count }, (_, i) => (i * 2654435761) % levels);
    values[0] = levels - 1;
    const packed = packBits(values, bits);
    expect(packed.length).toBe(Math.ceil((count * bits) / 8));
    expect(unpackBits(packed, count, bits)).toEqual(values);
  });

  it('packs least significant bit first', () => {
    expect([...packBits(Uint16Array.of(0x1, 0xf, 0x3), 4)]).toEqual([0xf1, 0x03]);
    expect([...packBits(Uint16Array.of(0x123, 0x456), 12)]).toEqual([0x23, 0x61, 0x45]);
    expect([...packBits(Uint16Array.of(0xabcd), 16)]).toEqual([0xcd, 0xab]);
  });
});
