// Charts for training reports: loss curves per epoch and the 2-D latent scatter.
// Both return a Raster; callers encode it with toPng and write the bytes themselves.
import { ArgumentError, ShapeError } from '../errors.js';
import { drawAxes, makeAxis, paddedRange, TEXT_SCALE, type PlotArea } from './axes.js';
import { classColors, MAX_CLASS_COLORS, parseColor, TAB10, WHITE, type ColorLike } from './colors.js';
import { drawLegend, legendSize, type LegendEntry } from './legend.js';
import { Raster } from './raster.js';

export interface LineSeries {
  name: string;
  /** One value per epoch; NaN and infinities are skipped (the line breaks there). */
  values: ArrayLike<number>;
  color?: ColorLike;
}

export interface LinePlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: readonly LineSeries[];
  /**
   * Logarithmic y axis. Default: on when every value is positive and they span a factor
   * of 10 or more, as train loss and test MSE of different magnitudes do; a linear
   * axis would flatten the smaller series. Non-positive values are skipped on a log axis.
   */
  logY?: boolean;
  /** Show the legend (default true). */
  legend?: boolean;
  /** x of each series' first value. Default 1 (epochs count from 1). */
  xStart?: number;
  width?: number;
  height?: number;
}

const LINE_WIDTH = 2;
const MARKER_RADIUS = 3.5;
/** Markers are drawn only while neighbouring points are at least this far apart (px). */
const MARKER_MIN_SPACING = 14;
const LEGEND_INSET = 10;
/** Enough samples per segment for any segment that crosses the canvas at 3 px spacing. */
const MAX_SEGMENT_SAMPLES = 2000;
/** All the samples legend placement takes, however many epochs and however wild the values. */
const MAX_LEGEND_SAMPLES = 1_000_000;

/** [min, max] by a loop: spreading 60 000 latent codes into Math.min would overflow the stack. */
function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function checkSize(width: number, height: number, minW: number, minH: number, where: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < minW || height < minH) {
    throw new ArgumentError(`${where}: expected integer width >= ${minW} and height >= ${minH}, found ${width} x ${height}`);
  }
}

/** Loss curves: one line with point markers per series, log or linear y, legend in the emptiest corner. */
export function linePlot(o: LinePlotOptions): Raster {
  const width = o.width ?? 800;
  const height = o.height ?? 500;
  checkSize(width, height, 200, 150, 'linePlot');
  const xStart = o.xStart ?? 1;
  const colors = o.series.map((s, i) => (s.color === undefined ? TAB10[i % TAB10.length]! : parseColor(s.color, `linePlot: series '${s.name}' color`)));

  const finite: number[] = [];
  for (const s of o.series) for (let i = 0; i < s.values.length; i++) if (Number.isFinite(s.values[i])) finite.push(s.values[i]!);
  const positive = finite.filter((v) => v > 0);
  const [min, max] = extent(finite);
  const logY = o.logY ?? (finite.length > 0 && positive.length === finite.length && max / min >= 10);
  const shown = logY ? positive : finite;
  const n = o.series.reduce((m, s) => Math.max(m, s.values.length), 1);

  // Tick density follows the space available: ~60 px per y tick, ~55 px per x tick
  // (so ten epochs get ten ticks on the default width).
  const [ylo, yhi] = shown.length ? paddedRange(...extent(shown), logY) : logY ? [0.1, 1] : [0, 1];
  const yAxis = makeAxis(ylo, yhi, logY, Math.max(2, Math.round((height - 130) / 60)));
  const [xlo, xhi] = paddedRange(xStart, xStart + n - 1, false, 0.03, 0.5);
  const xAxis = makeAxis(xlo, xhi, false, Math.max(2, Math.round((width - 150) / 55)), 1);
  // No tick before the first epoch: "epoch 0" would label a point that does not exist.
  const before = xAxis.ticks.filter((t) => t < xStart).length;
  xAxis.ticks = xAxis.ticks.slice(before);
  xAxis.labels = xAxis.labels.slice(before);

  const r = new Raster(width, height, WHITE);
  const area = drawAxes(r, { title: o.title, xLabel: o.xLabel, yLabel: o.yLabel, x: xAxis, y: yAxis });
  const keep = (v: number): boolean => Number.isFinite(v) && (!logY || v > 0);
  const paths = o.series.map((s) => {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      xs.push(area.x(xStart + i));
      ys.push(keep(v) ? area.y(v) : NaN);
    }
    return { xs, ys };
  });
  const markers = n === 1 || area.width / (n - 1) >= MARKER_MIN_SPACING;
  paths.forEach(({ xs, ys }, k) => {
    const c = colors[k]!;
    r.polyline(xs, ys, c, LINE_WIDTH);
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(ys[i])) continue;
      // A lone point (neighbours missing) gets a marker even when markers are off.
      const lone = !Number.isFinite(ys[i - 1] ?? NaN) && !Number.isFinite(ys[i + 1] ?? NaN);
      if (!markers && !lone) continue;
      r.fillCircle(xs[i]!, ys[i]!, MARKER_RADIUS + 1.5, WHITE);
      r.fillCircle(xs[i]!, ys[i]!, MARKER_RADIUS, c);
    }
  });

  const entries: LegendEntry[] = o.series.map((s, i) => ({ label: s.name, color: colors[i]!, kind: 'line' }));
  if (entries.length > 0 && o.legend !== false) placeLegend(r, area, entries, paths);
  return r;
}

