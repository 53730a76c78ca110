// MNIST-style preprocessing: inversion, cropping and scaling to 20 px, centring by
// mass, alpha and bit-depth handling, blank images; PNG decoding errors.
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { DataError, FormatError, ShapeError } from '../../src/errors.js';
import { decodePng, toMnistInput } from '../../src/viz/preprocess.js';
import { mnistLike, strokeImage } from './synthetic.js';

/** Ink bounding box size and centre of mass (pixel-index coordinates) of a 28 x 28 image. */
function measure(im: Float32Array, floor = 0): { w: number; h: number; cx: number; cy: number } {
  let x0 = 28, y0 = 28, x1 = -1, y1 = -1, m = 0, sx = 0, sy = 0;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const v = im[y * 28 + x]!;
      m += v;
      sx += v * x;
      sy += v * y;
      if (v > floor) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  return { w: x1 - x0 + 1, h: y1 - y0 + 1, cx: sx / m, cy: sy / m };
}

/** A black stroke digit on a white W x H RGBA canvas, as a browser canvas's ImageData holds it. */
function canvasDrawing(digit: number, w: number, h: number, box: [number, number, number, number], radius: number): Uint8ClampedArray {
  const ink = strokeImage(digit, w, h, box, radius);
  const rgba = new Uint8ClampedArray(w * h * 4);
  ink.forEach((v, i) => rgba.set([255 * (1 - v), 255 * (1 - v), 255 * (1 - v), 255], i * 4));
  return rgba;
}

describe('toMnistInput', () => {
  it('turns a black stroke on a white 200 x 120 canvas into a centred 20 px white digit', () => {
    // Off-centre on purpose: the digit sits in the top left of the canvas.
    const data = canvasDrawing(7, 200, 120, [20, 10, 50, 80], 5);
    const out = toMnistInput({ width: 200, height: 120, data, channels: 4 });
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(784);
    expect(Math.max(...out)).toBeCloseTo(1, 5);
    expect(Math.min(...out)).toBe(0);
    expect([out[0], out[27], out[783], out[14 * 28]]).toEqual([0, 0, 0, 0]); // background black
    const m = measure(out);
    expect(Math.abs(Math.max(m.w, m.h) - 20)).toBeLessThanOrEqual(1);
    expect(Math.abs(m.cx - 14)).toBeLessThanOrEqual(1);
    expect(Math.abs(m.cy - 14)).toBeLessThanOrEqual(1);
  });

  it('keeps an MNIST-like 28 x 28 white-on-black digit white on black', () => {
    const src = mnistLike(3, 5);
    const bytes = Uint8Array.from(src, (v) => Math.round(v * 255));
    const out = toMnistInput({ width: 28, height: 28, data: bytes, channels: 1 });
    const m = measure(out);
    expect(Math.abs(Math.max(m.w, m.h) - 20)).toBeLessThanOrEqual(1);
    expect(Math.abs(m.cx - 14)).toBeLessThanOrEqual(1);
    expect(Math.abs(m.cy - 14)).toBeLessThanOrEqual(1);
    // Where the source had ink, the output does too (the digit was already MNIST-sized).
    let agree = 0, inked = 0;
    for (let i = 0; i < 784; i++) if (src[i]! > 0.5) { inked++; if (out[i]! > 0.3) agree++; }
    expect(agree / inked).toBeGreaterThan(0.8);
    expect(out[0]).toBe(0);
  });

  it('treats transparency as background whatever the stroke colour', () => {
    const ink = strokeImage(4, 60, 60, [10, 5, 40, 50], 3);
    for (const stroke of [0, 255]) {
      // Stroke colour with alpha = coverage; transparent pixels carry colour 0 as canvases do.
      const rgba = new Uint8Array(60 * 60 * 4);
      ink.forEach((v, i) => rgba.set([stroke, stroke, stroke, Math.round(v * 255)], i * 4));
      const out = toMnistInput({ width: 60, height: 60, data: rgba });
      const m = measure(out);
      expect(out[0], `stroke ${stroke}`).toBe(0);
      expect(Math.abs(Math.max(m.w, m.h) - 20)).toBeLessThanOrEqual(1);
      expect(Math.abs(m.cx - 14)).toBeLessThanOrEqual(1);
    }
  });

  it('reads 16-bit gray + alpha and infers channels like ImageData', () => {
    const ink = strokeImage(0, 40, 50, [8, 5, 24, 40], 3);
    const ga = new Uint16Array(40 * 50 * 2);
    ink.forEach((v, i) => ga.set([Math.round(65535 * (1 - v)), 65535], i * 2));
    const out = toMnistInput({ width: 40, height: 50, data: ga, depth: 16 });
    const m = measure(out);
    expect(m.h).toBe(20);
    expect(Math.max(...out)).toBeCloseTo(1, 5);
  });

  it('enlarges a tiny drawing smoothly', () => {
    const ink = strokeImage(1, 12, 12, [3, 1, 6, 10], 1);
    const out = toMnistInput({ width: 12, height: 12, data: Uint8Array.from(ink, (v) => 255 - v * 255) });
    expect(measure(out).h).toBe(20);
  });

  it('rejects blank images and bad shapes with clear errors', () => {
    expect(() => toMnistInput({ width: 50, height: 40, data: new Uint8Array(50 * 40).fill(255) })).toThrow(DataError);
    expect(() => toMnistInput({ width: 50, height: 40, data: new Uint8Array(50 * 40).fill(255) })).toThrow(/blank/);
    expect(() => toMnistInput({ width: 10, height: 10, data: new Uint8Array(400) })).toThrow(/blank/); // fully transparent
    const faint = new Uint8Array(400).fill(200);
    faint[55] = 196; // noise, not a digit
    expect(() => toMnistInput({ width: 20, height: 20, data: faint })).toThrow(DataError);
    expect(() => toMnistInput({ width: 10, height: 10, data: new Uint8Array(150) })).toThrow(ShapeError);
    expect(() => toMnistInput({ width: 10, height: 10, data: new Uint8Array(300), channels: 4 })).toThrow(ShapeError);
  });
});

