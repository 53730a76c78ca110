// Any picture of a digit -> the 28 x 28 input a model trained on MNIST expects, made the
// way MNIST itself was made (LeCun et al.): white ink on black, the ink's bounding box
// scaled so its longest side is 20 px with anti-aliasing, then placed in a 28 x 28
// field with its centre of mass at the centre. A digit prepared differently (say,
// stretched to fill 28 x 28) is out of distribution and reconstructs badly.
import { ArgumentError, DataError, ShapeError } from '../errors.js';
import type { PixelImage } from './decode-png.js';

export { decodePng, type DecodedImage, type PixelImage } from './decode-png.js';

export const MNIST_SIDE = 28;
/** MNIST's digits fit a 20 x 20 box; the 4 px border keeps convolutions away from the edge. */
export const MNIST_BOX = 20;
/**
 * Where the centre of mass lands, in pixel-index coordinates (sum of v * index / sum of v),
 * the convention under which real MNIST digits average (14, 14).
 */
export const MNIST_CENTRE = 14;

export interface PreprocessOptions {
  /**
   * Make the ink white on black. 'auto' (default) inverts when the image's border is
   * light, i.e. a dark digit on paper or a light canvas.
   */
  invert?: boolean | 'auto';
  /** Ink weaker than this fraction of the strongest ink is noise: zeroed, and ignored for cropping. Default 0.1. */
  threshold?: number;
}

/** Below this contrast between ink and background (0..1) there is no digit to find. */
const MIN_CONTRAST = 0.08;

/** Converts an image of one digit to a Float32Array(784) in [0, 1], row-major, ink = 1. */
export function toMnistInput(image: PixelImage, options: PreprocessOptions = {}): Float32Array {
  const threshold = options.threshold ?? 0.1;
  if (!(threshold >= 0 && threshold < 1)) throw new ArgumentError(`toMnistInput: expected threshold in [0, 1), found ${threshold}`);
  const { width, height } = image;
  const gray = toGray(image);

  const border = borderMedian(gray, width, height);
  const invert = options.invert === undefined || options.invert === 'auto' ? border > 0.5 : options.invert;
  // Ink is contrast against the background, so gray paper and dim scans count as 0.
  const background = invert ? 1 - border : border;
  const ink = new Float32Array(gray.length);
  let peak = 0;
  for (let i = 0; i < gray.length; i++) {
    const v = Math.max(0, (invert ? 1 - gray[i]! : gray[i]!) - background);
    ink[i] = v;
    if (v > peak) peak = v;
  }
  if (peak < MIN_CONTRAST) {
    throw new DataError(
      `toMnistInput: the ${width} x ${height} image is blank: no ink stands out from the background ` +
        `(strongest contrast ${peak.toFixed(3)}, need ${MIN_CONTRAST})`,
    );
  }
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const v = ink[i]! / peak;
      ink[i] = v < threshold ? 0 : v;
      if (v >= threshold) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }

  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const k = MNIST_BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.min(MNIST_BOX, Math.round(bw * k)));
  const th = Math.max(1, Math.min(MNIST_BOX, Math.round(bh * k)));
  const box = resample(ink, width, x0, y0, bw, bh, tw, th);

  // Thin strokes lose brightness when averaged down; MNIST strokes peak at full white.
  let boxPeak = 0;
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = box[y * tw + x]!;
      boxPeak = Math.max(boxPeak, v);
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const ox = clamp(Math.round(MNIST_CENTRE - mx / mass), 0, MNIST_SIDE - tw);
  const oy = clamp(Math.round(MNIST_CENTRE - my / mass), 0, MNIST_SIDE - th);
  const out = new Float32Array(MNIST_SIDE * MNIST_SIDE);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) out[(y + oy) * MNIST_SIDE + x + ox] = Math.min(1, box[y * tw + x]! / boxPeak);
  }
  return out;
}

/** Rec. 601 luminance (PIL's 'L') of one RGB pixel, in the units of its samples. */
export function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/**
 * Luminance in [0, 1] (Rec. 601 weights, as PIL's 'L'). Alpha is composited over a
 * background chosen to contrast with the opaque pixels: a drawing on a transparent
 * canvas means "transparent = background" whatever the stroke colour, so dark strokes
 * go over white and light strokes over black, and the border test then decides the
 * inversion as for any opaque picture.
 */