/** Puts the legend where, inside the plot area, it covers the fewest data pixels. */
function placeLegend(r: Raster, area: PlotArea, entries: LegendEntry[], paths: { xs: number[]; ys: number[] }[]): void {
  const { width: w, height: h } = legendSize(entries, TEXT_SCALE);
  const samples: [number, number][] = [];
  const segments = paths.reduce((n, p) => n + Math.max(0, p.xs.length - 1), 0);
  const perSegment = Math.max(1, Math.min(MAX_SEGMENT_SAMPLES, Math.floor(MAX_LEGEND_SAMPLES / Math.max(1, segments))));
  for (const { xs, ys } of paths) {
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(ys[i])) continue;
      samples.push([xs[i]!, ys[i]!]);
      const nx = xs[i + 1];
      const ny = ys[i + 1];
      if (nx === undefined || ny === undefined || !Number.isFinite(ny)) continue;
      // Points may lie far off the canvas (a value of 1e308 on a linear axis): sample a
      // bounded number of points along a segment, whatever its length in pixels.
      const steps = Math.min(Math.ceil(Math.hypot(nx - xs[i]!, ny - ys[i]!) / 3), perSegment);
      for (let k = 1; k < steps; k++) samples.push([xs[i]! + ((nx - xs[i]!) * k) / steps, ys[i]! + ((ny - ys[i]!) * k) / steps]);
    }
  }
  const l = area.left + LEGEND_INSET;
  const rt = area.left + area.width - LEGEND_INSET - w;
  const t = area.top + LEGEND_INSET;
  const b = area.top + area.height - LEGEND_INSET - h;
  const cx = area.left + (area.width - w) / 2;
  const cy = area.top + (area.height - h) / 2;
  // Corners first, then edge middles, then the centre; earlier wins ties.
  const spots: [number, number][] = [[rt, t], [l, t], [rt, b], [l, b], [rt, cy], [l, cy], [cx, t], [cx, b], [cx, cy]];
  let best = spots[0]!;
  let bestHits = Infinity;
  for (const [sx, sy] of spots) {
    const hits = samples.filter(([x, y]) => x > sx - 6 && x < sx + w + 6 && y > sy - 6 && y < sy + h + 6).length;
    if (hits < bestHits) [best, bestHits] = [[Math.round(sx), Math.round(sy)], hits];
  }
  drawLegend(r, entries, best[0], best[1], TEXT_SCALE);
}

export interface ScatterPlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Equal-length x, y and class labels (integers 0..classes-1); NaN points are skipped. */
  points: { x: ArrayLike<number>; y: ArrayLike<number>; labels: ArrayLike<number> };
  /** Names shown in the legend, one per class, at most 64 (wrapping into columns). Default '0'..'9'. */
  classNames?: readonly string[];
  width?: number;
  height?: number;
  /** Dot radius in px. Default shrinks with the number of points. */
  pointRadius?: number;
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Points coloured by class (Tableau 10, more hues past ten classes), with a legend of every class right of the plot. */
export function scatterPlot(o: ScatterPlotOptions): Raster {
  const height = o.height ?? 600;
  const names = o.classNames ?? DIGITS;
  if (names.length < 1 || names.length > MAX_CLASS_COLORS) {
    throw new ArgumentError(`scatterPlot: expected 1..${MAX_CLASS_COLORS} class names (one colour each), found ${names.length}`);
  }
  const colors = classColors(names.length);
  const entries: LegendEntry[] = names.map((label, i) => ({ label, color: colors[i]!, kind: 'point' }));
  // The legend wraps into columns beside the plot area; the default width grows by the
  // extra columns so the plot keeps its size.
  const legendHeight = Math.max(60, height - 130);
  const legend = legendSize(entries, TEXT_SCALE, legendHeight);
  const width = o.width ?? 720 + Math.max(0, legend.width - legendSize(entries.slice(0, 10), TEXT_SCALE).width);
  checkSize(width, height, 240, 150, 'scatterPlot');
  const { x, y, labels } = o.points;
  if (x.length !== y.length || x.length !== labels.length) {
    throw new ShapeError(`scatterPlot: expected x, y and labels of equal length, found ${x.length}, ${y.length} and ${labels.length}`);
  }
  const keep: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= names.length) {
      throw new ArgumentError(`scatterPlot: point ${i} has label ${c}, expected an integer 0..${names.length - 1}`);
    }
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) keep.push(i);
  }

  const xs = keep.map((i) => x[i]!);
  const ys = keep.map((i) => y[i]!);
  const [xlo, xhi] = xs.length ? paddedRange(...extent(xs), false) : [-1, 1];
  const [ylo, yhi] = ys.length ? paddedRange(...extent(ys), false) : [-1, 1];
  const plotW = width - 150 - legend.width;
  const xAxis = makeAxis(xlo, xhi, false, Math.max(2, Math.round(plotW / 80)));
  const yAxis = makeAxis(ylo, yhi, false, Math.max(2, Math.round((height - 130) / 60)));

  const r = new Raster(width, height, WHITE);
  const gap = 16;
  const area = drawAxes(r, { title: o.title, xLabel: o.xLabel, yLabel: o.yLabel, x: xAxis, y: yAxis, rightReserve: legend.width + gap });
  const radius = o.pointRadius ?? (keep.length <= 500 ? 3 : keep.length <= 5000 ? 2.2 : 1.5);
  // Data sets often arrive sorted by class; drawing in that order would bury the early
  // classes under the late ones. A fixed shuffle interleaves them, and stays reproducible.
  for (const i of shuffled(keep)) {
    r.fillCircle(area.x(x[i]!), area.y(y[i]!), radius, colors[labels[i]!]!, 0.85);
  }
  drawLegend(r, entries, area.left + area.width + gap, area.top, TEXT_SCALE, legendHeight);
  return r;
}

/** Fisher-Yates with a fixed-seed xorshift32: the same input order always draws the same picture. */
function shuffled(items: number[]): number[] {
  const out = items.slice();
  let s = 0x9e3779b9;
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
