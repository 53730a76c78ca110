// A legend box: one row per entry, a swatch (a line with its marker, or a dot) and a name.
import { BORDER, INK, WHITE, type Rgb } from './colors.js';
import { CAP_HEIGHT, drawText, textWidth } from './font.js';
import type { Raster } from './raster.js';

export interface LegendEntry {
  label: string;
  color: Rgb;
  /** 'line' shows a short line with a marker (line plots); 'point' a dot (scatter). */
  kind: 'line' | 'point';
}

const PAD = 10;
const ROW = 24; // row pitch: 14 px capitals + room for descenders and air
const SWATCH = 26; // swatch width
const SWATCH_GAP = 8;

/** Rows per column so the legend fits in `maxHeight` px (all in one column when it is Infinity). */
function rowsPerColumn(count: number, scale: number, maxHeight: number): number {
  const fit = Math.floor((maxHeight - 2 * PAD - 4 + ROW - CAP_HEIGHT * scale) / ROW);
  return Math.max(1, Math.min(count, Number.isFinite(fit) ? fit : count));
}

function legendLayout(entries: readonly LegendEntry[], scale: number, maxHeight: number) {
  const rows = rowsPerColumn(entries.length, scale, maxHeight);
  const columns = Math.max(1, Math.ceil(entries.length / rows));
  const text = entries.reduce((m, e) => Math.max(m, textWidth(e.label, scale)), 0);
  const columnW = SWATCH + SWATCH_GAP + text;
  return {
    rows,
    columnW,
    width: 2 * PAD + columns * columnW + (columns - 1) * PAD,
    height: 2 * PAD + rows * ROW - (ROW - CAP_HEIGHT * scale) + 4,
  };
}

/**
 * The legend's size; entries that would not fit in `maxHeight` px wrap into further
 * columns (EMNIST's 62 classes next to a 600 px plot).
 */
export function legendSize(entries: readonly LegendEntry[], scale: number, maxHeight = Infinity): { width: number; height: number } {
  const { width, height } = legendLayout(entries, scale, maxHeight);
  return { width, height };
}

/** Draws the legend with its top-left corner at (x, y), over a white box that hides grid lines. */
export function drawLegend(r: Raster, entries: readonly LegendEntry[], x: number, y: number, scale: number, maxHeight = Infinity): void {
  const { width, height, rows, columnW } = legendLayout(entries, scale, maxHeight);
  r.fillRect(x, y, width, height, WHITE);
  r.strokeRect(x, y, width, height, BORDER);
  entries.forEach((e, i) => {
    const row = i % rows;
    const mid = y + PAD + 2 + row * ROW + (CAP_HEIGHT * scale) / 2;
    const sx = x + PAD + Math.floor(i / rows) * (columnW + PAD);
    if (e.kind === 'line') {
      r.line(sx, mid, sx + SWATCH, mid, e.color, 2);
      r.fillCircle(sx + SWATCH / 2, mid, 4, e.color);
    } else {
      r.fillCircle(sx + SWATCH / 2, mid, 5, e.color);
    }
    drawText(r, e.label, sx + SWATCH + SWATCH_GAP, mid, INK, { scale, valign: 'middle' });
  });
}
