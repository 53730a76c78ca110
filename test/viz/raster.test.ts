// Raster primitives, PNG export and the bitmap font.
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '../../src/errors.js';
import { CAP_HEIGHT, drawText, textWidth } from '../../src/viz/font.js';
import { NAN_MARKER, Raster, toPng } from '../../src/viz/raster.js';

const RED = [255, 0, 0] as const;
const BLUE = [0, 0, 255] as const;

/** Bounding box [x0, y0, x1, y1] (inclusive) of pixels differing from white, or null. */
function inkBox(r: Raster): [number, number, number, number] | null {
  let box: [number, number, number, number] | null = null;
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) {
      const [a, b, c] = r.getPixel(x, y);
      if (a === 255 && b === 255 && c === 255) continue;
      box = box ? [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x), Math.max(box[3], y)] : [x, y, x, y];
    }
  }
  return box;
}

describe('Raster', () => {
  it('round-trips through PNG exactly', () => {
    const r = new Raster(37, 23);
    for (let i = 0; i < r.data.length; i++) r.data[i] = (i * 7919) % 256;
    const png = decode(toPng(r));
    expect([png.width, png.height, png.channels, png.depth]).toEqual([37, 23, 3, 8]);
    expect(Array.from(png.data)).toEqual(Array.from(r.data));
  });

  it('fills and clips rectangles, ignores pixels outside', () => {
    const r = new Raster(10, 8, [0, 0, 0]);
    r.fillRect(-5, 6, 8, 10, RED);
    r.setPixel(10, 0, BLUE);
    r.setPixel(-1, 3, BLUE);
    expect(r.getPixel(0, 7)).toEqual(RED);
    expect(r.getPixel(2, 6)).toEqual(RED);
    expect(r.getPixel(3, 6)).toEqual([0, 0, 0]);
    expect(r.getPixel(0, 5)).toEqual([0, 0, 0]);
    expect([...r.data].filter((v) => v === 255)).toHaveLength(6);
  });

  it('draws a 2 px line on pixel boundaries crisply, round caps one radius past the ends', () => {
    const r = new Raster(40, 20);
    r.line(5, 10, 35, 10, RED, 2);
    expect(r.getPixel(20, 9)).toEqual(RED);
    expect(r.getPixel(20, 10)).toEqual(RED);
    expect(r.getPixel(20, 8)).toEqual([255, 255, 255]);
    expect(r.getPixel(20, 11)).toEqual([255, 255, 255]);
    expect(inkBox(r)).toEqual([4, 9, 35, 10]);
    // Off the pixel grid, the edges are blended rather than stair-stepped.
    const d = new Raster(40, 40);
    d.line(5, 5, 35, 20, RED, 2);
    const partial = [...Array(40 * 40).keys()].filter((i) => d.data[i * 3 + 1]! > 0 && d.data[i * 3 + 1]! < 255);
    expect(partial.length).toBeGreaterThan(20);
  });

  it('draws filled circles with full colour inside and the expected area', () => {
    const r = new Raster(30, 30);
    r.fillCircle(15, 15, 6, BLUE);
    expect(r.getPixel(14, 14)).toEqual(BLUE);
    expect(r.getPixel(2, 2)).toEqual([255, 255, 255]);
    let covered = 0;
    for (let i = 0; i < r.data.length; i += 3) covered += (255 - r.data[i]!) / 255;
    expect(covered).toBeGreaterThan(Math.PI * 36 * 0.95);
    expect(covered).toBeLessThan(Math.PI * 36 * 1.05);
  });

  it('blits grayscale with nearest-neighbour upscaling and clamping', () => {
    const r = new Raster(10, 10, [9, 9, 9]);
    r.blitGray(Float32Array.of(0, 1, 0.5, 7), 2, 2, 1, 1, 3);
    expect(r.getPixel(1, 1)).toEqual([0, 0, 0]);
    expect(r.getPixel(4, 3)).toEqual([255, 255, 255]);
    expect(r.getPixel(3, 6)).toEqual([128, 128, 128]);
    expect(r.getPixel(6, 6)).toEqual([255, 255, 255]);
    expect(r.getPixel(7, 7)).toEqual([9, 9, 9]);
    expect(() => r.blitGray(new Float32Array(3), 2, 2, 0, 0)).toThrow(ShapeError);
    expect(() => r.blitGray(new Float32Array(4), 2, 2, 0, 0, 1.5)).toThrow(ArgumentError);
  });

  it('blits RGB (HWC, R then G then B) with the same scale rule, clamping and inversion', () => {
    const r = new Raster(10, 10, [9, 9, 9]);
    // 2 x 1 pixels: (0.2, 0.4, 0.6) and an out-of-range (-1, 2, Infinity).
    r.blitRgb(Float32Array.of(0.2, 0.4, 0.6, -1, 2, Infinity), 2, 1, 1, 2, 3);
    expect(r.getPixel(1, 2)).toEqual([51, 102, 153]);
    expect(r.getPixel(3, 4)).toEqual([51, 102, 153]);
    expect(r.getPixel(4, 2)).toEqual([0, 255, 255]);
    expect(r.getPixel(6, 4)).toEqual([0, 255, 255]);
    expect(r.getPixel(7, 2)).toEqual([9, 9, 9]);
    expect(r.getPixel(1, 5)).toEqual([9, 9, 9]);
    r.blitRgb(Float32Array.of(0, 0, 0, 0.2, 0.4, 0.6), 1, 1, 0, 0, 1, true, 3);
    expect(r.getPixel(0, 0)).toEqual([204, 153, 102]);
    expect(() => r.blitRgb(new Float32Array(5), 2, 1, 0, 0)).toThrow(/blitRgb: expected 6 values \(2 x 1 x 3\) at offset 0, found 5/);
    expect(() => r.blitRgb(new Float32Array(6), 2, 1, 0, 0, 0)).toThrow(ArgumentError);
    expect(() => r.blit(new Float32Array(8), 2, 1, 4, 0, 0)).toThrow(ArgumentError);
  });

  it('draws NaN pixels as the magenta marker, grey and RGB', () => {
    const r = new Raster(4, 1);
    r.blitRgb(Float32Array.of(0.5, NaN, 0.5, 1, 1, 1), 2, 1, 0, 0);
    r.blitGray(Float32Array.of(NaN, 0), 2, 1, 2, 0);
    expect([0, 1, 2, 3].map((x) => r.getPixel(x, 0))).toEqual([NAN_MARKER, [255, 255, 255], NAN_MARKER, [0, 0, 0]]);
  });

  it('rejects empty rasters', () => {
    expect(() => new Raster(0, 5)).toThrow(ArgumentError);
  });
});

