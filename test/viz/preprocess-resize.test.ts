// Pictures -> an H x W x C sample of any shape (src/viz/resize.ts): exact values for the
// identity size, area averages when shrinking, linear interpolation when enlarging, the
// centred crop, alpha over white, Rec. 601 grey, 16-bit samples, and typed errors.

import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '../../src/errors.js';
import { checkImageShape, toImageSample } from '../../src/viz/resize.js';

/** An RGBA picture whose pixel (x, y) is [r, g, b, a] = f(x, y). */
function rgba(width: number, height: number, f: (x: number, y: number) => number[]): { width: number; height: number; data: Uint8ClampedArray } {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 4);
  return { width, height, data };
}

describe('toImageSample', () => {
  it('keeps every RGB value of an opaque picture of the target size, channels interleaved', () => {
    const img = rgba(5, 3, (x, y) => [x * 40, y * 50, (x + y) * 10, 255]);
    const out = toImageSample(img, [3, 5, 3]);
    const want = [];
    for (let y = 0; y < 3; y++) for (let x = 0; x < 5; x++) want.push(x * 40, y * 50, (x + y) * 10);
    expect(Array.from(out)).toEqual(want);
  });

  it('composites alpha over white: transparent is 255, half transparent is halfway', () => {
    const img = rgba(2, 1, (x) => (x === 0 ? [0, 0, 0, 0] : [0, 100, 200, 51]));
    const a = 51 / 255;
    expect(Array.from(toImageSample(img, [1, 2, 3]))).toEqual(Array.from(Float32Array.from([255, 255, 255, 255 * (1 - a), 100 * a + 255 * (1 - a), 200 * a + 255 * (1 - a)])));
  });

  it('makes grey from Rec. 601 luminance, and takes grey and grey + alpha pictures as they are', () => {
    const img = rgba(1, 1, () => [200, 100, 50, 255]);
    expect(toImageSample(img, [1, 1, 1])[0]).toBeCloseTo(0.299 * 200 + 0.587 * 100 + 0.114 * 50, 4);
    expect(Array.from(toImageSample({ width: 2, height: 1, data: new Uint8Array([7, 9]) }, [1, 2, 3]))).toEqual([7, 7, 7, 9, 9, 9]);
    expect(Array.from(toImageSample({ width: 1, height: 1, data: new Uint8Array([0, 0]), channels: 2 }, [1, 1, 1]))).toEqual([255]);
  });

  it('averages each output pixel\'s footprint when shrinking (area resampling)', () => {
    const img = rgba(4, 4, (x, y) => [x * 10 + y, 0, 0, 255]);
    const out = toImageSample(img, [2, 2, 3]);
    // Each 2 x 2 block's mean: (x0 + x0 + 1) * 5 + (y0 + y0 + 1) / 2.
    expect([out[0], out[3], out[6], out[9]].map((v) => Math.round(v! * 1e4) / 1e4)).toEqual([5.5, 25.5, 7.5, 27.5]);
  });

  it('interpolates linearly when enlarging, edges held', () => {
    const img = { width: 2, height: 1, data: new Uint8Array([0, 100]), channels: 1 };
    expect(Array.from(toImageSample(img, [1, 4, 1]))).toEqual([0, 25, 75, 100]);
  });

  it('stretches the whole picture by default and cuts a centred window with fit "crop"', () => {
    // 6 x 2: columns 0,1 | 2,3 | 4,5 hold 10 | 20 | 30.
    const img = rgba(6, 2, (x) => [10 * (1 + Math.floor(x / 2)), 0, 0, 255]);
    expect(Array.from(toImageSample(img, [1, 3, 1]).map((v) => Math.round((v / 0.299) * 1e3) / 1e3))).toEqual([10, 20, 30]);
    expect(Array.from(toImageSample(img, [2, 2, 3], 'crop').filter((_, i) => i % 3 === 0))).toEqual([20, 20, 20, 20]);
    // A tall picture crops rows: 1 x 4 rows 1..4 to 1 x 1 keeps the middle (rows 1.5 +- 0.5 -> row index 1 or 2).
    const tall = { width: 1, height: 4, data: new Uint8Array([0, 80, 80, 0]), channels: 1 };
    expect(Array.from(toImageSample(tall, [1, 1, 1], 'crop'))).toEqual([80]);
  });

  it('scales 16-bit samples to 0..255', () => {
    expect(Array.from(toImageSample({ width: 1, height: 1, data: new Uint16Array([65535, 0, 32768]), channels: 3 }, [1, 1, 3]))).toEqual(Array.from(Float32Array.from([255, 0, (32768 * 255) / 65535])));
  });

  it('refuses shapes that are not pictures, bad fits and pictures whose data do not match their size', () => {
    const img = rgba(2, 2, () => [0, 0, 0, 255]);
    expect(() => toImageSample(img, [13])).toThrow(new ShapeError('toImageSample: expected an image shape [height, width, channels] of positive integers, found [13]'));
    expect(() => toImageSample(img, [4, 4, 2])).toThrow(new ShapeError('toImageSample: pictures convert to 1 (grey) or 3 (RGB) channels, the shape [4, 4, 2] has 2'));
    expect(() => toImageSample(img, [4, 0, 3])).toThrow(ShapeError);
    expect(() => toImageSample(img, [4, 4, 3], 'cover' as never)).toThrow(new ArgumentError('toImageSample: fit must be one of fill, crop, found "cover"'));
    expect(() => toImageSample({ width: 3, height: 2, data: new Uint8Array(7) }, [2, 2, 1])).toThrow(ShapeError);
    expect(checkImageShape([32, 32, 3], 'x')).toEqual([32, 32, 3]);
  });
});
