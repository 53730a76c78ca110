// Ticks and the loss plot are bounded by construction: any doubles at all (1e308,
// 1e-308, infinities, NaN, negatives, one point, all equal) give at most MAX_TICKS
// finite, ordered ticks inside the range, and a loss plot that renders. Before this a
// history of 1e308 losses made the tick loop allocate until V8 aborted.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paddedRange } from '../../src/viz/axes.js';
import { lossPng } from '../../src/cli/pictures.js';
import { linePlot } from '../../src/viz/plot.js';
import { formatTicks, linearTicks, logTicks, MAX_TICKS } from '../../src/viz/ticks.js';
import type { EpochRecord } from '../../src/train/trainer.js';

/** Every double, with the awkward ones made likely. */
const anyDouble = fc.oneof(
  fc.double(),
  fc.constantFrom(0, -0, 1e308, -1e308, Number.MAX_VALUE, -Number.MAX_VALUE, 1e-308, 5e-324, Infinity, -Infinity, NaN, 2 ** 53, 1 + 2 ** -52),
);

function checkTicks(ticks: number[], lo: number, hi: number): void {
  expect(ticks.length).toBeLessThanOrEqual(MAX_TICKS);
  for (const t of ticks) expect(Number.isFinite(t)).toBe(true);
  for (let i = 1; i < ticks.length; i++) expect(ticks[i]!).toBeGreaterThan(ticks[i - 1]!);
  if (hi >= lo && Number.isFinite(lo) && Number.isFinite(hi)) {
    // The ends keep linearTicks' tolerance of 1e-9 of a step (at most the span / 1e9).
    const slack = Math.abs(hi / 2 - lo / 2) * 2e-9;
    for (const t of ticks) {
      expect(t).toBeGreaterThanOrEqual(lo - slack);
      expect(t).toBeLessThanOrEqual(hi + slack);
    }
  }
  expect(formatTicks(ticks)).toHaveLength(ticks.length);
}

describe('ticks for any doubles', () => {
  it('linearTicks: at most MAX_TICKS finite increasing ticks inside [lo, hi]', () => {
    fc.assert(
      fc.property(anyDouble, anyDouble, fc.integer({ min: -5, max: 1000 }), fc.constantFrom(0, 1), (a, b, target, minStep) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        checkTicks(linearTicks(lo, hi, target, minStep), lo, hi);
      }),
      { numRuns: 3000 },
    );
  });

  it('logTicks: the same for any positive (or not) range', () => {
    fc.assert(
      fc.property(anyDouble, anyDouble, fc.integer({ min: -5, max: 1000 }), (a, b, target) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const ticks = logTicks(lo, hi, target);
        checkTicks(ticks, lo, hi);
        if (lo > 0 && Number.isFinite(hi)) for (const t of ticks) expect(t).toBeGreaterThan(0);
      }),
      { numRuns: 3000 },
    );
  });

  it('paddedRange stays finite and ordered for finite inputs, log or linear', () => {
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(finite, finite, (a, b) => {
        const [min, max] = a <= b ? [a, b] : [b, a];
        const [lo, hi] = paddedRange(min, max, false);
        expect(Number.isFinite(lo) && Number.isFinite(hi) && lo <= min && hi >= max).toBe(true);
        if (min > 0) {
          const [llo, lhi] = paddedRange(min, max, true);
          expect(llo > 0 && Number.isFinite(lhi) && llo <= min && lhi >= max).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the worked examples', () => {
    expect(linearTicks(-1e308, 1e308, 5)).toEqual([-1e308, -5e307, 0, 5e307, 1e308]);
    expect(linearTicks(0, 1e-308, 5).length).toBeGreaterThanOrEqual(2);
    expect(linearTicks(1, 1 + 2 ** -52, 10)).toEqual([1]);
    expect(logTicks(1e-308, 1e308, 6)).toEqual([1e-206, 1e-103, 1, 1e103, 1e206]);
    expect(linearTicks(NaN, 1, 5)).toEqual([1]);
    expect(linearTicks(-Infinity, Infinity, 5)).toEqual([]);
  });
});

const record = (epoch: number, loss: number, test_mse: number, val_loss?: number): EpochRecord =>
  ({ epoch, loss, test_mse, seconds: 1, samples_per_sec: 1, ...(val_loss === undefined ? {} : { val_loss }) }) as EpochRecord;

describe('loss plot for any history', () => {
  it('renders the histories that used to abort (1e308, Infinity, NaN, negatives, flat, one point, 1e-308)', () => {
    const histories = [
      [1e308, 1e308, 1e308],
      [1e308, -1e308],
      [Infinity, NaN, -Infinity],
      [-5, -3, -1e-300],
      [0.25, 0.25, 0.25],
      [0.5],
      [1e-308, 5e-324, 1e308],
      [Number.MAX_VALUE, Number.MIN_VALUE],
    ];
    for (const h of histories) {
      const png = lossPng(h.map((v, i) => record(i + 1, v, v * 2, -v)));
      expect(png.length, String(h)).toBeGreaterThan(100);
    }
  });

  it('a long history of alternating extremes renders with bounded work (legend placement samples at most 1e6 points)', () => {
    const values = Float64Array.from({ length: 200_000 }, (_, i) => (i % 2 ? 1e308 : -1e308));
    const r = linePlot({ series: [{ name: 'loss', values }], width: 400, height: 300 });
    expect(r.height).toBe(300);
  });

  it('linePlot renders any series of doubles', () => {
    fc.assert(
      fc.property(fc.array(fc.array(anyDouble, { maxLength: 12 }), { minLength: 1, maxLength: 3 }), fc.option(fc.boolean(), { nil: undefined }), (series, logY) => {
        const r = linePlot({ series: series.map((values, i) => ({ name: `s${i}`, values })), logY, width: 240, height: 160 });
        expect(r.width).toBe(240);
      }),
      { numRuns: 300 },
    );
  });
});
