// Image grids: layout sizes, pixel placement, wrapping, inversion and input checks.
import { describe, expect, it } from 'vitest';
import { ArgumentError, DataError, ShapeError } from '../../src/errors.js';
import { textWidth } from '../../src/viz/font.js';
import { cellsPerLine, imageGrid, imageGridSize, manifoldGrid, tileScale } from '../../src/viz/grid.js';
import { decodePng } from '../../src/viz/decode-png.js';
import { toPng } from '../../src/viz/raster.js';
import { batch, mnistLike } from './synthetic.js';

const MARGIN = 16; // grid.ts
const LABEL_GAP = 12;

const digits = (n: number): Float32Array => batch(Array.from({ length: n }, (_, k) => mnistLike(k % 10, k)));

describe('imageGrid', () => {
  it('sizes the figure from rows, cells, gaps and the widest label', () => {
    const r = imageGrid([
      { label: 'original', images: digits(10), count: 10 },
      { label: 'reconstructed', images: digits(10), count: 10 },
      { label: 'noisy', images: digits(10), count: 10 },
    ]);
    expect(r.width).toBe(2 * MARGIN + textWidth('reconstructed', 2) + LABEL_GAP + 10 * 56 + 9 * 2);
    expect(r.height).toBe(2 * MARGIN + 3 * 56 + 2 * 2);
  });

  it('puts each image pixel where its cell is, upscaled, white ink on black', () => {
    const im = new Float32Array(4 * 3);
    im[1 * 4 + 2] = 1; // pixel (2, 1) of the second image
    const images = new Float32Array(2 * 12);
    images.set(im, 12);
    const r = imageGrid([{ images, count: 2 }], { width: 4, height: 3, scale: 3, pad: 5 });
    expect([r.width, r.height]).toEqual([2 * MARGIN + 2 * 12 + 5, 2 * MARGIN + 9]);
    const cx = MARGIN + 12 + 5; // second cell, no labels
    expect(r.getPixel(cx + 2 * 3, MARGIN + 3)).toEqual([255, 255, 255]);
    expect(r.getPixel(cx + 2 * 3 + 2, MARGIN + 5)).toEqual([255, 255, 255]);
    expect(r.getPixel(cx + 1 * 3, MARGIN + 3)).toEqual([0, 0, 0]);
    expect(r.getPixel(MARGIN + 12 + 2, MARGIN)).toEqual([255, 255, 255]); // the gap
    const inv = imageGrid([{ images, count: 2 }], { width: 4, height: 3, scale: 3, pad: 5, invert: true });
    expect(inv.getPixel(cx + 2 * 3, MARGIN + 3)).toEqual([0, 0, 0]);
    expect(inv.getPixel(cx + 3, MARGIN + 3)).toEqual([255, 255, 255]);
  });

  it('wraps long rows onto lines of `cols` cells, keeping rows apart', () => {
    const r = imageGrid([{ label: 'a', images: digits(24), count: 24 }, { label: 'b', images: digits(3), count: 3 }], { cols: 8, scale: 1 });
    const groupGap = 10; // max(4 * pad, 10)
    expect(r.height).toBe(2 * MARGIN + 3 * 28 + 2 * 2 + groupGap + 28);
    expect(r.width).toBe(2 * MARGIN + textWidth('a', 2) + LABEL_GAP + 8 * 28 + 7 * 2);
  });

  it('lays out the VAE manifold n x n, edge to edge', () => {
    const r = manifoldGrid(digits(25), 5);
    expect([r.width, r.height]).toEqual([2 * MARGIN + 5 * 28, 2 * MARGIN + 5 * 28]);
    const big = manifoldGrid(digits(4), 2, { scale: 2, pad: 1, title: 'z' });
    expect(big.width).toBe(2 * MARGIN + 2 * 56 + 1);
  });

  it('names the row and image in errors', () => {
    expect(() => imageGrid([{ label: 'recon', images: new Float32Array(783), count: 1 }])).toThrow(/row 0 \('recon'\).*784 values, found 783/);
    expect(() => imageGrid([{ images: new Float32Array(784), count: 1 }], { scale: 0 })).toThrow(ArgumentError);
    expect(() => imageGrid([])).toThrow(ArgumentError);
    expect(() => imageGrid([{ images: new Float32Array(10), count: 1 }])).toThrow(ShapeError);
    const bad = digits(3);
    bad[784 * 2 + 5] = NaN;
    expect(() => imageGrid([{ images: digits(1), count: 1 }, { label: 'x', images: bad, count: 3 }])).toThrow(DataError);
    expect(() => imageGrid([{ images: digits(1), count: 1 }, { label: 'x', images: bad, count: 3 }])).toThrow(/row 1 \('x'\) image 2/);
  });

  it('draws RGB cells from HWC values, R then G then B, decoded back from the PNG', () => {
    // Two 2 x 2 RGB images, every channel of every pixel a different 8-bit level.
    const images = Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => (i * 10 + 5) / 255);
    const png = decodePng(toPng(imageGrid([{ label: 'rgb', images, count: 2 }], { width: 2, height: 2, channels: 3, scale: 5, pad: 3 })));
    expect(png.channels).toBe(3);
    const x0 = MARGIN + textWidth('rgb', 1) + LABEL_GAP; // cells of 10 px: label scale 1
    const at = (x: number, y: number): number[] => Array.from(png.data.subarray((y * png.width + x) * 3, (y * png.width + x) * 3 + 3));
    for (let k = 0; k < 2; k++) {
      for (let p = 0; p < 4; p++) {
        const want = [0, 1, 2].map((c) => (k * 12 + p * 3 + c) * 10 + 5);
        const x = x0 + k * (10 + 3) + (p % 2) * 5;
        const y = MARGIN + Math.floor(p / 2) * 5;
        expect(at(x, y)).toEqual(want);
        expect(at(x + 4, y + 4)).toEqual(want);
      }
    }
  });

  it('scales by the image size by default, keeping 28 x 28 at 2', () => {
    expect(imageGridSize([{ count: 1 }])).toEqual({ width: 2 * MARGIN + 56, height: 2 * MARGIN + 56 });
    expect(imageGridSize([{ count: 1 }], { width: 64, height: 32, channels: 3 })).toEqual({ width: 2 * MARGIN + 64, height: 2 * MARGIN + 32 });
    expect(imageGridSize([{ count: 1 }], { width: 8, height: 4 })).toEqual({ width: 2 * MARGIN + 64, height: 2 * MARGIN + 32 });
    expect([tileScale(28, 28), tileScale(32, 32), tileScale(64, 64), tileScale(256, 256), tileScale(1, 1), tileScale(100, 16)]).toEqual([2, 2, 1, 1, 8, 1]);
    expect([cellsPerLine(56, 2, 16), cellsPerLine(64, 2, 16), cellsPerLine(256, 2, 16), cellsPerLine(5000, 2, 16), cellsPerLine(10, 2, 3)]).toEqual([16, 16, 4, 1, 3]);
  });

  it('refuses RGBA and names the pixel and channel of a non-finite RGB value', () => {
    expect(() => imageGrid([{ images: new Float32Array(16), count: 1 }], { width: 2, height: 2, channels: 4 })).toThrow(ArgumentError);
    expect(() => imageGridSize([{ count: 1 }], { channels: 4 })).toThrow(/channels 1 \(grayscale\) or 3 \(RGB\), found 4 \(RGBA/);
    expect(() => imageGrid([{ images: new Float32Array(11), count: 1 }], { width: 2, height: 2, channels: 3 })).toThrow(/1 images of 2 x 2 x 3 = 12 values, found 11/);
    const bad = new Float32Array(2 * 12);
    bad[12 + 3 * 3 + 1] = Infinity; // image 1, pixel 3, G
    expect(() => imageGrid([{ images: bad, count: 2 }], { width: 2, height: 2, channels: 3 })).toThrow(DataError);
    expect(() => imageGrid([{ images: bad, count: 2 }], { width: 2, height: 2, channels: 3 })).toThrow(/image 1 has a non-finite value \(Infinity\) at pixel 3 channel G/);
  });
});
