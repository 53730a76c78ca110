// Principal components (ml-matrix's symmetric eigensolver on the covariance) and the
// reconstruction error of the best rank-k linear code — the optimum a linear
// autoencoder with biases can reach — and the principal angles between two subspaces,
// to say how close a linear autoencoder's decoder came to the principal subspace.

import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import { ArgumentError } from '../errors.js';

export interface Pca {
  dim: number;
  mean: Float64Array;
  /** Eigenvalues of the covariance, descending. */
  variances: Float64Array;
  /** components[j] is the j-th principal axis (unit length), in the order of variances. */
  components: Float64Array[];
}

/** PCA of n samples of `dim` values (row-major), covariance normalised by n. */
export function fitPca(data: ArrayLike<number>, n: number, dim: number): Pca {
  if (n < 1 || data.length !== n * dim) throw new ArgumentError(`fitPca: expected ${n} x ${dim} values, got ${data.length}`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j]! += data[i * dim + j]! / n;
  const cov = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) row[j] = data[i * dim + j]! - mean[j]!;
    for (let a = 0; a < dim; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      const base = a * dim;
      for (let b = a; b < dim; b++) cov[base + b]! += ra * row[b]!;
    }
  }
  const m = new Matrix(dim, dim);
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b]! / n;
      m.set(a, b, v);
      m.set(b, a, v);
    }
  }
  const eig = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((p, q) => values[q]! - values[p]!);
  return {
    dim,
    mean,
    variances: Float64Array.from(order.map((i) => Math.max(values[i]!, 0))),
    components: order.map((i) => Float64Array.from(vectors.getColumn(i))),
  };
}

/** Projects samples onto the first k components: [n, k]. */
export function pcaTransform(p: Pca, data: ArrayLike<number>, n: number, k: number): Float64Array {
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const axis = p.components[c]!;
      let s = 0;
      for (let j = 0; j < p.dim; j++) s += (data[i * p.dim + j]! - p.mean[j]!) * axis[j]!;
      out[i * k + c] = s;
    }
  }
  return out;
}

/** Mean squared error per value of reconstructing `data` from its first k components. */
export function pcaReconstructionMse(p: Pca, data: ArrayLike<number>, n: number, k: number): number {
  const codes = pcaTransform(p, data, n, k);
  let sq = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p.dim; j++) {
      let r = p.mean[j]!;
      for (let c = 0; c < k; c++) r += codes[i * k + c]! * p.components[c]![j]!;
      const d = data[i * p.dim + j]! - r;
      sq += d * d;
    }
  }
  return sq / (n * p.dim);
}

/**
 * An orthonormal basis of the span of `vectors` (each of length `dim`): the left singular
 * vectors of the dim x k matrix they form whose singular values exceed `k` dim eps times
 * the largest (numerically zero ones span nothing). Fewer than k vectors back means the
 * vectors were linearly dependent.
 */
export function orthonormalBasis(vectors: readonly ArrayLike<number>[], dim: number): Float64Array[] {
  const k = vectors.length;
  if (k === 0) return [];
  for (const [i, v] of vectors.entries()) {
    if (v.length !== dim) throw new ArgumentError(`orthonormalBasis: vector ${i} has ${v.length} values, expected ${dim}`);
  }
  const svd = new SingularValueDecomposition(columns(vectors, dim), { computeLeftSingularVectors: true, computeRightSingularVectors: false, autoTranspose: true });
  const sv = svd.diagonal;
  const tol = Math.max(dim, k) * Number.EPSILON * (sv[0] ?? 0);
  const u = svd.leftSingularVectors;
  const basis: Float64Array[] = [];
  for (let c = 0; c < sv.length; c++) if (sv[c]! > tol && sv[c]! > 0) basis.push(Float64Array.from(u.getColumn(c)));
  return basis;
}

/**
 * Principal angles in degrees, ascending, between span(a) and span(b) (vectors of length
 * `dim`, any basis): orthonormalise both (Q1, Q2); the cosines are the singular values of
 * Q1^T Q2 and the sines those of Q2 - Q1 Q1^T Q2. Small angles come from their sine and
 * large ones from their cosine, as Knyazev & Argentati advise: arccos alone loses half the
 * digits near 0 (1 - 1e-16 is 1.4e-8 rad). One angle per dimension of the larger span; a
 * dimension one span has and the other lacks (dependent vectors, or a and b of different
 * sizes) counts as 90 degrees.
 */
export function principalAngles(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[], dim: number): number[] {
  const q1 = orthonormalBasis(a, dim);
  const q2 = orthonormalBasis(b, dim);
  const shared = Math.min(q1.length, q2.length);
  const angles: number[] = [];
  if (shared > 0) {
    const m1 = columns(q1, dim);
    const m2 = columns(q2, dim);
    const c = m1.transpose().mmul(m2);
    const residual = m2.clone().sub(m1.mmul(c));
    const cosines = singularValues(c).sort((x, y) => y - x);
    const sines = singularValues(residual).sort((x, y) => x - y);
    for (let i = 0; i < shared; i++) {
      const cos = Math.min(1, Math.max(0, cosines[i]!));
      const sin = Math.min(1, Math.max(0, sines[i] ?? 1));
      angles.push((cos * cos >= 0.5 ? Math.asin(sin) : Math.acos(cos)) * (180 / Math.PI));
    }
  }
  while (angles.length < Math.max(q1.length, q2.length)) angles.push(90);
  return angles.sort((x, y) => x - y);
}

/** The dim x k matrix whose columns are `vectors`. */
function columns(vectors: readonly ArrayLike<number>[], dim: number): Matrix {
  const m = new Matrix(dim, vectors.length);
  for (let c = 0; c < vectors.length; c++) for (let r = 0; r < dim; r++) m.set(r, c, vectors[c]![r]!);
  return m;
}

function singularValues(m: Matrix): number[] {
  return [...new SingularValueDecomposition(m, { computeLeftSingularVectors: false, computeRightSingularVectors: false, autoTranspose: true }).diagonal];
}
