// PCA (src/analysis/pca.ts) on data whose principal axes are known by construction.
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { fitPca, pcaReconstructionMse, pcaTransform } from '../../src/analysis/pca.js';

// Points (3t, s, 0) + (1, 2, 3) for t, s on a grid: variance along x > y, none along z.
function plane(): { data: Float64Array; n: number } {
  const rows: number[] = [];
  for (let t = -2; t <= 2; t++) for (let s = -2; s <= 2; s++) rows.push(3 * t + 1, s + 2, 3);
  return { data: Float64Array.from(rows), n: rows.length / 3 };
}

describe('fitPca', () => {
  it('finds the axes in order of variance, and rank 2 reconstructs a plane exactly', () => {
    const { data, n } = plane();
    const p = fitPca(data, n, 3);
    for (const [j, m] of [1, 2, 3].entries()) expect(p.mean[j]).toBeCloseTo(m, 12);
    // Var(3t) = 9 * 2 and Var(s) = 2 over the 5 x 5 grid (covariance normalised by n).
    expect(p.variances[0]).toBeCloseTo(18, 10);
    expect(p.variances[1]).toBeCloseTo(2, 10);
    expect(p.variances[2]).toBeCloseTo(0, 10);
    expect(Math.abs(p.components[0]![0]!)).toBeCloseTo(1, 10);
    expect(Math.abs(p.components[1]![1]!)).toBeCloseTo(1, 10);
    expect(pcaReconstructionMse(p, data, n, 2)).toBeCloseTo(0, 12);
    // Rank 1 loses the y variance: 2 per sample over 3 values.
    expect(pcaReconstructionMse(p, data, n, 1)).toBeCloseTo(2 / 3, 10);
    const xy = pcaTransform(p, data, n, 2);
    expect(xy.length).toBe(2 * n);
  });

  it('rejects data of the wrong size', () => {
    expect(() => fitPca(new Float64Array(5), 2, 3)).toThrow(ArgumentError);
  });
});