describe('font', () => {
  it('renders text inside its measured box', () => {
    const r = new Raster(200, 60);
    drawText(r, 'Hello, MNIST 0.5', 10, 20, RED, { scale: 2 });
    const box = inkBox(r)!;
    expect(box[0]).toBe(10);
    expect(box[1]).toBe(20);
    expect(box[2]).toBe(10 + textWidth('Hello, MNIST 0.5', 2) - 1);
    // The comma's tail drops one font row below the baseline.
    expect(box[3]).toBe(20 + (CAP_HEIGHT + 1) * 2 - 1);
  });

  it('spaces letters proportionally but digits on a fixed pitch', () => {
    expect(textWidth('i')).toBe(1);
    expect(textWidth('ii')).toBe(3);
    expect(textWidth('11')).toBe(textWidth('00'));
    expect(textWidth('W', 3)).toBe(15);
    expect(textWidth('')).toBe(0);
  });

  it('anchors by alignment, rotates for axis labels, shows unknown characters as ?', () => {
    const r = new Raster(100, 100);
    drawText(r, 'AB', 50, 50, BLUE, { align: 'right', valign: 'middle' });
    const box = inkBox(r)!;
    expect(box[2]).toBe(49);
    expect(box[0]).toBe(50 - textWidth('AB'));
    expect(Math.abs((box[1] + box[3] + 1) / 2 - 50)).toBeLessThanOrEqual(1);

    const v = new Raster(100, 100);
    drawText(v, 'loss', 20, 60, BLUE, { rotate: true, align: 'center' });
    const vb = inkBox(v)!;
    expect(vb[3] - vb[1] + 1).toBe(textWidth('loss')); // runs vertically
    expect(vb[2] - vb[0] + 1).toBeLessThanOrEqual(9);

    const a = new Raster(20, 20);
    const b = new Raster(20, 20);
    drawText(a, '\u00e9', 2, 2, BLUE);
    drawText(b, '?', 2, 2, BLUE);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});
