// An RGB pixel buffer with the few drawing primitives figures need, and PNG export.
// Coordinates are pixels with (0, 0) the top-left corner; pixel (x, y) covers the square
// [x, x+1) x [y, y+1), so its centre is (x + 0.5, y + 0.5). Everything clips silently:
// figures routinely draw markers that straddle an edge.
import { encode } from 'fast-png';
import { ArgumentError, ShapeError } from '../errors.js';
import { WHITE, type Rgb } from './colors.js';

/**
 * The most pixels a figure may have (2^24, as for PNG inputs: 4096 x 4096, 48 MiB of RGB).
 * Checked before the pixels are allocated, so no figure, and so no PNG written, is larger.
 */
export const MAX_PICTURE_PIXELS = 1 << 24;

/**
 * The colour blitGray and blitRgb draw for a NaN pixel: magenta, rare in photos and never
 * a grey level, so a broken output shows instead of passing for black.
 */
export const NAN_MARKER: Rgb = [255, 0, 255];

export class Raster {
  /** RGB, row-major, 3 bytes per pixel, no padding between rows. */
  readonly data: Uint8ClampedArray;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = WHITE,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new ArgumentError(`Raster: expected positive integer width and height, found ${width} x ${height}`);
    }
    if (width * height > MAX_PICTURE_PIXELS) {
      throw new ArgumentError(`Raster: ${width} x ${height} = ${width * height} pixels is over the limit of ${MAX_PICTURE_PIXELS} pixels per picture`);
    }
    this.data = new Uint8ClampedArray(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  getPixel(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.data[i]!, this.data[i + 1]!, this.data[i + 2]!];
  }

  setPixel(x: number, y: number, c: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.data[i] = c[0];
    this.data[i + 1] = c[1];
    this.data[i + 2] = c[2];
  }

  /** Mixes c over the pixel with weight alpha in [0, 1] (coverage for anti-aliasing). */
  blendPixel(x: number, y: number, c: Rgb, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || !(alpha > 0)) return;
    const a = Math.min(alpha, 1);
    const i = (y * this.width + x) * 3;
    const d = this.data;
    d[i] = d[i]! + (c[0] - d[i]!) * a;
    d[i + 1] = d[i + 1]! + (c[1] - d[i + 1]!) * a;
    d[i + 2] = d[i + 2]! + (c[2] - d[i + 2]!) * a;
  }

  /** Fills the integer rectangle [x, x+w) x [y, y+h); fractional inputs are rounded. */
  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const i = (yy * this.width + xx) * 3;
        this.data[i] = c[0];
        this.data[i + 1] = c[1];
        this.data[i + 2] = c[2];
      }
    }
  }

  /** A `lineWidth`-px outline drawn inside the rectangle [x, x+w) x [y, y+h). */
  strokeRect(x: number, y: number, w: number, h: number, c: Rgb, lineWidth = 1): void {
    this.fillRect(x, y, w, lineWidth, c);
    this.fillRect(x, y + h - lineWidth, w, lineWidth, c);
    this.fillRect(x, y, lineWidth, h, c);
    this.fillRect(x + w - lineWidth, y, lineWidth, h, c);
  }

  /**
   * An anti-aliased segment with round caps: a pixel's coverage is how far its centre
   * lies inside the capsule of radius width/2 around the segment, ramped over one pixel.
   * Axis-aligned chrome should use fillRect instead, which stays crisp.
   */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, width = 1): void {
    const r = width / 2;
    const dx = x1 - x0;
    const dy = y1 - y0;
    const len2 = dx * dx + dy * dy;
    const xa = Math.max(0, Math.floor(Math.min(x0, x1) - r - 1));
    const xb = Math.min(this.width - 1, Math.ceil(Math.max(x0, x1) + r + 1));
    const ya = Math.max(0, Math.floor(Math.min(y0, y1) - r - 1));
    const yb = Math.min(this.height - 1, Math.ceil(Math.max(y0, y1) + r + 1));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const px = x + 0.5 - x0;
        const py = y + 0.5 - y0;
        const t = len2 > 0 ? Math.max(0, Math.min(1, (px * dx + py * dy) / len2)) : 0;
        const ex = px - t * dx;
        const ey = py - t * dy;
        const coverage = r + 0.5 - Math.sqrt(ex * ex + ey * ey);
        if (coverage > 0) this.blendPixel(x, y, c, coverage);
      }
    }
  }

  /** Connects the points in order with line(); NaN coordinates break the path. */
  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, c: Rgb, width = 1): void {
    for (let i = 1; i < xs.length; i++) {
      const [ax, ay, bx, by] = [xs[i - 1]!, ys[i - 1]!, xs[i]!, ys[i]!];
      if ([ax, ay, bx, by].every(Number.isFinite)) this.line(ax, ay, bx, by, c, width);
    }
  }

  /** An anti-aliased filled disc centred at (cx, cy) in continuous coordinates. */
  fillCircle(cx: number, cy: number, radius: number, c: Rgb, alpha = 1): void {
    const xa = Math.max(0, Math.floor(cx - radius - 1));
    const xb = Math.min(this.width - 1, Math.ceil(cx + radius + 1));
    const ya = Math.max(0, Math.floor(cy - radius - 1));
    const yb = Math.min(this.height - 1, Math.ceil(cy + radius + 1));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const ex = x + 0.5 - cx;
        const ey = y + 0.5 - cy;
        const coverage = Math.min(1, radius + 0.5 - Math.sqrt(ex * ex + ey * ey));
        if (coverage > 0) this.blendPixel(x, y, c, coverage * alpha);
      }
    }
  }

  /**
   * Copies a grayscale image (row-major, `w * h` values starting at `offset`, 0 = black,
   * 1 = white, clamped) with its top-left at (x, y), each source pixel an s x s block
   * (nearest neighbour: enlarged digits should show their pixels, not a blur).
   * `invert` draws 1 as black, for dark-on-light figures. NaN draws as NAN_MARKER.
   */
  blitGray(src: ArrayLike<number>, w: number, h: number, x: number, y: number, s = 1, invert = false, offset = 0): void {
    this.blit(src, w, h, 1, x, y, s, invert, offset);
  }

  /**
   * As blitGray for an RGB image: `w * h * 3` values from `offset`, row-major with the
   * channels of a pixel adjacent (HWC, the layout of one NHWC sample), R then G then B,
   * each clamped to [0, 1]; `invert` takes 1 - v per channel (a photographic negative).
   * A pixel with NaN in any channel draws as NAN_MARKER; +-Infinity clamps like any value.
   */
  blitRgb(src: ArrayLike<number>, w: number, h: number, x: number, y: number, s = 1, invert = false, offset = 0): void {
    this.blit(src, w, h, 3, x, y, s, invert, offset);
  }

  /** blitGray (channels 1) or blitRgb (channels 3). */
  blit(src: ArrayLike<number>, w: number, h: number, channels: number, x: number, y: number, s = 1, invert = false, offset = 0): void {
    const name = channels === 1 ? 'blitGray' : 'blitRgb';
    if (channels !== 1 && channels !== 3) throw new ArgumentError(`blit: expected 1 (grey) or 3 (RGB) channels, found ${channels}`);
    if (!Number.isInteger(s) || s < 1) throw new ArgumentError(`${name}: expected an integer scale >= 1, found ${s}`);
    const count = w * h * channels;
    if (src.length < offset + count) {
      const what = channels === 1 ? `${w} x ${h}` : `${w} x ${h} x ${channels}`;
      throw new ShapeError(`${name}: expected ${count} values (${what}) at offset ${offset}, found ${src.length - offset}`);
    }
    const level = (v: number): number => Math.round((invert ? 1 - Math.min(1, Math.max(0, v)) : Math.min(1, Math.max(0, v))) * 255);
    for (let sy = 0; sy < h; sy++) {
      for (let sx = 0; sx < w; sx++) {
        const i = offset + (sy * w + sx) * channels;
        let c: Rgb;
        if (channels === 1) {
          const g = level(src[i]!);
          c = Number.isNaN(g) ? NAN_MARKER : [g, g, g];
        } else {
          const [r, g, b] = [level(src[i]!), level(src[i + 1]!), level(src[i + 2]!)];
          c = Number.isNaN(r) || Number.isNaN(g) || Number.isNaN(b) ? NAN_MARKER : [r, g, b];
        }
        this.fillRect(x + sx * s, y + sy * s, s, s, c);
      }
    }
  }
}

/** Encodes the raster as an 8-bit RGB PNG (fast-png, pure JS: works in the browser too). */
export function toPng(raster: Raster): Uint8Array {
  return encode({ width: raster.width, height: raster.height, data: raster.data, channels: 3, depth: 8 });
}
