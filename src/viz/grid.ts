// Image grids: rows of decoded digits with labels on the left ("original" over
// "reconstructed", noisy / denoised pairs, interpolation strips, VAE samples) and the
// n x n VAE manifold. Images are row-major in [0, 1]: grayscale (1 = white, MNIST) or RGB
// with a pixel's three channels adjacent (HWC, one NHWC sample).
import { ArgumentError, DataError, ShapeError } from '../errors.js';
import { BORDER, INK, WHITE } from './colors.js';
import { CAP_HEIGHT, drawText, textWidth } from './font.js';
import { Raster } from './raster.js';

export interface GridRow {
  /** Shown left of the row, e.g. "original", "reconstructed". */
  label?: string;
  /** `count` images back to back (NHWC: row-major per image, a pixel's channels adjacent); extra values are ignored. */
  images: ArrayLike<number>;
  count: number;
}

export interface GridOptions {
  /** Size of each image in pixels. Default 28 x 28. */
  width?: number;
  height?: number;
  /** 1 (grayscale, the default) or 3 (RGB). RGBA is refused: composite or drop alpha first. */
  channels?: number;
  /** Integer upscaling per image pixel (nearest neighbour). Default tileScale(width, height): 2 for 28 x 28. */
  scale?: number;
  /** Gap between cells in output pixels. Default 2. */
  pad?: number;
  /** Cells per line; longer rows wrap onto further lines. Default: the longest row's count. */
  cols?: number;
  /** Black digits on white instead of MNIST's white on black (for RGB: 1 - v per channel). */
  invert?: boolean;
  /** Centred above the grid. */
  title?: string;
}

const MARGIN = 16;

/**
 * The scale rule for image tiles: the largest integer scale that keeps a tile's longer side
 * within TILE_TARGET pixels, at least 1 and at most MAX_TILE_SCALE. So 28 x 28 digits and
 * 32 x 32 crops draw at 2 (56 and 64 px tiles, MNIST pictures as they always were), 16 x 16
 * at 4, 64 x 64 and anything larger at 1 (their own pixels, never shrunk). One scale for
 * both axes: non-square images keep their aspect ratio.
 */
export const TILE_TARGET = 64;
export const MAX_TILE_SCALE = 8;

export function tileScale(width: number, height: number): number {
  return Math.min(MAX_TILE_SCALE, Math.max(1, Math.floor(TILE_TARGET / Math.max(width, height))));
}

/** A line of cells stays within this many pixels (16 tiles of 64 + 2 px), unless one cell is wider. */
export const LINE_PIXELS = 1080;

/** How many cells of `cellWidth` (after scaling) and gaps of `pad` fit on a line, 1 .. `most`. */
export function cellsPerLine(cellWidth: number, pad: number, most: number): number {
  return Math.max(1, Math.min(most, Math.floor((LINE_PIXELS + pad) / (cellWidth + pad))));
}
const LABEL_GAP = 12;
const TITLE_GAP = 14;

function positiveInt(v: number, min: number, name: string): number {
  if (!Number.isInteger(v) || v < min) throw new ArgumentError(`imageGrid: expected ${name} to be an integer >= ${min}, found ${v}`);
  return v;
}

function channelCount(c: number): number {
  if (c === 1 || c === 3) return c;
  throw new ArgumentError(`imageGrid: expected channels 1 (grayscale) or 3 (RGB), found ${c}${c === 4 ? ' (RGBA: composite over a background or drop alpha first)' : ''}`);
}

function rowName(row: GridLayoutRow, i: number): string {
  return row.label ? `row ${i} ('${row.label}')` : `row ${i}`;
}

/** What the layout of a grid needs of a row: its label and how many images it has. */
export type GridLayoutRow = Pick<GridRow, 'label' | 'count'>;

interface GridLayout {
  width: number;
  height: number;
  w: number;
  h: number;
  c: number;
  s: number;
  pad: number;
  cols: number;
  cellW: number;
  cellH: number;
  ts: number;
  labelCol: number;
  linesOf: number[];
  groupGap: number;
  gridW: number;
  contentW: number;
  titleH: number;
  titleW: number;
}

