// BatchNormalization over the last axis (Keras axis=-1): x is [rows, cols] row-major with
// rows = batch (x H x W for NHWC) and one column per feature or channel. Forward and
// backward side by side:
//   training:  batchNormStats (batch mean, biased variance) -> batchNormForward with them;
//              after an accepted step, batchNormMovingUpdate folds them into the moving ones
//   inference: batchNormForward with the moving statistics
//   backward:  batchNormBackward (the column sums, = d_beta and d_gamma) ->
//              batchNormBackwardInput (d_input from those sums)
// y = (x - mean) * gamma / sqrt(variance + epsilon) + beta; gamma < 0 (no scale) means 1,
// beta < 0 (no center) means 0.
//
// Reductions (the statistics, the column sums) run on one thread, column by column in
// row order, accumulated in float64: their result does not depend on how columns are
// grouped into vectors or on the thread count. The elementwise passes (forward, d_input)
// compute each element from its row alone, so the thread pool splits them by rows.

/** Rows per block of the elementwise passes: a block's per-column factors are computed once. */
const ROW_BLOCK = 64;

@inline function lo2(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

@inline function hi2(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** Four float32 lanes from two float64x2 halves (each lane rounded once). */
@inline function join(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5);
}

/**
 * Overwrites mean[c] and variance[c] with column c's mean and biased variance (divided by
 * rows, as Keras' ops.moments) over the rows of x [rows, cols]: two passes (the mean, then
 * the squared deviations from it), float64 sums in row order. rows >= 1.
 */
export function batchNormStats(x: i32, mean: i32, variance: i32, rows: i32, cols: i32): void {
  const xp = <usize>x << 2;
  const mp = <usize>mean << 2;
  const vp = <usize>variance << 2;
  const rowBytes = <usize>cols << 2;
  const inv: f64 = 1.0 / <f64>rows;
  const invv = f64x2.splat(inv);
  const c4 = cols & ~3;
  let c = 0;
  for (; c < c4; c += 4) {
    const col = xp + (<usize>c << 2);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let p = col;
    for (let r = 0; r < rows; r++) {
      const v = v128.load(p);
      s0 = f64x2.add(s0, lo2(v));
      s1 = f64x2.add(s1, hi2(v));
      p += rowBytes;
    }
    const m0 = f64x2.mul(s0, invv);
    const m1 = f64x2.mul(s1, invv);
    let q0 = f64x2.splat(0);
    let q1 = f64x2.splat(0);
    p = col;
    for (let r = 0; r < rows; r++) {
      const v = v128.load(p);
      const d0 = f64x2.sub(lo2(v), m0);
      const d1 = f64x2.sub(hi2(v), m1);
      q0 = f64x2.add(q0, f64x2.mul(d0, d0));
      q1 = f64x2.add(q1, f64x2.mul(d1, d1));
      p += rowBytes;
    }
    v128.store(mp + (<usize>c << 2), join(m0, m1));
    v128.store(vp + (<usize>c << 2), join(f64x2.mul(q0, invv), f64x2.mul(q1, invv)));
  }
  for (; c < cols; c++) {
    const col = xp + (<usize>c << 2);
    let s: f64 = 0;
    for (let r = 0; r < rows; r++) s += <f64>load<f32>(col + <usize>r * rowBytes);
    const m = s * inv;
    let q: f64 = 0;
    for (let r = 0; r < rows; r++) {
      const d = <f64>load<f32>(col + <usize>r * rowBytes) - m;
      q += d * d;
    }
    store<f32>(mp + (<usize>c << 2), <f32>m);
    store<f32>(vp + (<usize>c << 2), <f32>(q * inv));
  }
}

/**
 * Overwrites movingMean and movingVariance with moving * momentum + batch * (1 - momentum)
 * (Keras' update, with the biased batch variance), each element computed in float64 and
 * rounded once.
 */
export function batchNormMovingUpdate(mean: i32, variance: i32, movingMean: i32, movingVariance: i32, cols: i32, momentum: f32): void {
  const mom = <f64>momentum;
  const rest = 1.0 - mom;
  for (let c = 0; c < cols; c++) {
    const o = <usize>c << 2;
    const mm = (<usize>movingMean << 2) + o;
    const mv = (<usize>movingVariance << 2) + o;
    store<f32>(mm, <f32>(<f64>load<f32>(mm) * mom + <f64>load<f32>((<usize>mean << 2) + o) * rest));
    store<f32>(mv, <f32>(<f64>load<f32>(mv) * mom + <f64>load<f32>((<usize>variance << 2) + o) * rest));
  }
}

/** gamma / sqrt(variance + epsilon) for columns c..c+3 (gamma < 0: 1 / sqrt(...)). */
@inline function scaleAt(variance: usize, gamma: i32, c: i32, eps: v128): v128 {
  const o = <usize>c << 2;
  const g = gamma < 0 ? f32x4.splat(1) : v128.load((<usize>gamma << 2) + o);
  return f32x4.div(g, f32x4.sqrt(f32x4.add(v128.load(variance + o), eps)));
}

@inline function scaleAt1(variance: usize, gamma: i32, c: i32, eps: f32): f32 {
  const o = <usize>c << 2;
  const g: f32 = gamma < 0 ? 1 : load<f32>((<usize>gamma << 2) + o);
  return g / Mathf.sqrt(load<f32>(variance + o) + eps);
}

/**
 * Overwrites y[r, c] = (x[r, c] - mean[c]) * gamma[c] / sqrt(variance[c] + epsilon) + beta[c]
 * (float32: sub, mul, add, unfused on every build). Training passes the batch statistics,
 * inference the moving ones. y may equal x.
 */
export function batchNormForward(x: i32, mean: i32, variance: i32, gamma: i32, beta: i32, y: i32, rows: i32, cols: i32, epsilon: f32): void {
  const xp = <usize>x << 2;
  const yp = <usize>y << 2;
  const mp = <usize>mean << 2;
  const vp = <usize>variance << 2;
  const rowBytes = <usize>cols << 2;
  const eps = f32x4.splat(epsilon);
  const c4 = cols & ~3;
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const r1 = min(rows, r0 + ROW_BLOCK);
    let c = 0;
    for (; c < c4; c += 4) {
      const o = <usize>c << 2;
      const m = v128.load(mp + o);
      const s = scaleAt(vp, gamma, c, eps);
      const b = beta < 0 ? f32x4.splat(0) : v128.load((<usize>beta << 2) + o);
      let p = <usize>r0 * rowBytes + o;
      for (let r = r0; r < r1; r++) {
        v128.store(yp + p, f32x4.add(f32x4.mul(f32x4.sub(v128.load(xp + p), m), s), b));
        p += rowBytes;
      }
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      const m = load<f32>(mp + o);
      const s = scaleAt1(vp, gamma, c, epsilon);
      const b: f32 = beta < 0 ? 0 : load<f32>((<usize>beta << 2) + o);
      let p = <usize>r0 * rowBytes + o;
      for (let r = r0; r < r1; r++) {
        store<f32>(yp + p, (load<f32>(xp + p) - m) * s + b);
        p += rowBytes;
      }
    }
  }
}

