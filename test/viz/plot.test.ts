// Charts: sizes, where the data lands, graceful handling of odd series, scatter colours.
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '../../src/errors.js';
import { classColors, TAB10, type Rgb } from '../../src/viz/colors.js';
import { linePlot, scatterPlot } from '../../src/viz/plot.js';
import type { Raster } from '../../src/viz/raster.js';
import { clusteredPoints } from './synthetic.js';

const RED: Rgb = [255, 0, 0];

function same(r: Raster, x: number, y: number, c: Rgb): boolean {
  const p = r.getPixel(x, y);
  return p[0] === c[0] && p[1] === c[1] && p[2] === c[2];
}

/** Columns holding colour c, each with the mean row and the number of such pixels. */
function columns(r: Raster, c: Rgb): Map<number, { y: number; n: number }> {
  const out = new Map<number, { y: number; n: number }>();
  for (let x = 0; x < r.width; x++) {
    let sum = 0;
    let n = 0;
    for (let y = 0; y < r.height; y++) if (same(r, x, y, c)) { sum += y; n++; }
    if (n) out.set(x, { y: sum / n, n });
  }
  return out;
}

/**
 * Marker centres of a one-series plot in colour c: markers are the tallest runs of the
 * colour, so the n columns of locally maximal pixel count, left to right.
 */
function markerRows(r: Raster, c: Rgb, n: number): { x: number; y: number }[] {
  const cols = columns(r, c);
  const xs = [...cols.keys()];
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  // Markers sit at evenly spaced epochs; the outermost pixels are a marker radius (3.5 px + AA) out.
  const inset = 3;
  return Array.from({ length: n }, (_, i) => {
    const x = Math.round(x0 + inset + ((x1 - x0 - 2 * inset) * i) / Math.max(1, n - 1));
    return { x, y: cols.get(x)!.y };
  });
}

describe('linePlot', () => {
  it('has the requested size', () => {
    const series = [{ name: 'train', values: [3, 2, 1] }];
    const r = linePlot({ title: 'loss', series });
    expect([r.width, r.height]).toEqual([800, 500]);
    const s = linePlot({ series, width: 400, height: 260 });
    expect([s.width, s.height]).toEqual([400, 260]);
    expect(() => linePlot({ series, width: 50 })).toThrow(ArgumentError);
  });

  it('places markers left to right, higher values higher, evenly on a linear axis', () => {
    const values = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    const r = linePlot({ title: 'known data', xLabel: 'epoch', yLabel: 'loss', legend: false, logY: false, series: [{ name: 'a', values, color: '#ff0000' }] });
    const m = markerRows(r, RED, values.length);
    for (let i = 1; i < m.length; i++) expect(m[i]!.y).toBeGreaterThan(m[i - 1]!.y);
    const steps = m.slice(1).map((p, i) => p.y - m[i]!.y);
    for (const d of steps) expect(Math.abs(d - steps[0]!)).toBeLessThan(2);
  });

  it('defaults to a log axis for series a factor of 10+ apart: decades evenly spaced', () => {
    const values = [1000, 100, 10, 1];
    const r = linePlot({ legend: false, series: [{ name: 'a', values, color: RED }] });
    const m = markerRows(r, RED, values.length);
    const d1 = m[1]!.y - m[0]!.y;
    const d2 = m[3]!.y - m[2]!.y;
    expect(d1).toBeGreaterThan(20);
    expect(Math.abs(d1 - d2)).toBeLessThan(2);
    // On a linear axis the same data would bunch the last three points together.
    const lin = markerRows(linePlot({ legend: false, logY: false, series: [{ name: 'a', values, color: RED }] }), RED, 4);
    expect(lin[3]!.y - lin[2]!.y).toBeLessThan(10);
  });

  it('draws a single epoch as one marker, centred', () => {
    const r = linePlot({ legend: false, series: [{ name: 'one', values: [0.2], color: RED }] });
    const xs = [...columns(r, RED).keys()];
    expect(xs.length).toBeGreaterThan(3);
    const mid = (Math.min(...xs) + Math.max(...xs)) / 2;
    expect(Math.abs(mid - r.width / 2)).toBeLessThan(60); // centred in the plot area, which sits right of the labels
  });

  it('skips NaN, infinite and (on a log axis) non-positive values without failing', () => {
    const values = [0.5, NaN, 0.3, Infinity, 0.2, 0, -1, 0.1];
    expect(() => linePlot({ series: [{ name: 'x', values }], logY: true })).not.toThrow();
    expect(() => linePlot({ series: [{ name: 'x', values }] })).not.toThrow();
    expect(() => linePlot({ series: [{ name: 'x', values: [NaN, NaN] }] })).not.toThrow();
    expect(() => linePlot({ series: [] })).not.toThrow();
    expect(() => linePlot({ series: [{ name: 'x', values, color: 'red' }] })).toThrow(ArgumentError);
  });

  it('shows every series colour in the legend', () => {
    const r = linePlot({ series: [{ name: 'train loss', values: [0.3, 0.2, 0.15] }, { name: 'test MSE', values: [0.03, 0.02, 0.018] }] });
    expect(columns(r, TAB10[0]!).size).toBeGreaterThan(0);
    expect(columns(r, TAB10[1]!).size).toBeGreaterThan(0);
  });
});

