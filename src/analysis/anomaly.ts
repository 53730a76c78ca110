// Anomaly detection by a score per sample (a reconstruction error, a negative ELBO): the
// threshold as a percentile of the training scores, the detection figures at it, and the
// threshold-free ROC curve and its AUC. Plain arrays in, numbers out: no model, no data
// source, so the library and the CLI compute the same figures from any scores.

import { ArgumentError } from '../errors.js';

/**
 * The p-th percentile (0 < p <= 100) of `values` by linear interpolation between the
 * closest ranks, numpy's default (`np.percentile(v, p)`, method "linear"): with the values
 * sorted ascending as v[0..n-1], h = (n - 1) p / 100 and the result is
 * v[floor h] + (h - floor h) (v[floor h + 1] - v[floor h]). p = 100 is the largest value.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (!(p > 0 && p <= 100)) throw new ArgumentError(`percentile: expected p in (0, 100], got ${p}`);
  const n = values.length;
  if (n === 0) throw new ArgumentError('percentile: expected at least one value, got none');
  const sorted = Float64Array.from(values).sort();
  if (Number.isNaN(sorted[n - 1])) throw new ArgumentError('percentile: the values hold NaN');
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Counts and rates of a detector that flags score > threshold, against known anomalies. */
export interface Detection {
  /** Flagged anomalies (true positives), flagged normals, missed anomalies, passed normals. */
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** tp / (tp + fp); 0 when nothing is flagged (sklearn's zero_division=0). */
  precision: number;
  /** tp / (tp + fn), the true-positive rate; 0 when there are no anomalies. */
  recall: number;
  /** 2 precision recall / (precision + recall); 0 when both are 0. */
  f1: number;
  /** fp / (fp + tn); 0 when there are no normals. */
  false_positive_rate: number;
}

function checkPairs(scores: ArrayLike<number>, anomalous: ArrayLike<boolean | number>, where: string): void {
  if (scores.length !== anomalous.length) {
    throw new ArgumentError(`${where}: expected one anomaly flag per score, found ${scores.length} scores and ${anomalous.length} flags`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new ArgumentError(`${where}: score ${i} is NaN`);
  }
}

/** The detection figures of flagging every sample whose score is above `threshold` (strictly). */
export function detection(scores: ArrayLike<number>, anomalous: ArrayLike<boolean | number>, threshold: number): Detection {
  checkPairs(scores, anomalous, 'detection');
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < scores.length; i++) {
    const flagged = scores[i]! > threshold;
    if (anomalous[i]) flagged ? tp++ : fn++;
    else flagged ? fp++ : tn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { tp, fp, fn, tn, precision, recall, f1, false_positive_rate: fp + tn > 0 ? fp / (fp + tn) : 0 };
}

/** The ROC curve's corners, from (0, 0) to (1, 1): one point per distinct score, highest first. */
export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  /** thresholds[k]: the point flags every score >= thresholds[k] (Infinity for the first, flagging none). */
  thresholds: Float64Array;
  /** The area under the curve (trapezoids, so tied scores count half, as auc() does). */
  auc: number;
}

/** Indices of the scores, highest first. */
function descending(scores: ArrayLike<number>): Uint32Array {
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => scores[b]! - scores[a]!);
}

function classCounts(anomalous: ArrayLike<boolean | number>): { pos: number; neg: number } {
  let pos = 0;
  for (let i = 0; i < anomalous.length; i++) if (anomalous[i]) pos++;
  return { pos, neg: anomalous.length - pos };
}

/**
 * The ROC curve of `scores` (higher = more anomalous) against the known anomalies, sklearn's
 * roc_curve without dropping collinear points. Needs at least one anomaly and one normal.
 */
export function rocCurve(scores: ArrayLike<number>, anomalous: ArrayLike<boolean | number>): RocCurve {
  checkPairs(scores, anomalous, 'rocCurve');
  const { pos, neg } = classCounts(anomalous);
  if (pos === 0 || neg === 0) {
    throw new ArgumentError(`rocCurve: needs both anomalies and normal samples, found ${pos} anomalies and ${neg} normal samples`);
  }
  const order = descending(scores);
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  let area = 0;
  for (let k = 0; k < order.length; ) {
    // Every sample of one score moves the curve at once: a diagonal step for a tie.
    const s = scores[order[k]!]!;
    for (; k < order.length && scores[order[k]!] === s; k++) anomalous[order[k]!] ? tp++ : fp++;
    const x = fp / neg;
    const y = tp / pos;
    area += ((x - fpr.at(-1)!) * (y + tpr.at(-1)!)) / 2;
    fpr.push(x);
    tpr.push(y);
    thresholds.push(s);
  }
  return { fpr: Float64Array.from(fpr), tpr: Float64Array.from(tpr), thresholds: Float64Array.from(thresholds), auc: area };
}

/**
 * ROC AUC exactly, as the Mann-Whitney statistic: the share of (anomaly, normal) pairs in
 * which the anomaly scores higher, a tie counting one half. Computed from mid-ranks in
 * O(n log n): U = (sum of the anomalies' ranks) - pos (pos + 1) / 2, AUC = U / (pos neg).
 */
export function rocAuc(scores: ArrayLike<number>, anomalous: ArrayLike<boolean | number>): number {
  checkPairs(scores, anomalous, 'rocAuc');
  const { pos, neg } = classCounts(anomalous);
  if (pos === 0 || neg === 0) {
    throw new ArgumentError(`rocAuc: needs both anomalies and normal samples, found ${pos} anomalies and ${neg} normal samples`);
  }
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  for (let k = 0; k < order.length; ) {
    let end = k;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[k]!]) end++;
    // Ranks k + 1 .. end + 1 share their mean.
    const mid = (k + end + 2) / 2;
    for (let j = k; j <= end; j++) if (anomalous[order[j]!]) rankSum += mid;
    k = end + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
