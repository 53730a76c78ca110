// The container's digests against Node's crypto and zlib (independent implementations).
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, hex, Sha256 } from '../../src/compress/digest.js';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + ((i * i) >> 3)) & 0xff);

describe('SHA-256', () => {
  it('matches the FIPS 180-4 examples', () => {
    const sha = (s: string) => hex(new Sha256().update(new TextEncoder().encode(s)).digest());
    expect(sha('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  // Lengths around the 55/56/64-byte padding edges, fed in one piece and in odd chunks.
  it.each([1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 4097])('matches node:crypto on %i bytes, in one piece and in chunks', (n) => {
    const data = bytes(n, n);
    const expected = createHash('sha256').update(data).digest('hex');
    expect(hex(new Sha256().update(data).digest())).toBe(expected);
    const h = new Sha256();
    for (let at = 0; at < n; at += 7) h.update(data.subarray(at, at + 7));
    expect(hex(h.digest())).toBe(expected);
  });
});

describe('CRC-32', () => {
  it('has the check value 0xCBF43926 and matches zlib', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    for (const n of [1, 3, 255, 4096]) expect(crc32(bytes(n, 3))).toBe(zlibCrc32(bytes(n, 3)));
  });
});
