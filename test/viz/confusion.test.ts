// The confusion-matrix picture (src/viz/confusion.ts): geometry from the layout, each
// cell's shade from its share of its row, counts drawn only in non-zero cells, the PNG
// decoding to the same pixels, names (turned when wide) and typed errors on bad input.
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '../../src/errors.js';
import { Confusion } from '../../src/train/metrics.js';
import { TAB10, WHITE } from '../../src/viz/colors.js';
import { confusionLayout, confusionPicture, confusionPng } from '../../src/viz/confusion.js';
import { decodePng } from '../../src/viz/decode-png.js';
import type { Raster } from '../../src/viz/raster.js';

const BLUE = TAB10[0]!;
const mix = (f: number) => BLUE.map((c) => Math.round(255 + (c - 255) * f));

/** Pixels of cell (t, p) that differ from `bg` (text ink). */
function inkIn(r: Raster, L: ReturnType<typeof confusionLayout>, t: number, p: number, bg: readonly number[]): number {
  let n = 0;
  for (let y = L.top + t * L.cell; y < L.top + (t + 1) * L.cell; y++) {
    for (let x = L.left + p * L.cell; x < L.left + (p + 1) * L.cell; x++) if (r.getPixel(x, y).some((v, i) => v !== bg[i])) n++;
  }
  return n;
}

describe('confusionPicture', () => {
  const input = { classes: 3, counts: [10, 0, 0, 3, 1, 0, 1, 1, 2] };

  it('shades each cell by its share of the row, counts only where non-zero', () => {
    const L = confusionLayout(input);
    const r = confusionPicture(input);
    expect([r.width, r.height]).toEqual([L.width, L.height]);
    expect(L.cell).toBe(48);
    const shares = [[1, 0, 0], [0.75, 0.25, 0], [0.25, 0.25, 0.5]];
    for (let t = 0; t < 3; t++) {
      for (let p = 0; p < 3; p++) {
        const bg = mix(shares[t]![p]!);
        // A cell's corner holds its shade; a count's digits sit in the middle.
        expect(r.getPixel(L.left + p * L.cell + 1, L.top + t * L.cell + 1), `cell ${t},${p}`).toEqual(bg);
        const ink = inkIn(r, L, t, p, bg);
        if (input.counts[t * 3 + p]) expect(ink, `count in ${t},${p}`).toBeGreaterThan(10);
        else expect(ink, `empty ${t},${p}`).toBe(0);
      }
    }
    // The full cell's count is white on blue.
    const c = L.cell;
    let white = 0;
    for (let y = L.top; y < L.top + c; y++) for (let x = L.left; x < L.left + c; x++) if (r.getPixel(x, y).every((v, i) => v === WHITE[i])) white++;
    expect(white).toBeGreaterThan(10);
  });

  it('encodes to a PNG of the same pixels; a Confusion from train/metrics draws as is', () => {
    const cm = new Confusion(10);
    cm.addPredictions(Array.from({ length: 200 }, (_, i) => (i % 7 === 0 ? (i + 1) % 10 : i % 10)), Array.from({ length: 200 }, (_, i) => i % 10));
    const options = { title: 'test accuracy 0.86', names: Array.from({ length: 10 }, (_, i) => `digit ${i}`) };
    const r = confusionPicture(cm, options);
    const png = decodePng(confusionPng(cm, options));
    expect([png.width, png.height]).toEqual([r.width, r.height]);
    for (let y = 0; y < r.height; y += 7) for (let x = 0; x < r.width; x += 5) {
      const i = (y * r.width + x) * png.channels;
      expect([png.data[i], png.data[i + 1], png.data[i + 2]]).toEqual(r.getPixel(x, y));
    }
    // "digit 0" is wider than a 48-px cell at scale 2: the column names turn upward.
    expect(confusionLayout(cm, options).rotated).toBe(true);
    expect(confusionLayout(cm).rotated).toBe(false);
  });

  it('37 classes: cells of 19 px, names at scale 1, no count drawn that does not fit', () => {
    const k = 37;
    const counts = new Float64Array(k * k);
    for (let t = 0; t < k; t++) counts[t * k + t] = t === 5 ? 123456 : 7;
    const L = confusionLayout({ classes: k, counts });
    expect([L.cell, L.scale]).toEqual([19, 1]);
    const r = confusionPicture({ classes: k, counts });
    expect(inkIn(r, L, 5, 5, mix(1))).toBe(0); // six digits do not fit in 19 px
    expect(inkIn(r, L, 6, 6, mix(1))).toBeGreaterThan(5);
  });

  it('rejects bad input with typed errors before drawing', () => {
    expect(() => confusionPicture({ classes: 2, counts: [1, 2, 3] })).toThrow(ShapeError);
    expect(() => confusionPicture({ classes: 2, counts: [1, 2, 3] })).toThrow('expected 2 x 2 = 4 counts, found 3');
    expect(() => confusionPicture({ classes: 2, counts: [1, -2, 3, 4] })).toThrow(ArgumentError);
    expect(() => confusionPicture({ classes: 2, counts: [1, NaN, 3, 4] })).toThrow('count at true 0, predicted 1 is NaN');
    expect(() => confusionPicture({ classes: 0, counts: [] })).toThrow(ArgumentError);
    expect(() => confusionPicture({ classes: 2, counts: [1, 2, 3, 4] }, { names: ['a'] })).toThrow('expected 2 class names, found 1');
    expect(() => confusionPicture({ classes: 2, counts: [1, 2, 3, 4] }, { cell: 0 })).toThrow(ArgumentError);
    // Too large for one picture: the Raster's pixel limit (a typed error, not an allocation).
    expect(() => confusionPicture({ classes: 2000, counts: new Float64Array(2000 * 2000) }, { cell: 6 })).toThrow(ArgumentError);
  });
});