/**
 * Overwrites dbeta[c] = sum over rows of dy[r, c] and dgamma[c] = sum of dy[r, c] * xhat[r, c],
 * xhat = (x - mean) / sqrt(variance + epsilon) (float32), summed in float64 in row order.
 * With center/scale off the layer points these at scratch: batchNormBackwardInput needs them.
 */
export function batchNormBackward(x: i32, dy: i32, mean: i32, variance: i32, dgamma: i32, dbeta: i32, rows: i32, cols: i32, epsilon: f32): void {
  const xp = <usize>x << 2;
  const dyp = <usize>dy << 2;
  const mp = <usize>mean << 2;
  const vp = <usize>variance << 2;
  const rowBytes = <usize>cols << 2;
  const eps = f32x4.splat(epsilon);
  const c4 = cols & ~3;
  let c = 0;
  for (; c < c4; c += 4) {
    const o = <usize>c << 2;
    const m = v128.load(mp + o);
    const is = scaleAt(vp, -1, c, eps);
    let b0 = f64x2.splat(0);
    let b1 = f64x2.splat(0);
    let g0 = f64x2.splat(0);
    let g1 = f64x2.splat(0);
    let p = o;
    for (let r = 0; r < rows; r++) {
      const d = v128.load(dyp + p);
      const dh = f32x4.mul(d, f32x4.mul(f32x4.sub(v128.load(xp + p), m), is));
      b0 = f64x2.add(b0, lo2(d));
      b1 = f64x2.add(b1, hi2(d));
      g0 = f64x2.add(g0, lo2(dh));
      g1 = f64x2.add(g1, hi2(dh));
      p += rowBytes;
    }
    v128.store((<usize>dbeta << 2) + o, join(b0, b1));
    v128.store((<usize>dgamma << 2) + o, join(g0, g1));
  }
  for (; c < cols; c++) {
    const o = <usize>c << 2;
    const m = load<f32>(mp + o);
    const is = scaleAt1(vp, -1, c, epsilon);
    let sb: f64 = 0;
    let sg: f64 = 0;
    let p = o;
    for (let r = 0; r < rows; r++) {
      const d = load<f32>(dyp + p);
      sb += <f64>d;
      sg += <f64>(d * ((load<f32>(xp + p) - m) * is));
      p += rowBytes;
    }
    store<f32>((<usize>dbeta << 2) + o, <f32>sb);
    store<f32>((<usize>dgamma << 2) + o, <f32>sg);
  }
}

