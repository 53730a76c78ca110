// The pictures the commands write.

import { displayValues } from './display.js';
import type { Autoencoder } from '../models/autoencoder.js';
import type { EpochRecord } from '../train/trainer.js';
import { CAP_HEIGHT } from '../viz/font.js';
import { ArgumentError, ShapeError } from '../errors.js';
import {
  cellsPerLine,
  drawText,
  imageGrid,
  imageGridSize,
  linePlot,
  MAX_PICTURE_PIXELS,
  Raster,
  textWidth,
  tileScale,
  toPng,
  type GridLayoutRow,
  type GridOptions,
  type GridRow,
  type Rgb,
} from '../viz/index.js';
import { INK, MUTED, WHITE } from '../viz/colors.js';

/**
 * The first `count` test images over their reconstructions, as comparisonGrid draws them.
 * `size` defaults to imageSizeOf(model.inputShape); a model whose input is not an image
 * is a ShapeError (its reconstructions belong in a CSV or NPY file).
 */
export function reconstructionsPng(
  model: Autoencoder,
  test: { images: Float32Array; n: number; labels?: Uint8Array },
  count = 12,
  title?: string,
  size: ImageSize | null = imageSizeOf(model.inputShape),
): Uint8Array {
  if (size === null) {
    throw new ShapeError(`reconstructionsPng: the model's input shape [${model.inputShape.join(', ')}] is not an image ([H, W], [H, W, 1] or [H, W, 3]); write its reconstructions as .csv or .npy`);
  }
  const n = Math.min(count, test.n);
  const originals = test.images.subarray(0, n * model.inputSize);
  // A model that reads the label (a conditional VAE) reconstructs each image given its own.
  const recon = model.reconstruct(originals, model.readsLabels ? test.labels?.subarray(0, n) : undefined);
  const rows = [
    { label: 'original', images: displayValues(model, originals) },
    { label: 'reconstructed', images: displayValues(model, recon, originals) },
  ];
  return toPng(comparisonGrid(rows, n, size, title));
}

/** Train loss and test MSE per epoch (and val loss when present). */
export function lossPng(epochs: readonly EpochRecord[], title = 'training'): Uint8Array {
  const series = [
    { name: 'train loss', values: epochs.map((e) => e.loss) },
    { name: 'test MSE', values: epochs.map((e) => e.test_mse) },
  ];
  if (epochs.some((e) => e.val_loss !== undefined)) series.push({ name: 'val loss', values: epochs.map((e) => e.val_loss ?? NaN) });
  return toPng(linePlot({ title, xLabel: 'epoch', yLabel: 'loss', series }));
}

/**
 * Size of one image for the grids: the model's input [height, width, channels], channels
 * 1 (grayscale) or 3 (RGB, HWC). RGBA is refused (imageGrid's ArgumentError): the data
 * sources decode to 1 or 3 channels, and imageSizeOf sends any other shape to CSV / NPY.
 */
export interface ImageSize {
  height: number;
  width: number;
  channels: 1 | 3;
}

/**
 * The ImageSize of a sample `shape` that the grids can draw: [H, W] and [H, W, 1] are
 * grayscale, [H, W, 3] is RGB; anything else (a table's [features], [H, W, 4], 4-D
 * volumes) is null, and the commands write .csv or .npy instead of a PNG.
 */
export function imageSizeOf(shape: readonly number[]): ImageSize | null {
  const [height, width, channels = 1] = shape;
  if (shape.length < 2 || shape.length > 3 || !(channels === 1 || channels === 3)) return null;
  if (![height, width].every((d) => Number.isInteger(d) && d! >= 1)) return null;
  return { height: height!, width: width!, channels };
}

/**
 * Images per line before a grid wraps: wider figures stop fitting on a screen. At most
 * PER_LINE (16 MNIST digits at scale 2), fewer for large images (cellsPerLine: a line
 * stays within LINE_PIXELS, e.g. 4 images of 256 x 256), never fewer than 1.
 */
const PER_LINE = 16;

