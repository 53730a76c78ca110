// Half-precision widening against the IEEE formula for all 65536 bit patterns, and the
// byte swap big-endian hosts rely on (tested here because CI never runs on one).
import { describe, expect, it } from 'vitest';
import { bfloat16ToFloat32, float16ToFloat32, swapBytes } from '../../src/io/dtype.js';

/** binary16 by definition: (-1)^s * 2^(e-15) * (1 + m/1024), subnormals 2^-14 * m/1024. */
function halfByFormula(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * 2 ** -14 * (m / 1024);
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (e - 15) * (1 + m / 1024);
}

describe('half precision', () => {
  it('widens every F16 bit pattern exactly', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const got = float16ToFloat32(all);
    for (let h = 0; h < 65536; h++) {
      const want = halfByFormula(h);
      if (!Object.is(got[h], want)) expect.fail(`F16 0x${h.toString(16)}: got ${got[h]}, want ${want}`);
    }
  });

  it('keeps F16 NaN payloads and signs', () => {
    const bits = new Uint32Array(float16ToFloat32(new Uint16Array([0x7e01, 0xfd00])).buffer);
    expect(bits[0]!.toString(16)).toBe('7fc02000');
    expect(bits[1]!.toString(16)).toBe('ffa00000');
  });

  it('widens BF16 as the top half of a float32', () => {
    const got = bfloat16ToFloat32(new Uint16Array([0x3f80, 0xbf80, 0x4049, 0x0001, 0xff80, 0x8000]));
    const want = [1, -1, 3.140625, 2 ** -133, -Infinity, -0];
    want.forEach((w, i) => expect(Object.is(got[i], w), `BF16 ${i}: ${got[i]}`).toBe(true));
  });
});

describe('swapBytes', () => {
  it('reverses each group and is its own inverse', () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    swapBytes(bytes, 4);
    expect(Array.from(bytes)).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
    swapBytes(bytes, 4);
    swapBytes(bytes, 8);
    expect(Array.from(bytes)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    swapBytes(bytes, 1);
    expect(Array.from(bytes)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('turns a little-endian float32 into the other byte order', () => {
    const le = new Uint8Array(4);
    new DataView(le.buffer).setFloat32(0, -1.5, true);
    swapBytes(le, 4);
    expect(new DataView(le.buffer).getFloat32(0, false)).toBe(-1.5);
  });
});
