// PCA (src/analysis/pca.ts) on data whose principal axes are known by construction.
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { fitPca, orthonormalBasis, pcaReconstructionMse, pcaTransform, principalAngles } from '../../src/analysis/pca.js';

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

// ------------------------------------------------------------ principal angles

const deg = (rad: number): number => (rad * 180) / Math.PI;
const unit = (dim: number, i: number): Float64Array => Float64Array.from({ length: dim }, (_, j) => (j === i ? 1 : 0));

/** A seeded generator for the synthetic sets (no Math.random: a test must repeat). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Standard normal by Box-Muller from `u`. */
function gauss(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

describe('principalAngles', () => {
  it('gives the angle between two lines, and between planes sharing a line', () => {
    for (const theta of [0.1, 0.5, 1.2, Math.PI / 2]) {
      const tilted = Float64Array.from([Math.cos(theta), Math.sin(theta), 0, 0]);
      expect(principalAngles([unit(4, 0)], [tilted], 4)[0]).toBeCloseTo(deg(theta), 9);
      // Planes span(e0, e1) and span(e0, cos t e1 + sin t e2): angles 0 and t.
      const b = [unit(4, 0), Float64Array.from([0, Math.cos(theta), Math.sin(theta), 0])];
      const angles = principalAngles([unit(4, 0), unit(4, 1)], b, 4);
      expect(angles[0]).toBeCloseTo(0, 6);
      expect(angles[1]).toBeCloseTo(deg(theta), 9);
    }
  });

  it('depends on the spans only: any basis, scaled and mixed, gives the same angles', () => {
    const a = [Float64Array.from([1, 2, 0, 1, 0]), Float64Array.from([0, 1, 1, 0, 3])];
    const mixed = [
      Float64Array.from(a[0]!.map((v, i) => 3 * v - 2 * a[1]![i]!)),
      Float64Array.from(a[0]!.map((v, i) => 0.5 * v + 7 * a[1]![i]!)),
    ];
    const b = [Float64Array.from([1, 0, 0, 0, 1]), Float64Array.from([0, 0, 1, 1, 0])];
    expect(principalAngles(a, mixed, 5).every((x) => Math.abs(x) < 1e-6)).toBe(true);
    const ref = principalAngles(a, b, 5);
    const again = principalAngles(mixed, b, 5);
    for (let i = 0; i < 2; i++) expect(again[i]).toBeCloseTo(ref[i]!, 8);
    // Orthogonal spans are 90 degrees apart in every direction.
    expect(principalAngles([unit(5, 0), unit(5, 1)], [unit(5, 2), unit(5, 3)], 5)).toEqual([90, 90]);
  });

  it('counts a dimension a span lacks (dependent vectors) as 90 degrees', () => {
    const dependent = [unit(3, 0), Float64Array.from([2, 0, 0])];
    expect(orthonormalBasis(dependent, 3)).toHaveLength(1);
    const angles = principalAngles(dependent, [unit(3, 0), unit(3, 1)], 3);
    expect(angles[0]).toBeCloseTo(0, 6);
    expect(angles[1]).toBe(90);
    expect(() => orthonormalBasis([new Float64Array(2)], 3)).toThrow(ArgumentError);
  });
});

describe('fitPca on a planted subspace', () => {
  it('recovers a rank-3 subspace of R^20 under small noise (angles near 0), with the noise variance left over', () => {
    const dim = 20;
    const n = 3000;
    const u = lcg(11);
    // Three random directions, scaled 3, 2 and 1.5, plus noise of stddev 0.01 in every value.
    const planted = [0, 1, 2].map(() => Float64Array.from({ length: dim }, () => gauss(u)));
    const scales = [3, 2, 1.5];
    const data = new Float64Array(n * dim);
    for (let i = 0; i < n; i++) {
      const z = scales.map((s) => s * gauss(u));
      for (let j = 0; j < dim; j++) {
        let v = 5 + 0.01 * gauss(u);
        for (let c = 0; c < 3; c++) v += z[c]! * planted[c]![j]!;
        data[i * dim + j] = v;
      }
    }
    const p = fitPca(data, n, dim);
    const angles = principalAngles(p.components.slice(0, 3), planted, dim);
    expect(Math.max(...angles)).toBeLessThan(0.1);
    // The 4th direction onward is noise only: variance about 0.01^2 each.
    expect(p.variances[3]).toBeLessThan(2e-4);
    expect(p.variances[2]).toBeGreaterThan(0.5);
    // Rank 3 leaves the noise: about 17/20 of its variance per value.
    expect(pcaReconstructionMse(p, data, n, 3)).toBeCloseTo((17 / 20) * 1e-4, 5);
    // The components are orthonormal.
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) {
        let dot = 0;
        for (let j = 0; j < dim; j++) dot += p.components[a]![j]! * p.components[b]![j]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 9);
      }
    }
  });
});