/** The figure's size and geometry for `rows`, checked, without allocating a pixel. */
function layout(rows: readonly GridLayoutRow[], options: GridOptions): GridLayout {
  const w = positiveInt(options.width ?? 28, 1, 'width');
  const h = positiveInt(options.height ?? 28, 1, 'height');
  const c = channelCount(options.channels ?? 1);
  const s = positiveInt(options.scale ?? tileScale(w, h), 1, 'scale');
  const pad = positiveInt(options.pad ?? 2, 0, 'pad');
  if (rows.length === 0) throw new ArgumentError('imageGrid: expected at least one row, found none');
  rows.forEach((row, i) => positiveInt(row.count, 0, `${rowName(row, i)} count`));
  // Loops, not Math.max(...rows): a grid may have thousands of rows.
  const cols = positiveInt(options.cols ?? rows.reduce((m, r) => Math.max(m, r.count), 1), 1, 'cols');
  const cellW = w * s;
  const cellH = h * s;
  // Labels should read at the size of the digits but never dwarf small cells.
  const ts = cellH >= 24 ? 2 : 1;
  const labelW = rows.reduce((m, r) => Math.max(m, r.label ? textWidth(r.label, ts) : 0), 0);
  const labelCol = labelW > 0 ? labelW + LABEL_GAP : 0;
  const linesOf = rows.map((r) => Math.max(1, Math.ceil(r.count / cols)));
  // When rows wrap, a wider gap between rows keeps each row's lines visibly together.
  const groupGap = linesOf.some((n) => n > 1) ? Math.max(4 * pad, 10) : pad;
  const gridW = cols * cellW + (cols - 1) * pad;
  const gridH = linesOf.reduce((a, n) => a + n * cellH + (n - 1) * pad, 0) + (rows.length - 1) * groupGap;
  const titleH = options.title ? CAP_HEIGHT * 2 + TITLE_GAP : 0;
  const titleW = options.title ? textWidth(options.title, 2) + 1 : 0;
  const contentW = Math.max(labelCol + gridW, titleW);
  return {
    width: MARGIN * 2 + contentW,
    height: MARGIN * 2 + titleH + gridH,
    w, h, c, s, pad, cols, cellW, cellH, ts, labelCol, linesOf, groupGap, gridW, contentW, titleH, titleW,
  };
}

/** The width and height imageGrid would make for rows of these labels and counts. */
export function imageGridSize(rows: readonly GridLayoutRow[], options: GridOptions = {}): { width: number; height: number } {
  const { width, height } = layout(rows, options);
  return { width, height };
}

/** Lays rows of images out on a white figure with row labels; returns the raster. */
export function imageGrid(rows: readonly GridRow[], options: GridOptions = {}): Raster {
  const { w, h, c, s, pad, cols, cellW, cellH, ts, labelCol, linesOf, groupGap, gridW, contentW, titleH, titleW, width, height } = layout(rows, options);
  const per = w * h * c;
  const dims = c === 1 ? `${w} x ${h}` : `${w} x ${h} x ${c}`;
  rows.forEach((row, i) => {
    const need = row.count * per;
    if (row.images.length < need) {
      throw new ShapeError(`imageGrid: ${rowName(row, i)} expected ${row.count} images of ${dims} = ${need} values, found ${row.images.length}`);
    }
    for (let k = 0; k < need; k++) {
      if (!Number.isFinite(row.images[k])) {
        const pixel = Math.floor((k % per) / c);
        const channel = c === 1 ? '' : ` channel ${'RGB'[k % c]}`;
        throw new DataError(`imageGrid: ${rowName(row, i)} image ${Math.floor(k / per)} has a non-finite value (${row.images[k]}) at pixel ${pixel}${channel}`);
      }
    }
  });
  const r = new Raster(width, height, WHITE);

  const x0 = MARGIN + Math.floor((contentW - labelCol - gridW) / 2) + labelCol;
  if (options.title) {
    // Centred over the images (not the labels), shifted only as far as needed to fit.
    const cx = Math.min(Math.max(x0 + gridW / 2, MARGIN + titleW / 2), MARGIN + contentW - titleW / 2);
    drawText(r, options.title, cx, MARGIN, INK, { scale: 2, align: 'center', bold: true });
  }
  let y = MARGIN + titleH;
  rows.forEach((row, i) => {
    if (row.label) drawText(r, row.label, x0 - LABEL_GAP, y + cellH / 2, INK, { scale: ts, align: 'right', valign: 'middle' });
    for (let k = 0; k < row.count; k++) {
      const cx = x0 + (k % cols) * (cellW + pad);
      const cy = y + Math.floor(k / cols) * (cellH + pad);
      // White cells on a white figure need an outline to read as separate images.
      if (options.invert && pad > 0) r.strokeRect(cx - 1, cy - 1, cellW + 2, cellH + 2, BORDER);
      r.blit(row.images, w, h, c, cx, cy, s, options.invert ?? false, k * per);
    }
    y += linesOf[i]! * cellH + (linesOf[i]! - 1) * pad + groupGap;
  });
  return r;
}

/**
 * The VAE manifold: gridSize x gridSize decoded images in row-major order (row 0 at
 * the top), drawn edge to edge by default as in the Keras VAE example.
 */
export function manifoldGrid(images: ArrayLike<number>, gridSize: number, options: Omit<GridOptions, 'cols'> = {}): Raster {
  positiveInt(gridSize, 1, 'gridSize');
  return imageGrid([{ images, count: gridSize * gridSize }], { pad: 0, scale: 1, ...options, cols: gridSize });
}
