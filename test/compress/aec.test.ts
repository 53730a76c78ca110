// The .aec container on its own: exact round trips, and every kind of damage refused with
// a FormatError that says what was wrong (truncation at every byte, every bit flipped,
// huge counts, wrong magic and version, empty files, decompression bombs).
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { AEC_MAGIC, decodeAec, encodeAec, readAecHeader, type AecContents } from '../../src/compress/aec.js';
import { crc32 } from '../../src/compress/digest.js';
import { ArgumentError, FormatError } from '../../src/errors.js';

function contents(n: number, k: number, bits: number, labels = true): AecContents {
  const levels = 2 ** bits;
  return {
    bits,
    modelHash: Uint8Array.from({ length: 32 }, (_, i) => i * 7),
    n,
    codeSize: k,
    ranges: { lo: Float32Array.from({ length: k }, (_, d) => -d - 0.5), hi: Float32Array.from({ length: k }, (_, d) => d * 2 + 1) },
    quantized: Uint16Array.from({ length: n * k }, (_, i) => (i * 40503 + (i >> 3)) % levels),
    labels: labels ? Uint8Array.from({ length: n }, (_, i) => i % 10) : null,
  };
}

/** Rewrites a field, then fixes the CRC so the field itself is what the reader meets. */
function patch(bytes: Uint8Array, write: (v: DataView) => void): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  write(view);
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

describe('.aec round trip', () => {
  it.each([4, 5, 7, 8, 9, 12, 15, 16])('%i bits: decode(encode(x)) is x exactly, labels included', (bits) => {
    const c = contents(37, 3, bits);
    const back = decodeAec(encodeAec(c), 'x.aec');
    expect(back.version).toBe(1);
    expect(back).toMatchObject({ bits, n: 37, codeSize: 3 });
    expect(back.quantized).toEqual(c.quantized);
    expect(back.ranges.lo).toEqual(c.ranges.lo);
    expect(back.ranges.hi).toEqual(c.ranges.hi);
    expect(back.modelHash).toEqual(c.modelHash);
    expect(back.labels).toEqual(c.labels);
    expect(decodeAec(encodeAec(contents(5, 2, bits, false))).labels).toBeNull();
  });

  it('lays out the documented header', () => {
    const bytes = encodeAec(contents(3, 2, 6));
    const view = new DataView(bytes.buffer);
    expect([...bytes.subarray(0, 8)]).toEqual([...AEC_MAGIC]);
    expect(view.getUint16(8, true)).toBe(1);
    expect(bytes[10]).toBe(6);
    expect(bytes[11]).toBe(1);
    expect(view.getUint32(44, true)).toBe(3);
    expect(view.getUint32(48, true)).toBe(2);
    expect(view.getFloat32(52, true)).toBe(-0.5);
    expect(view.getFloat32(52 + 8, true)).toBe(1);
    const payload = view.getUint32(68, true);
    expect(bytes.length).toBe(72 + payload + 4);
    expect(view.getUint32(bytes.length - 4, true)).toBe(crc32(bytes.subarray(0, bytes.length - 4)));
  });

  it('refuses to write what it could not read back', () => {
    const c = contents(4, 2, 4);
    expect(() => encodeAec({ ...c, quantized: c.quantized.map(() => 16) })).toThrow(ArgumentError);
    expect(() => encodeAec({ ...c, bits: 3 })).toThrow(ArgumentError);
    expect(() => encodeAec({ ...c, labels: new Uint8Array(3) })).toThrow(ArgumentError);
    expect(() => encodeAec({ ...c, modelHash: new Uint8Array(31) })).toThrow(ArgumentError);
  });
});

