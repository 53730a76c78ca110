// The confusion-matrix picture: a classes x classes grid, rows the true class (top to
// bottom), columns the predicted class (left to right), each cell shaded by its share of
// its row (white 0 -> blue 1, so a class's errors read along its row whatever its size)
// and labelled with its count where the count fits. Class names label the rows on the
// left and the columns on top (turned upward when a name is wider than a cell).
// Structural input: any { classes, counts } (train/metrics' ConfusionMatrix is one).
import { ArgumentError, ShapeError } from '../errors.js';
import { BORDER, INK, MUTED, TAB10, WHITE, type Rgb } from './colors.js';
import { CAP_HEIGHT, drawText, textWidth } from './font.js';
import { Raster, toPng } from './raster.js';

export interface ConfusionInput {
  readonly classes: number;
  /** counts[t * classes + p]: samples of true class t predicted as p. */
  readonly counts: ArrayLike<number>;
}

export interface ConfusionPictureOptions {
  /** One name per class (default "0", "1", ...). */
  names?: readonly string[];
  /** Centred above the grid, e.g. "test accuracy 0.973". */
  title?: string;
  /** Cell side in pixels. Default: 720 / classes, within [6, 48]. */
  cell?: number;
}

/** Where things are: cell (t, p) covers [left + p cell, +cell) x [top + t cell, +cell). */
export interface ConfusionLayout {
  width: number;
  height: number;
  cell: number;
  left: number;
  top: number;
  /** Text scale of the class names and counts. */
  scale: number;
  /** Column names drawn upward (some name is wider than a cell). */
  rotated: boolean;
}

const MARGIN = 16;
const GAP = 8;
const TITLE_SCALE = 2;
const FULL: Rgb = TAB10[0]!;

function names(input: ConfusionInput, options: ConfusionPictureOptions): string[] {
  const k = input.classes;
  if (options.names === undefined) return Array.from({ length: k }, (_, i) => String(i));
  if (options.names.length !== k) throw new ShapeError(`confusion picture: expected ${k} class names, found ${options.names.length}`);
  return [...options.names];
}

function check(input: ConfusionInput): void {
  const k = input.classes;
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError(`confusion picture: expected a positive integer number of classes, found ${k}`);
  if (input.counts.length !== k * k) throw new ShapeError(`confusion picture: expected ${k} x ${k} = ${k * k} counts, found ${input.counts.length}`);
  for (let i = 0; i < k * k; i++) {
    const c = input.counts[i]!;
    if (!(Number.isFinite(c) && c >= 0)) throw new ArgumentError(`confusion picture: count at true ${Math.floor(i / k)}, predicted ${i % k} is ${c}, expected a finite count >= 0`);
  }
}

/** The picture's geometry (validates the input and the options). */
export function confusionLayout(input: ConfusionInput, options: ConfusionPictureOptions = {}): ConfusionLayout {
  check(input);
  const k = input.classes;
  const cell = options.cell ?? Math.min(48, Math.max(6, Math.floor(720 / k)));
  if (!Number.isInteger(cell) || cell < 1) throw new ArgumentError(`confusion picture: expected a positive integer cell size, found ${cell}`);
  const labels = names(input, options);
  const scale = cell >= 28 ? 2 : 1;
  const widest = Math.max(...labels.map((n) => textWidth(n, scale)));
  const rotated = widest > cell - 2;
  const titleH = options.title ? CAP_HEIGHT * TITLE_SCALE + GAP : 0;
  const axisH = CAP_HEIGHT * scale + GAP; // "predicted" over the column names
  const colNamesH = rotated ? widest : CAP_HEIGHT * scale;
  const left = MARGIN + CAP_HEIGHT * scale + GAP + widest + GAP; // "true", turned, then the row names
  const top = MARGIN + titleH + axisH + colNamesH + GAP;
  const titleW = options.title ? textWidth(options.title, TITLE_SCALE) + 2 * MARGIN : 0;
  return { width: Math.max(left + k * cell + MARGIN, titleW), height: top + k * cell + MARGIN, cell, left, top, scale, rotated };
}

/** The confusion matrix as a Raster (see the file comment). */
export function confusionPicture(input: ConfusionInput, options: ConfusionPictureOptions = {}): Raster {
  const L = confusionLayout(input, options);
  const k = input.classes;
  const labels = names(input, options);
  const r = new Raster(L.width, L.height, WHITE);
  const gridW = k * L.cell;
  if (options.title) drawText(r, options.title, L.width / 2, MARGIN, INK, { scale: TITLE_SCALE, align: 'center', bold: true });
  drawText(r, 'predicted', L.left + gridW / 2, MARGIN + (options.title ? CAP_HEIGHT * TITLE_SCALE + GAP : 0), MUTED, { scale: L.scale, align: 'center' });
  drawText(r, 'true', MARGIN, L.top + gridW / 2, MUTED, { scale: L.scale, rotate: true, align: 'center' });
  for (let t = 0; t < k; t++) {
    let row = 0;
    for (let p = 0; p < k; p++) row += input.counts[t * k + p]!;
    const y = L.top + t * L.cell;
    drawText(r, labels[t]!, L.left - GAP, y + L.cell / 2, INK, { scale: L.scale, align: 'right', valign: 'middle' });
    for (let p = 0; p < k; p++) {
      const c = input.counts[t * k + p]!;
      const f = row > 0 ? c / row : 0;
      const x = L.left + p * L.cell;
      r.fillRect(x, y, L.cell, L.cell, mix(f));
      const text = String(c);
      if (c > 0 && textWidth(text, L.scale) <= L.cell - 4 && CAP_HEIGHT * L.scale <= L.cell - 4) {
        drawText(r, text, x + L.cell / 2, y + L.cell / 2, f > 0.5 ? WHITE : INK, { scale: L.scale, align: 'center', valign: 'middle' });
      }
    }
  }
  for (let p = 0; p < k; p++) {
    const x = L.left + p * L.cell + L.cell / 2;
    if (L.rotated) drawText(r, labels[p]!, x - (CAP_HEIGHT * L.scale) / 2, L.top - GAP, INK, { scale: L.scale, rotate: true });
    else drawText(r, labels[p]!, x, L.top - GAP, INK, { scale: L.scale, align: 'center', valign: 'baseline' });
  }
  r.strokeRect(L.left - 1, L.top - 1, gridW + 2, gridW + 2, BORDER);
  return r;
}

/** confusionPicture encoded as PNG bytes. */
export function confusionPng(input: ConfusionInput, options: ConfusionPictureOptions = {}): Uint8Array {
  return toPng(confusionPicture(input, options));
}

/** White at 0, FULL at 1. */
function mix(f: number): Rgb {
  return [0, 1, 2].map((i) => Math.round(255 + (FULL[i]! - 255) * f)) as unknown as Rgb;
}
