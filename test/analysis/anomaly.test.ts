// Anomaly figures (src/analysis/anomaly.ts) against brute force and hand-worked cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detection, percentile, rocAuc, rocCurve } from '../../src/analysis/anomaly.js';
import { ArgumentError } from '../../src/errors.js';

/** The share of (anomaly, normal) pairs the anomaly wins, ties half: AUC by its definition. */
function pairCount(scores: number[], anomalous: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!anomalous[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (anomalous[j]) continue;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

/** Scores from a few levels, so ties are common, each with an anomaly flag; both classes present. */
const labelled = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.boolean()), { minLength: 2, maxLength: 60 })
  .filter((rows) => rows.some((r) => r[1]) && rows.some((r) => !r[1]))
  .map((rows) => ({ scores: rows.map((r) => r[0] / 4), anomalous: rows.map((r) => r[1]) }));

describe('rocAuc', () => {
  it('equals the brute-force pair count (ties half) on random tied scores', () => {
    fc.assert(
      fc.property(labelled, ({ scores, anomalous }) => {
        expect(rocAuc(scores, anomalous)).toBeCloseTo(pairCount(scores, anomalous), 12);
      }),
      { seed: 15, numRuns: 300 },
    );
  });

  it('is the area under rocCurve, and the curve runs from (0, 0) to (1, 1) without stepping back', () => {
    fc.assert(
      fc.property(labelled, ({ scores, anomalous }) => {
        const c = rocCurve(scores, anomalous);
        expect(c.auc).toBeCloseTo(rocAuc(scores, anomalous), 12);
        expect([c.fpr[0], c.tpr[0], c.fpr.at(-1), c.tpr.at(-1)]).toEqual([0, 0, 1, 1]);
        for (let k = 1; k < c.fpr.length; k++) {
          expect(c.fpr[k]!).toBeGreaterThanOrEqual(c.fpr[k - 1]!);
          expect(c.tpr[k]!).toBeGreaterThanOrEqual(c.tpr[k - 1]!);
          expect(c.thresholds[k]!).toBeLessThan(c.thresholds[k - 1]!);
        }
      }),
      { seed: 16, numRuns: 200 },
    );
  });

  it('is 1 for a perfect ranking, 0 for the reverse, 0.5 when every score ties', () => {
    expect(rocAuc([0.1, 0.2, 0.9, 0.8], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.1, 0.2], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([3, 3, 3, 3, 3], [0, 1, 0, 1, 1])).toBe(0.5);
  });

  it('refuses one class only, mismatched lengths and NaN scores', () => {
    expect(() => rocAuc([1, 2], [1, 1])).toThrow(/needs both anomalies and normal samples, found 2 anomalies and 0 normal/);
    expect(() => rocCurve([1, 2], [0, 0])).toThrow(ArgumentError);
    expect(() => rocAuc([1, 2, 3], [0, 1])).toThrow(/3 scores and 2 flags/);
    expect(() => rocAuc([1, NaN], [0, 1])).toThrow(/score 1 is NaN/);
  });
});

describe('percentile', () => {
  it("matches numpy's default (linear) on reference values", () => {
    // np.percentile([15, 20, 35, 40, 50], [p]) for p = 1, 25, 40, 50, 99, 100 and a single value.
    const v = [40, 15, 50, 35, 20];
    expect(percentile(v, 1)).toBeCloseTo(15.2, 12);
    expect(percentile(v, 25)).toBe(20);
    expect(percentile(v, 40)).toBeCloseTo(29, 12);
    expect(percentile(v, 50)).toBe(35);
    expect(percentile(v, 99)).toBeCloseTo(49.6, 12);
    expect(percentile(v, 100)).toBe(50);
    expect(percentile([7], 37)).toBe(7);
    // np.percentile(np.arange(1, 11), 99) = 9.91
    expect(percentile(Float32Array.from({ length: 10 }, (_, i) => i + 1), 99)).toBeCloseTo(9.91, 12);
  });

  it('lies between the order statistics it interpolates, on random data', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }), fc.double({ min: 0.001, max: 100, noNaN: true }), (v, p) => {
        const s = [...v].sort((a, b) => a - b);
        const h = ((s.length - 1) * p) / 100;
        const q = percentile(v, p);
        expect(q).toBeGreaterThanOrEqual(s[Math.floor(h)]! - 1e-9 * Math.abs(s[Math.floor(h)]!));
        expect(q).toBeLessThanOrEqual(s[Math.ceil(h)]! + 1e-9 * Math.abs(s[Math.ceil(h)]!));
      }),
      { seed: 17, numRuns: 200 },
    );
  });

  it('refuses p outside (0, 100], no values and NaN', () => {
    for (const p of [0, -1, 100.5, NaN]) expect(() => percentile([1, 2], p)).toThrow(/expected p in \(0, 100\]/);
    expect(() => percentile([], 50)).toThrow(/at least one value/);
    expect(() => percentile([1, NaN], 50)).toThrow(/NaN/);
  });
});

describe('detection', () => {
  it('counts a hand case: flags score > threshold strictly', () => {
    // scores:    0.1  0.5  0.9  0.3  0.7  0.5  0.95
    // anomalous:  n    a    a    n    n    n    a      threshold 0.5: flagged 0.9, 0.7, 0.95
    const d = detection([0.1, 0.5, 0.9, 0.3, 0.7, 0.5, 0.95], [0, 1, 1, 0, 0, 0, 1], 0.5);
    expect(d).toMatchObject({ tp: 2, fp: 1, fn: 1, tn: 3 });
    expect(d.precision).toBeCloseTo(2 / 3, 12);
    expect(d.recall).toBeCloseTo(2 / 3, 12);
    expect(d.f1).toBeCloseTo(2 / 3, 12);
    expect(d.false_positive_rate).toBeCloseTo(1 / 4, 12);
    const e = detection([1, 2, 3, 4], [1, 0, 0, 0], 1.5);
    expect(e).toMatchObject({ tp: 0, fp: 3, fn: 1, tn: 0, precision: 0, recall: 0, f1: 0, false_positive_rate: 1 });
  });

  it('flags nothing above the largest score: precision 0 (zero division), recall 0', () => {
    expect(detection([1, 2, 3], [1, 0, 1], 3)).toMatchObject({ tp: 0, fp: 0, fn: 2, tn: 1, precision: 0, recall: 0, f1: 0 });
  });
});