describe('decodePng', () => {
  it('decodes RGBA, palette and 1-bit PNGs into pixels toMnistInput accepts', () => {
    const w = 64, h = 48;
    const rgba = canvasDrawing(5, w, h, [20, 4, 24, 40], 3);
    const a = toMnistInput(decodePng(encode({ width: w, height: h, data: rgba, channels: 4, depth: 8 }), 'rgba.png'));
    // Indexed: palette [white, black], one byte per pixel index.
    const idx = Uint8Array.from({ length: w * h }, (_, i) => (rgba[i * 4]! < 128 ? 1 : 0));
    const p = decodePng(encode({ width: w, height: h, data: idx, channels: 1, depth: 8, palette: [[255, 255, 255], [0, 0, 0]] }), 'indexed.png');
    expect(p.channels).toBe(3);
    const b = toMnistInput(p);
    // 1-bit gray, rows packed MSB first and padded to whole bytes.
    const rowBytes = Math.ceil(w / 8);
    const packed = new Uint8Array(rowBytes * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (rgba[(y * w + x) * 4]! >= 128) packed[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
    const c = toMnistInput(decodePng(encode({ width: w, height: h, data: packed, channels: 1, depth: 1 }), 'bits.png'));
    for (const out of [a, b, c]) {
      const m = measure(out);
      expect(m.h).toBe(20);
      expect(Math.abs(m.cx - 14)).toBeLessThanOrEqual(1);
    }
  });

  it('names the file in FormatErrors for non-PNG and corrupt bytes', () => {
    expect(() => decodePng(new TextEncoder().encode('hello world'), 'digit.png')).toThrow(FormatError);
    expect(() => decodePng(new Uint8Array(0), 'empty.png')).toThrow(/empty\.png: not a PNG/);
    const good = encode({ width: 8, height: 8, data: new Uint8Array(64 * 3).fill(90), channels: 3, depth: 8 });
    const flipped = good.slice();
    flipped[good.length - 20]! ^= 0xff; // inside the IDAT data: the CRC no longer matches
    expect(() => decodePng(flipped, 'flipped.png')).toThrow(/flipped\.png: corrupt or truncated PNG/);
    expect(() => decodePng(good.slice(0, 40), 'cut.png')).toThrow(FormatError);
  });
});