describe('.aec damage is a FormatError', () => {
  const good = encodeAec(contents(20, 3, 7));

  it('truncated at every byte', () => {
    for (let len = 0; len < good.length; len++) {
      expect(() => decodeAec(good.subarray(0, len), 't.aec'), `length ${len}`).toThrow(FormatError);
    }
    expect(() => decodeAec(good.subarray(0, 30), 't.aec')).toThrow(/truncated: 30 bytes/);
    expect(() => decodeAec(good.subarray(0, good.length - 1), 't.aec')).toThrow(/truncated: the header says/);
  });

  it('every single bit flipped', () => {
    for (let i = 0; i < good.length * 8; i++) {
      const bad = good.slice();
      bad[i >> 3]! ^= 1 << (i & 7);
      expect(() => decodeAec(bad, 'f.aec'), `bit ${i}`).toThrow(FormatError);
    }
  });

  it('zero-length, wrong magic, other versions, trailing bytes', () => {
    expect(() => decodeAec(new Uint8Array(0), 'e.aec')).toThrow(/e\.aec: is empty \(0 bytes\)/);
    expect(() => decodeAec(new TextEncoder().encode('{"codes": []}'), 'j.aec')).toThrow(/not an \.aec file: expected the magic bytes .* found 7b 22 63/);
    // A PNG shares the magic's shape but not its letters.
    expect(() => decodeAec(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), 'p.aec')).toThrow(/not an \.aec file/);
    for (const v of [0, 2, 0xffff]) {
      expect(() => decodeAec(patch(good, (d) => d.setUint16(8, v, true)), 'v.aec')).toThrow(new RegExp(`container version ${v} is not supported`));
    }
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    expect(() => decodeAec(longer, 'l.aec')).toThrow(/trailing bytes/);
  });

  it('bits, flags and ranges out of their domain', () => {
    for (const b of [0, 3, 17, 255]) expect(() => decodeAec(patch(good, (d) => d.setUint8(10, b)))).toThrow(/bits per value is/);
    expect(() => decodeAec(patch(good, (d) => d.setUint8(11, 3)))).toThrow(/flags byte is 0x3/);
    expect(() => decodeAec(patch(good, (d) => d.setFloat32(52, NaN, true)))).toThrow(/range of dimension 0 is \[NaN/);
    expect(() => decodeAec(patch(good, (d) => d.setFloat32(52, 100, true)))).toThrow(/range of dimension 0 is \[100, 1\]/);
  });

  it('huge counts are refused from the header, before anything is allocated', () => {
    for (const [n, k, why] of [
      [0, 3, /claims 0 samples/],
      [2 ** 32 - 1, 3, /claims 4294967295 samples; expected 1\.\.16777216/],
      [20, 0, /claims 0 values per code/],
      [20, 2 ** 32 - 1, /claims 4294967295 values per code/],
      [1 << 24, 1 << 10, /= 17179869184 values, over the limit/],
    ] as const) {
      const bad = patch(good, (d) => {
        d.setUint32(44, n, true);
        d.setUint32(48, k, true);
      });
      expect(() => decodeAec(bad, 'h.aec'), `n ${n} k ${k}`).toThrow(why);
    }
    // A claim within the limits but beyond what the payload could inflate to.
    const big = patch(good, (d) => d.setUint32(44, 1 << 20, true));
    expect(() => readAecHeader(big)).toThrow(/truncated|more than a \d+-byte deflate payload can hold/);
    // Limits are the caller's to lower.
    expect(() => readAecHeader(good, 'x.aec', { maxSamples: 10 })).toThrow(/claims 20 samples; expected 1\.\.10/);
  });

  /** A container with a valid CRC whose payload is `raw` deflated, whatever the header claims. */
  function withPayload(raw: Uint8Array): Uint8Array {
    const c = encodeAec(contents(20, 3, 7));
    const head = 52 + 8 * 3;
    const payload = deflateSync(raw, { level: 9 });
    const out = new Uint8Array(head + 4 + payload.length + 4);
    out.set(c.subarray(0, head));
    const view = new DataView(out.buffer);
    view.setUint32(head, payload.length, true);
    out.set(payload, head + 4);
    view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
    return out;
  }

  it('a decompression bomb stops at the claimed size; short and corrupt payloads are refused', () => {
    // 20 x 3 values at 7 bits + 20 labels = 73 bytes claimed; 16 MiB of zeros deflate to ~16 KB.
    const bomb = withPayload(new Uint8Array(16 << 20));
    expect(bomb.length).toBeLessThan(50_000);
    expect(() => decodeAec(bomb, 'b.aec')).toThrow(/b\.aec: payload inflates to more than the 73 bytes the header claims/);
    expect(() => decodeAec(withPayload(new Uint8Array(74)), 's.aec')).toThrow(/more than the 73 bytes/);
    expect(() => decodeAec(withPayload(new Uint8Array(72)), 's.aec')).toThrow(/payload inflates to 72 bytes, but the header claims 73/);
    expect(() => decodeAec(withPayload(new Uint8Array(0)), 's.aec')).toThrow(/inflates to 0 bytes/);
    // Not deflate at all (a CRC made to match).
    const junk = withPayload(new Uint8Array(73));
    const head = 52 + 24 + 4;
    junk.fill(0xff, head, junk.length - 4);
    new DataView(junk.buffer).setUint32(junk.length - 4, crc32(junk.subarray(0, junk.length - 4)), true);
    expect(() => decodeAec(junk, 'j.aec')).toThrow(FormatError);
    // Nonzero spare bits in the last code byte (60 values x 7 bits = 52.5 bytes).
    const raw = new Uint8Array(73);
    raw[52] = 0x80;
    expect(() => decodeAec(withPayload(raw), 'z.aec')).toThrow(/unused bits of the last code byte/);
    expect(decodeAec(withPayload(new Uint8Array(73))).quantized.every((q) => q === 0)).toBe(true);
  });
});

describe('.aec limits are checked as given', () => {
  const bytes = encodeAec(contents(3, 4, 8));
  it('a misspelt limit, or one that is no positive integer, is an ArgumentError (never a check that passes)', () => {
    expect(() => readAecHeader(bytes, 'x.aec', { maxSample: 1 } as never)).toThrow(new ArgumentError('unknown .aec limit "maxSample"; expected maxSamples, maxCodeSize, maxValues'));
    for (const bad of [NaN, 0, -1, 2.5, Infinity]) {
      expect(() => readAecHeader(bytes, 'x.aec', { maxSamples: bad })).toThrow(new ArgumentError(`.aec limit maxSamples must be a positive integer, got ${String(bad)}`));
    }
    expect(() => readAecHeader(bytes, 'x.aec', { maxValues: '9' } as never)).toThrow(new ArgumentError('.aec limit maxValues must be a positive integer, got "9"'));
  });
  it('a limit given holds: 3 samples pass a limit of 3 and fail one of 2', () => {
    expect(readAecHeader(bytes, 'x.aec', { maxSamples: 3 }).n).toBe(3);
    expect(() => readAecHeader(bytes, 'x.aec', { maxSamples: 2 })).toThrow(FormatError);
  });
});
