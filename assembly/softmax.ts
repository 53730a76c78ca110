// Softmax over the last axis, and sparse categorical cross-entropy fused with it from
// logits (Keras' SparseCategoricalCrossentropy(from_logits=True)). x is [rows, cols],
// one row per sample, one column per class; labels are int32 class indices, one per
// row (labels[r] at byte address 4 (labels + r)). Every pass overwrites its outputs.
//
// Stable in float32 for any logits: each row is shifted by its maximum m, so every exp
// argument is <= 0 and the sum s = Σ exp(x - m) lies in [1, cols]; the loss is
// (m - x[label]) + log(s), never log(exp(.)) of a large number, so logits 1e4 apart cost
// only the rounding of m - x[label]; when the label holds the maximum it is log1p of the
// other classes' sum, so a confident row's small loss keeps its relative precision.
// Measured against float64 from the same float32 logits (scripts/softmax-timing.mts, 20,000
// rows of 10 classes, logits uniform in ±1 to ±1e4, both builds): loss within 8.6 u
// relative, gradient within 4.5 u times scale (u = 2^-24). A NaN anywhere in a row makes its loss and gradient
// NaN (f32x4.max and f32.max propagate NaN, and s is NaN). A label outside [0, cols) is
// never used as an address: its row's loss and gradient are NaN (the TypeScript side
// rejects such labels before calling; see src/kernels/labels.ts).
//
// Every row is computed by one pass of the same code (SIMD body, then scalar tail, whose
// exp performs exactly the vector exp's operations), so a row's bits do not depend on
// which thread computes it.

import { hsum } from './simd';
import { expv, exps, logs } from './vmath';

/** max over x[0 .. cols) (byte address xp), NaN if any element is NaN. */
@inline function rowMax(xp: usize, cols: i32): f32 {
  const c4 = cols & ~3;
  let m: f32 = -Infinity;
  if (c4 > 0) {
    let mv = v128.load(xp);
    for (let c = 4; c < c4; c += 4) mv = f32x4.max(mv, v128.load(xp + (<usize>c << 2)));
    m = Mathf.max(
      Mathf.max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)),
      Mathf.max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)),
    );
  }
  for (let c = c4; c < cols; c++) m = Mathf.max(m, load<f32>(xp + (<usize>c << 2)));
  return m;
}

/**
 * Σ exp(x - m) over the row but column `skip` (-1: none); with `keep`, also stores every
 * e = exp(x - m), the skipped one included, at ep (ep may equal xp). Leaving the label's
 * term out keeps o = Σ_{c != label} e_c exact to rounding, so a confident row's loss
 * log1p(o) and gradient -o / s keep their digits where 1 + o rounds to 1.
 */
@inline function expSum(xp: usize, ep: usize, cols: i32, m: f32, keep: bool, skip: i32): f32 {
  const c4 = cols & ~3;
  const mv = f32x4.splat(m);
  const sv = i32x4.splat(skip);
  let idx = i32x4(0, 1, 2, 3);
  let acc = f32x4.splat(0);
  for (let c = 0; c < c4; c += 4) {
    const o = <usize>c << 2;
    const e = expv(f32x4.sub(v128.load(xp + o), mv));
    if (keep) v128.store(ep + o, e);
    acc = f32x4.add(acc, v128.andnot(e, i32x4.eq(idx, sv)));
    idx = i32x4.add(idx, i32x4.splat(4));
  }
  let s = hsum(acc);
  for (let c = c4; c < cols; c++) {
    const o = <usize>c << 2;
    const e = exps(load<f32>(xp + o) - m);
    if (keep) store<f32>(ep + o, e);
    if (c != skip) s += e;
  }
  return s;
}

/** log(1 + u) for u >= 0 (Goldberg: w = 1 + u rounds, log(w) u / (w - 1) cancels it; NaN stays NaN). */
@inline function log1ps(u: f32): f32 {
  const w = <f32>1.0 + u;
  const d = w - <f32>1.0;
  return d == 0 ? u : logs(w) * (u / d);
}