/**
 * Overwrites dx[r, c] = gamma[c] / sigma[c] * (dy[r, c] - dbeta[c] / count - xhat[r, c] * dgamma[c] / count)
 * with sigma = sqrt(variance + epsilon) and dbeta / dgamma the sums of batchNormBackward over
 * all `count` rows of the batch (`rows` may be a thread's share of them). dx may equal dy.
 */
export function batchNormBackwardInput(
  x: i32, dy: i32, mean: i32, variance: i32, gamma: i32, dgamma: i32, dbeta: i32, dx: i32, rows: i32, cols: i32, count: i32, epsilon: f32,
): void {
  const xp = <usize>x << 2;
  const dyp = <usize>dy << 2;
  const dxp = <usize>dx << 2;
  const mp = <usize>mean << 2;
  const vp = <usize>variance << 2;
  const rowBytes = <usize>cols << 2;
  const eps = f32x4.splat(epsilon);
  const invN: f32 = 1.0 / <f32>count;
  const invNv = f32x4.splat(invN);
  const c4 = cols & ~3;
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const r1 = min(rows, r0 + ROW_BLOCK);
    let c = 0;
    for (; c < c4; c += 4) {
      const o = <usize>c << 2;
      const m = v128.load(mp + o);
      const is = scaleAt(vp, -1, c, eps);
      const s = gamma < 0 ? is : f32x4.mul(v128.load((<usize>gamma << 2) + o), is);
      const kb = f32x4.mul(v128.load((<usize>dbeta << 2) + o), invNv);
      const kg = f32x4.mul(v128.load((<usize>dgamma << 2) + o), invNv);
      let p = <usize>r0 * rowBytes + o;
      for (let r = r0; r < r1; r++) {
        const xh = f32x4.mul(f32x4.sub(v128.load(xp + p), m), is);
        const g = f32x4.sub(f32x4.sub(v128.load(dyp + p), kb), f32x4.mul(xh, kg));
        v128.store(dxp + p, f32x4.mul(s, g));
        p += rowBytes;
      }
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      const m = load<f32>(mp + o);
      const is = scaleAt1(vp, -1, c, epsilon);
      const s: f32 = gamma < 0 ? is : load<f32>((<usize>gamma << 2) + o) * is;
      const kb = load<f32>((<usize>dbeta << 2) + o) * invN;
      const kg = load<f32>((<usize>dgamma << 2) + o) * invN;
      let p = <usize>r0 * rowBytes + o;
      for (let r = r0; r < r1; r++) {
        const xh = (load<f32>(xp + p) - m) * is;
        store<f32>(dxp + p, s * (load<f32>(dyp + p) - kb - xh * kg));
        p += rowBytes;
      }
    }
  }
}
