// Plot chrome shared by every chart: margins, title, axis labels, grid lines, ticks and
// tick labels, and the mapping from data to pixels. Charts compute their axes, call
// drawAxes, then draw data into the returned plot area.
import { AXIS, GRID, INK, MUTED } from './colors.js';
import { CAP_HEIGHT, GLYPH_ROWS, drawText, textWidth } from './font.js';
import type { Raster } from './raster.js';
import { formatTicks, linearTicks, logTicks } from './ticks.js';

/** Text magnification for all chart text: 10 x 14 px capitals, legible at 100% zoom. */
export const TEXT_SCALE = 2;
const MARGIN = 20;
const TICK_LENGTH = 5;
const TICK_GAP = 6; // tick mark to tick label
const LABEL_GAP = 12; // tick labels to axis label
const TITLE_GAP = 18; // title to plot area
const CAP = CAP_HEIGHT * TEXT_SCALE;
const LINE = GLYPH_ROWS * TEXT_SCALE; // a text line with descenders

export interface Axis {
  lo: number;
  hi: number;
  log: boolean;
  ticks: number[];
  labels: string[];
}

/**
 * The data range widened by `fraction` of its span on each side (in log space for a
 * log axis), as matplotlib does, so markers never sit on the frame. A single value gets
 * a span of its own.
 */
export function paddedRange(min: number, max: number, log: boolean, fraction = 0.05, flatHalfSpan?: number): [number, number] {
  if (log) {
    const [a, b] = paddedRange(Math.log10(min), Math.log10(max), false, fraction, 0.15);
    // Padding past 1e-308 or 1e308 underflows to 0 or overflows: stay on representable values.
    return [Math.max(10 ** a, Number.MIN_VALUE), Math.min(10 ** b, Number.MAX_VALUE)];
  }
  if (!(max > min)) {
    const half = flatHalfSpan ?? (min === 0 ? 1 : Math.abs(min) * 0.1);
    return [clampFinite(min - half), clampFinite(max + half)];
  }
  // max * f - min * f, not (max - min) * f: the span of +-1e308 is not a double.
  const pad = max * fraction - min * fraction;
  return [clampFinite(min - pad), clampFinite(max + pad)];
}

function clampFinite(v: number): number {
  return Math.min(Number.MAX_VALUE, Math.max(-Number.MAX_VALUE, v));
}

/** An axis over [lo, hi] with about `target` ticks; `minStep` 1 keeps ticks on integers. */
export function makeAxis(lo: number, hi: number, log: boolean, target: number, minStep = 0): Axis {
  const ticks = log ? logTicks(lo, hi, target) : linearTicks(lo, hi, target, minStep);
  return { lo, hi, log, ticks, labels: formatTicks(ticks, log) };
}

export interface PlotArea {
  left: number;
  top: number;
  width: number;
  height: number;
  /** Data to pixel coordinates (continuous; pixel centres are at +0.5). */
  x(v: number): number;
  y(v: number): number;
}

export interface AxesOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  x: Axis;
  y: Axis;
  /** Pixels kept free right of the plot area (an outside legend). */
  rightReserve?: number;
}

function scaleOf(axis: Axis, from: number, length: number, flip: boolean): (v: number) => number {
  // Halved so that an axis from -1.8e308 to 1.8e308 has a finite span.
  const f = axis.log ? (v: number) => Math.log10(v) / 2 : (v: number) => v / 2;
  const a = f(axis.lo);
  const span = f(axis.hi) - a;
  return (v) => {
    const t = (f(v) - a) / span;
    return from + (flip ? 1 - t : t) * length;
  };
}

/** Lays out and draws the chart chrome; returns where the data goes. */
export function drawAxes(r: Raster, o: AxesOptions): PlotArea {
  const s = TEXT_SCALE;
  const yLabelWidth = o.y.labels.reduce((w, l) => Math.max(w, textWidth(l, s)), 0);
  const lastX = o.x.labels.at(-1);
  const top = MARGIN + (o.title ? CAP + TITLE_GAP : CAP / 2);
  const firstX = o.x.labels[0];
  // The first x tick label is centred on the left edge at worst; keep it inside the margin.
  const left = Math.max(
    MARGIN + (o.yLabel ? LINE + LABEL_GAP : 0) + yLabelWidth + TICK_GAP + TICK_LENGTH,
    MARGIN + (firstX ? Math.ceil(textWidth(firstX, s) / 2) : 0),
  );
  const bottom = MARGIN + (o.xLabel ? LINE + LABEL_GAP : 0) + CAP + TICK_GAP + TICK_LENGTH;
  // The last x tick label is centred on its tick and may overhang the plot area.
  const right = MARGIN + Math.max(lastX ? textWidth(lastX, s) / 2 : 0, 4) + (o.rightReserve ?? 0);
  const width = Math.max(10, r.width - left - right);
  const height = Math.max(10, r.height - top - bottom);
  const area: PlotArea = {
    left, top, width, height,
    x: scaleOf(o.x, left, width, false),
    y: scaleOf(o.y, top, height, true),
  };

  // Grid lines first, so the spines and data draw over them.
  for (const t of o.x.ticks) r.fillRect(Math.floor(area.x(t)), top, 1, height, GRID);
  for (const t of o.y.ticks) r.fillRect(left, Math.floor(area.y(t)), width, 1, GRID);
  r.fillRect(left - 1, top, 1, height + 1, AXIS);
  r.fillRect(left - 1, top + height, width + 1, 1, AXIS);

  o.x.ticks.forEach((t, i) => {
    const px = Math.floor(area.x(t));
    r.fillRect(px, top + height, 1, TICK_LENGTH, AXIS);
    drawText(r, o.x.labels[i]!, px + 1, top + height + TICK_LENGTH + TICK_GAP, MUTED, { scale: s, align: 'center' });
  });
  o.y.ticks.forEach((t, i) => {
    const py = Math.floor(area.y(t));
    r.fillRect(left - 1 - TICK_LENGTH, py, TICK_LENGTH, 1, AXIS);
    drawText(r, o.y.labels[i]!, left - 1 - TICK_LENGTH - TICK_GAP, py + 1, MUTED, { scale: s, align: 'right', valign: 'middle' });
  });

  if (o.title) {
    // Centred over the plot area, slid (then shrunk) only as far as needed to stay inside the margins.
    const room = r.width - 2 * MARGIN;
    const ts = textWidth(o.title, s) + 1 <= room ? s : 1;
    const tw = textWidth(o.title, ts) + 1;
    const cx = Math.max(MARGIN + tw / 2, Math.min(left + width / 2, r.width - MARGIN - tw / 2));
    drawText(r, o.title, cx, MARGIN + (CAP - CAP_HEIGHT * ts) / 2, INK, { scale: ts, align: 'center', bold: true });
  }
  if (o.xLabel) {
    drawText(r, o.xLabel, left + width / 2, r.height - MARGIN - LINE, MUTED, { scale: s, align: 'center' });
  }
  if (o.yLabel) {
    drawText(r, o.yLabel, MARGIN, top + height / 2, MUTED, { scale: s, align: 'center', rotate: true });
  }
  return area;
}
