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

export function legendSize(entries: readonly LegendEntry[], scale: number): { width: number; height: number } {
  const text = Math.max(0, ...entries.map((e) => textWidth(e.label, scale)));
  return { width: 2 * PAD + SWATCH + SWATCH_GAP + text, height: 2 * PAD + entries.length * ROW - (ROW - CAP_HEIGHT * scale) + 4 };
}

/** Draws the legend with its top-left corner at (x, y), over a white box that hides grid lines. */
export function drawLegend(r: Raster, entries: readonly LegendEntry[], x: number, y: number, scale: number): void {
  const { width, height } = legendSize(entries, scale);
  r.fillRect(x, y, width, height, WHITE);
  r.strokeRect(x, y, width, height, BORDER);
  entries.forEach((e, i) => {
    const mid = y + PAD + 2 + i * ROW + (CAP_HEIGHT * scale) / 2;
    const sx = x + PAD;
    if (e.kind === 'line') {
      r.line(sx, mid, sx + SWATCH, mid, e.color, 2);
      r.fillCircle(sx + SWATCH / 2, mid, 4, e.color);
    } else {
      r.fillCircle(sx + SWATCH / 2, mid, 5, e.color);
    }
    drawText(r, e.label, sx + SWATCH + SWATCH_GAP, mid, INK, { scale, valign: 'middle' });
  });
}
