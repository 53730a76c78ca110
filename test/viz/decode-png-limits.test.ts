// A tiny PNG declaring a huge image is refused from its IHDR, before the decoder
// allocates the pixels.
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { decodePng, MAX_PNG_PIXELS } from '../../src/viz/decode-png.js';

/** A valid 1 x 1 PNG with IHDR's width and height rewritten (CRC left stale: the check comes first). */
function declaring(width: number, height: number): Uint8Array {
  const png = encode({ width: 1, height: 1, data: new Uint8Array([0]), channels: 1, depth: 8 });
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  view.setUint32(16, width, false);
  view.setUint32(20, height, false);
  return png;
}

describe('decodePng size limit', () => {
  it('refuses 65535 x 65535 from a file of under 100 bytes', () => {
    const png = declaring(65535, 65535);
    expect(png.length).toBeLessThan(100);
    expect(() => decodePng(png, 'huge.png')).toThrow(FormatError);
    expect(() => decodePng(png, 'huge.png')).toThrow(`huge.png: PNG is 65535 x 65535 pixels, over the limit of ${MAX_PNG_PIXELS} pixels`);
  });

  it('still decodes an ordinary image', () => {
    const png = encode({ width: 28, height: 28, data: new Uint8Array(784).fill(9), channels: 1, depth: 8 });
    expect(decodePng(png, 'digit.png').width).toBe(28);
  });
});
