// The ROC curve of a detector: true-positive rate over false-positive rate on fixed
// [0, 1] axes, the chance diagonal dashed, the AUC in the legend. Structural input (any
// arrays of rates), so viz stays a leaf: src/analysis/anomaly.ts's rocCurve fits it.
import { ArgumentError, ShapeError } from '../errors.js';
import { drawAxes, makeAxis, TEXT_SCALE } from './axes.js';
import { AXIS, TAB10, WHITE } from './colors.js';
import { drawLegend, legendSize } from './legend.js';
import { Raster } from './raster.js';

export interface RocPlotOptions {
  /** The curve's points in order, from (0, 0) to (1, 1); rates in [0, 1]. */
  fpr: ArrayLike<number>;
  tpr: ArrayLike<number>;
  auc: number;
  title?: string;
  /** Size in px (default 560 x 560: the unit square stays square). */
  size?: number;
}

const DASH = 8;
const LEGEND_INSET = 10;

/** A square ROC plot: grid, chance diagonal, the curve, and "ROC (AUC x.xxx)" bottom right. */
export function rocPlot(o: RocPlotOptions): Raster {
  const size = o.size ?? 560;
  if (!Number.isInteger(size) || size < 200 || size > 4096) throw new ArgumentError(`rocPlot: expected an integer size in 200..4096, found ${size}`);
  const n = o.fpr.length;
  if (n !== o.tpr.length || n < 2) throw new ShapeError(`rocPlot: expected fpr and tpr of one length >= 2, found ${o.fpr.length} and ${o.tpr.length}`);
  for (let i = 0; i < n; i++) {
    if (!(o.fpr[i]! >= 0 && o.fpr[i]! <= 1 && o.tpr[i]! >= 0 && o.tpr[i]! <= 1)) {
      throw new ArgumentError(`rocPlot: point ${i} is (${o.fpr[i]}, ${o.tpr[i]}); rates must lie in [0, 1]`);
    }
  }
  const axis = makeAxis(-0.02, 1.02, false, 6);
  const r = new Raster(size, size, WHITE);
  const area = drawAxes(r, { title: o.title, xLabel: 'false positive rate', yLabel: 'true positive rate', x: axis, y: axis });
  // Chance: a dashed diagonal.
  const [x0, y0, x1, y1] = [area.x(0), area.y(0), area.x(1), area.y(1)];
  const len = Math.hypot(x1 - x0, y1 - y0);
  for (let d = 0; d < len; d += 2 * DASH) {
    const a = d / len;
    const b = Math.min(len, d + DASH) / len;
    r.line(x0 + a * (x1 - x0), y0 + a * (y1 - y0), x0 + b * (x1 - x0), y0 + b * (y1 - y0), AXIS, 1.5);
  }
  // The curve, thinned to points at least a pixel apart: thousands of samples draw one line.
  const xs: number[] = [area.x(o.fpr[0]!)];
  const ys: number[] = [area.y(o.tpr[0]!)];
  for (let i = 1; i < n; i++) {
    const x = area.x(o.fpr[i]!);
    const y = area.y(o.tpr[i]!);
    if (i < n - 1 && Math.hypot(x - xs.at(-1)!, y - ys.at(-1)!) < 1) continue;
    xs.push(x);
    ys.push(y);
  }
  const color = TAB10[0]!;
  r.polyline(xs, ys, color, 2.5);
  const entries = [
    { label: `ROC (AUC ${Number.isFinite(o.auc) ? o.auc.toFixed(3) : 'n/a'})`, color, kind: 'line' as const },
    { label: 'chance (AUC 0.5)', color: AXIS, kind: 'line' as const },
  ];
  const box = legendSize(entries, TEXT_SCALE);
  drawLegend(r, entries, Math.round(area.left + area.width - LEGEND_INSET - box.width), Math.round(area.top + area.height - LEGEND_INSET - box.height), TEXT_SCALE);
  return r;
}