function toGray(image: PixelImage): Float32Array {
  const { width, height, data } = image;
  const { n, channels, max } = checkPixels(image, 'toMnistInput');
  const hasAlpha = channels === 2 || channels === 4;
  const lum = new Float32Array(n);
  const alpha = new Float32Array(n).fill(1);
  for (let p = 0; p < n; p++) {
    const i = p * channels;
    lum[p] = (channels < 3 ? data[i]! : luma(data[i]!, data[i + 1]!, data[i + 2]!)) / max;
    if (hasAlpha) alpha[p] = data[i + channels - 1]! / max;
  }
  if (!hasAlpha) return lum;
  let weight = 0, sum = 0;
  for (let p = 0; p < n; p++) {
    weight += alpha[p]!;
    sum += alpha[p]! * lum[p]!;
  }
  if (weight === 0) throw new DataError(`toMnistInput: the ${width} x ${height} image is blank: every pixel is fully transparent`);
  const behind = sum / weight < 0.5 ? 1 : 0;
  for (let p = 0; p < n; p++) lum[p] = lum[p]! * alpha[p]! + behind * (1 - alpha[p]!);
  return lum;
}

/** A picture's pixel count, interleaved channels (1 to 4) and full-scale sample value, checked; `what` names the caller in errors. */
export function checkPixels(image: PixelImage, what: string): { n: number; channels: number; max: number } {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ShapeError(`${what}: expected positive integer width and height, found ${width} x ${height}`);
  }
  const n = width * height;
  const channels = image.channels ?? data.length / n;
  if (![1, 2, 3, 4].includes(channels)) {
    throw new ShapeError(`${what}: expected 1, 2, 3 or 4 channels, found ${image.channels ?? `${data.length} values for ${n} pixels`}`);
  }
  if (data.length !== n * channels) {
    throw new ShapeError(`${what}: expected ${n * channels} values (${width} x ${height} x ${channels}), found ${data.length}`);
  }
  const depth = image.depth ?? (data instanceof Uint16Array ? 16 : 8);
  if (depth !== 8 && depth !== 16) {
    throw new ArgumentError(`${what}: expected 8- or 16-bit samples, found depth ${depth}; decode PNG files with decodePng, which expands palettes and 1/2/4-bit samples`);
  }
  return { n, channels, max: depth === 16 ? 65535 : 255 };
}

/**
 * Median of the outermost ring of pixels. The border is background almost everywhere
 * even when the digit is large, whereas a whole-image median tips over for bold digits.
 */
function borderMedian(gray: Float32Array, width: number, height: number): number {
  const ring: number[] = [];
  for (let x = 0; x < width; x++) ring.push(gray[x]!, gray[(height - 1) * width + x]!);
  for (let y = 1; y < height - 1; y++) ring.push(gray[y * width]!, gray[y * width + width - 1]!);
  ring.sort((a, b) => a - b);
  return ring[Math.floor(ring.length / 2)]!;
}

/**
 * Resamples the bw x bh window at (x0, y0) of `src` (row stride `stride`) to tw x th.
 * Shrinking averages over each output pixel's footprint (area averaging: anti-aliased
 * like MNIST's own downsampling); enlarging a tiny drawing interpolates linearly.
 * Separable, so one pass per axis.
 */
export function resample(src: Float32Array, stride: number, x0: number, y0: number, bw: number, bh: number, tw: number, th: number): Float32Array {
  const wx = weights(bw, tw);
  const wy = weights(bh, th);
  const mid = new Float32Array(bh * tw);
  for (let y = 0; y < bh; y++) {
    const row = (y0 + y) * stride + x0;
    for (let j = 0; j < tw; j++) {
      let acc = 0;
      for (const [i, w] of wx[j]!) acc += w * src[row + i]!;
      mid[y * tw + j] = acc;
    }
  }
  const out = new Float32Array(th * tw);
  for (let j = 0; j < th; j++) {
    for (let x = 0; x < tw; x++) {
      let acc = 0;
      for (const [i, w] of wy[j]!) acc += w * mid[i * tw + x]!;
      out[j * tw + x] = acc;
    }
  }
  return out;
}

/** For each of m outputs, the (source index, weight) pairs that make it from n inputs. */
function weights(n: number, m: number): [number, number][][] {
  const out: [number, number][][] = [];
  const step = n / m;
  for (let j = 0; j < m; j++) {
    const taps: [number, number][] = [];
    if (m <= n) {
      const a = j * step;
      const b = (j + 1) * step;
      for (let i = Math.floor(a); i < Math.min(n, Math.ceil(b)); i++) {
        const overlap = Math.min(b, i + 1) - Math.max(a, i);
        if (overlap > 0) taps.push([i, overlap / step]);
      }
    } else {
      const pos = Math.min(n - 1, Math.max(0, (j + 0.5) * step - 0.5));
      const i = Math.floor(pos);
      const f = pos - i;
      taps.push([i, 1 - f]);
      if (f > 0 && i + 1 < n) taps.push([i + 1, f]);
    }
    out.push(taps);
  }
  return out;
}
