// Principal components (ml-matrix's symmetric eigensolver on the covariance) and the
// reconstruction error of the best rank-k linear code — the optimum a linear
// autoencoder with biases can reach.

import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
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