/** The grid options every picture of `size` shares: its pixels, channels and tile scale (tileScale). */
function tileOptions(size: ImageSize): GridOptions {
  return { height: size.height, width: size.width, channels: size.channels, scale: tileScale(size.width, size.height) };
}

/** Images of `size` per line, at most `most`. */
function perLine(size: ImageSize, most = PER_LINE): number {
  return cellsPerLine(size.width * tileScale(size.width, size.height), GRID_PAD, most);
}

/** imageGrid's default gap between cells. */
const GRID_PAD = 2;

/** A picture's size in pixels. */
export interface PictureSize {
  width: number;
  height: number;
}

/** The blocks of at most PER_LINE columns that a comparison grid of n images wraps into. */
function comparisonRows<R extends { label: string }>(rows: readonly R[], n: number, size: ImageSize, cell: (r: R, start: number, count: number) => GridLayoutRow): GridLayoutRow[] {
  const cols = Math.min(n, perLine(size));
  const grid: GridLayoutRow[] = [];
  for (let start = 0; start < n; start += cols) {
    const count = Math.min(cols, n - start);
    for (const r of rows) grid.push(cell(r, start, count));
  }
  return grid;
}

const comparisonOptions = (n: number, size: ImageSize, title?: string): GridOptions => ({ ...tileOptions(size), cols: Math.min(n, perLine(size)), title });

/**
 * Aligned rows of n images each ("original" over "reconstructed", or noisy / denoised /
 * clean): every block of PER_LINE columns repeats all the rows with their labels, so
 * image i of every row stays in one column however large n is.
 */
export function comparisonGrid(rows: readonly { label: string; images: Float32Array }[], n: number, size: ImageSize, title?: string): Raster {
  const per = size.height * size.width * size.channels;
  const grid = comparisonRows(rows, n, size, (r, start, count): GridRow => ({ label: r.label, images: r.images.subarray(start * per, (start + count) * per), count }));
  return imageGrid(grid as GridRow[], comparisonOptions(n, size, title));
}

/** The size comparisonGrid gives rows with these labels and n images each. */
export function comparisonGridSize(labels: readonly string[], n: number, size: ImageSize, title?: string): PictureSize {
  return imageGridSize(comparisonRows(labels.map((label) => ({ label })), n, size, (r, _, count) => ({ label: r.label, count })), comparisonOptions(n, size, title));
}

const tiledOptions = (n: number, size: ImageSize, title?: string): GridOptions => ({
  ...tileOptions(size),
  cols: Math.min(n, perLine(size, Math.min(PER_LINE, Math.max(1, Math.ceil(Math.sqrt(n)))))),
  title,
});

/** n images in a near-square block (VAE samples, decoded codes). */
export function tiledGrid(images: Float32Array, n: number, size: ImageSize, title?: string): Raster {
  return imageGrid([{ images, count: n }], tiledOptions(n, size, title));
}

/** The size tiledGrid gives n images. */
export function tiledGridSize(n: number, size: ImageSize, title?: string): PictureSize {
  return imageGridSize([{ count: n }], tiledOptions(n, size, title));
}

/** A manifold's images sit edge to edge; its rows stay within this many pixels while the scale allows. */
const MANIFOLD_PIXELS = 1000;

/**
 * The manifold's options for a side of s images: the tile scale (tileScale: 2 for 28 x 28)
 * lowered while a row of s images would pass MANIFOLD_PIXELS, down to 1:1 for big grids.
 */
export function manifoldOptions(s: number, size: ImageSize, title: string): Omit<GridOptions, 'cols'> {
  let scale = tileScale(size.width, size.height);
  while (scale > 1 && s * size.width * scale > MANIFOLD_PIXELS) scale--;
  return { ...tileOptions(size), scale, title };
}

/** The size of manifoldGrid for s x s images. */
export function manifoldSize(s: number, size: ImageSize, title: string): PictureSize {
  return imageGridSize([{ count: s * s }], { pad: 0, scale: 1, ...manifoldOptions(s, size, title), cols: s });
}