/** y[0 .. cols) *= k (byte address yp). */
@inline function scaleRow(yp: usize, cols: i32, k: f32): void {
  const c4 = cols & ~3;
  const kv = f32x4.splat(k);
  for (let c = 0; c < c4; c += 4) {
    const o = <usize>c << 2;
    v128.store(yp + o, f32x4.mul(v128.load(yp + o), kv));
  }
  for (let c = c4; c < cols; c++) {
    const o = <usize>c << 2;
    store<f32>(yp + o, load<f32>(yp + o) * k);
  }
}

@inline function fillRow(yp: usize, cols: i32, v: f32): void {
  for (let c = 0; c < cols; c++) store<f32>(yp + (<usize>c << 2), v);
}

/** Overwrites y[r, c] = exp(x[r, c] - m_r) / Σ_c exp(x[r, c] - m_r). y may equal x. */
export function softmaxForward(x: i32, y: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const base = <usize>(r * cols) << 2;
    const xp = (<usize>x << 2) + base;
    const yp = (<usize>y << 2) + base;
    const m = rowMax(xp, cols);
    const s = expSum(xp, yp, cols, m, true, -1);
    const sv = f32x4.splat(s);
    const c4 = cols & ~3;
    // Divide rather than multiply by 1 / s: one rounding per probability, as Keras.
    for (let c = 0; c < c4; c += 4) {
      const o = <usize>c << 2;
      v128.store(yp + o, f32x4.div(v128.load(yp + o), sv));
    }
    for (let c = c4; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(yp + o, load<f32>(yp + o) / s);
    }
  }
}

/**
 * The row's loss (m - x[label]) + log(s), or NaN for a label outside [0, cols); with
 * `grad`, also overwrites the row of dx with scale (softmax - onehot(label)).
 */
@inline function crossEntropyRow(xp: usize, label: i32, dxp: usize, cols: i32, scale: f32, grad: bool): f32 {
  if (<u32>label >= <u32>cols) {
    if (grad) fillRow(dxp, cols, NaN);
    return NaN;
  }
  // Read before the exp pass, which may overwrite x when dx aliases it.
  const xl = load<f32>(xp + (<usize>label << 2));
  const m = rowMax(xp, cols);
  const o = expSum(xp, dxp, cols, m, grad, label);
  // exp(x[label] - m) by the same operations as the pass: the bits it stored.
  const s = o + exps(xl - m);
  if (grad) {
    scaleRow(dxp, cols, scale / s);
    // softmax - 1 at the label is -o / s, without the cancellation of p - 1.
    store<f32>(dxp + (<usize>label << 2), -(scale * (o / s)));
  }
  // The label holds the maximum: -log p = log(s) = log1p(o), accurate however small.
  // Else (m - x[label]) + log(s) >= log 2; logs reads bits (it maps NaN to a finite
  // number), so a NaN sum is kept NaN.
  if (xl == m) return log1ps(o);
  return (m - xl) + (s != s ? s : logs(s));
}

/**
 * Overwrites loss[r] = -log softmax(x[r])[labels[r]] and dx = scale (softmax(x) - onehot):
 * the fused forward and backward. The caller averages loss over the batch and passes
 * scale = weight / rows for Keras' mean. dx may equal x.
 */
export function softmaxCrossEntropy(x: i32, labels: i32, loss: i32, dx: i32, rows: i32, cols: i32, scale: f32): void {
  for (let r = 0; r < rows; r++) {
    const base = <usize>(r * cols) << 2;
    const label = load<i32>((<usize>labels << 2) + (<usize>r << 2));
    const l = crossEntropyRow((<usize>x << 2) + base, label, (<usize>dx << 2) + base, cols, scale, true);
    store<f32>((<usize>loss << 2) + (<usize>r << 2), l);
  }
}

/** Overwrites loss[r] = -log softmax(x[r])[labels[r]] only (evaluation: no gradient, x untouched). */
export function softmaxCrossEntropyForward(x: i32, labels: i32, loss: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const base = <usize>(r * cols) << 2;
    const label = load<i32>((<usize>labels << 2) + (<usize>r << 2));
    const l = crossEntropyRow((<usize>x << 2) + base, label, 0, cols, 0, false);
    store<f32>((<usize>loss << 2) + (<usize>r << 2), l);
  }
}