describe('scatterPlot', () => {
  it('colours points by class and lists all ten colours in the legend', () => {
    const points = clusteredPoints(2000);
    const r = scatterPlot({ title: 'latent', xLabel: 'z[0]', yLabel: 'z[1]', points });
    expect([r.width, r.height]).toEqual([720, 600]);
    for (const c of TAB10) expect(columns(r, c).size, `colour ${c.join(',')}`).toBeGreaterThan(0);
  });

  it('shows the legend even for classes with no points, and puts points where their class is', () => {
    // Class 3 alone in the top right, class 7 alone in the bottom left.
    const r = scatterPlot({ points: { x: Float32Array.of(1, 0), y: Float32Array.of(1, 0), labels: Uint8Array.of(3, 7) }, pointRadius: 4 });
    for (const c of TAB10) expect(columns(r, c).size).toBeGreaterThan(0);
    // Points are drawn 85% opaque over white; the legend's swatches are exact.
    const blend = (v: number): number => Math.round(255 + (v - 255) * 0.85);
    const dot = (c: Rgb): Rgb => [blend(c[0]), blend(c[1]), blend(c[2])];
    const find = (c: Rgb): { x: number; y: number } => {
      for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) {
        const p = r.getPixel(x, y);
        if (p.every((v, k) => Math.abs(v - c[k]!) <= 1)) return { x, y };
      }
      throw new Error(`colour ${c.join(',')} not found`);
    };
    const p3 = find(dot(TAB10[3]!));
    const p7 = find(dot(TAB10[7]!));
    expect(p3.x).toBeGreaterThan(p7.x + 100);
    expect(p3.y).toBeLessThan(p7.y - 100);
  });

  it('checks lengths, labels and class names', () => {
    const labels = Uint8Array.of(0, 1);
    expect(() => scatterPlot({ points: { x: [0, 1], y: [0], labels } })).toThrow(ShapeError);
    expect(() => scatterPlot({ points: { x: [0, 1], y: [0, 1], labels: [0, 10] } })).toThrow(/point 1 has label 10/);
    expect(() => scatterPlot({ points: { x: [0], y: [0], labels: [0] }, classNames: Array(65).fill('a') })).toThrow(/expected 1\.\.64 class names/);
    expect(() => scatterPlot({ points: { x: [0], y: [0], labels: [0] }, classNames: [] })).toThrow(ArgumentError);
    expect(() => scatterPlot({ points: { x: [NaN, 1], y: [0, 1], labels }, classNames: ['cat', 'dog'] })).not.toThrow();
  });

  it('colours and lists every class of EMNIST-sized label sets (47, 62, 64), the legend in columns', () => {
    for (const k of [11, 47, 62, 64]) {
      const labels = Array.from({ length: 4 * k }, (_, i) => i % k);
      const x = labels.map((c, i) => Math.cos(c) + i * 1e-3);
      const y = labels.map((c) => Math.sin(c));
      const r = scatterPlot({ points: { x, y, labels }, classNames: Array.from({ length: k }, (_, c) => String(c)) });
      expect(r.height).toBe(600);
      expect(r.width).toBeGreaterThanOrEqual(720);
      // Every class's colour is drawn: its legend dot at least, whatever the count.
      const colors = classColors(k);
      expect(new Set(colors.map((c) => c.join())).size).toBe(k);
      for (const c of colors) {
        let found = false;
        for (let yy = 0; yy < r.height && !found; yy++) for (let xx = 0; xx < r.width && !found; xx++) found = same(r, xx, yy, c);
        expect(found, `class colour ${c.join()} of ${k}`).toBe(true);
      }
    }
    expect(classColors(10)).toEqual(TAB10);
  });
});