/**
 * Refuses, before any work, a picture over MAX_PICTURE_PIXELS: an ArgumentError naming
 * the count (`what`, such as "--n 5000"), the picture's size, how many would fit, and the
 * .safetensors output that has no such limit. `sizeOf(m)` is the picture for a count m;
 * pictures grow with the count, so the most that fit is found by bisection.
 */
export function checkPictureSize(sizeOf: (m: number) => PictureSize, n: number, what: string, safetensors = true): void {
  const pixels = (m: number): number => {
    const d = sizeOf(m);
    return d.width * d.height;
  };
  const total = pixels(n);
  if (total <= MAX_PICTURE_PIXELS) return;
  const { width, height } = sizeOf(n);
  let fits = 0;
  if (pixels(1) <= MAX_PICTURE_PIXELS) {
    let hi = n;
    fits = 1;
    while (hi - fits > 1) {
      const mid = Math.floor((fits + hi) / 2);
      if (pixels(mid) <= MAX_PICTURE_PIXELS) fits = mid;
      else hi = mid;
    }
  }
  throw new ArgumentError(
    `${what}: the picture would be ${width} x ${height} = ${total} pixels, over the limit of ${MAX_PICTURE_PIXELS} pixels per PNG ` +
      `(at most ${fits} fit); ask for fewer${safetensors ? ' or write .safetensors (float32 tensors, no size limit)' : ''}`,
  );
}

const STRIP_MARGIN = 16;
const STRIP_PAD = 2;
/** Extra space that sets the two originals apart from the decoded steps between them. */
const STRIP_GAP = 14;
const CAPTION_GAP = 6;

/**
 * An interpolation strip: `from` original, the decoded steps, `to` original, captioned
 * underneath ("#3 (7)" under an original: test index and label; "t=0.25" under a step).
 */
export function interpolationStrip(
  ends: { images: Float32Array; captions: [string, string] },
  steps: { images: Float32Array; t: readonly number[] },
  size: ImageSize,
  title: string,
): Raster {
  const per = size.height * size.width * size.channels;
  const k = steps.t.length;
  const { width, height, s, cw, ch, contentW, stripW, titleH } = stripLayout(k, size, title);
  const r = new Raster(width, height, WHITE);
  drawText(r, title, STRIP_MARGIN + contentW / 2, STRIP_MARGIN, INK, { scale: 2, align: 'center', bold: true });
  const y = STRIP_MARGIN + titleH;
  let x = STRIP_MARGIN + Math.floor((contentW - stripW) / 2);
  const cell = (src: Float32Array, index: number, caption: string, color: Rgb): void => {
    r.blit(src, size.width, size.height, size.channels, x, y, s, false, index * per);
    drawText(r, caption, x + cw / 2, y + ch + CAPTION_GAP, color, { align: 'center' });
    x += cw + STRIP_PAD;
  };
  cell(ends.images, 0, ends.captions[0], INK);
  x += STRIP_GAP;
  for (let i = 0; i < k; i++) cell(steps.images, i, `t=${steps.t[i]!.toFixed(2)}`, MUTED);
  x += STRIP_GAP;
  cell(ends.images, 1, ends.captions[1], INK);
  return r;
}

/** The strip's geometry for k steps between the two originals, tiles scaled by tileScale (one line: the strip never wraps). */
function stripLayout(k: number, size: ImageSize, title: string) {
  const s = tileScale(size.width, size.height);
  const cw = size.width * s;
  const ch = size.height * s;
  const stripW = (k + 2) * cw + (k + 1) * STRIP_PAD + 2 * STRIP_GAP;
  const contentW = Math.max(stripW, textWidth(title, 2));
  const titleH = CAP_HEIGHT * 2 + 14;
  const captionH = CAP_HEIGHT + CAPTION_GAP;
  return { width: 2 * STRIP_MARGIN + contentW, height: 2 * STRIP_MARGIN + titleH + ch + captionH, s, cw, ch, contentW, stripW, titleH };
}

/** The size of interpolationStrip for k steps. */
export function interpolationStripSize(k: number, size: ImageSize, title: string): PictureSize {
  const { width, height } = stripLayout(k, size, title);
  return { width, height };
}
