// Losses: forward kernels write per-row sums (so callers get per-sample errors and, by
// summing, totals); backward kernels overwrite their gradient outputs with
// scale * d(sum)/d(input), and the caller picks scale (1 / elements for Keras' mean,
// 1 / batch for per-sample sums averaged).
// Also the VAE's KL term and reparameterisation.

import { hsum } from './simd';
import { expv, exps, logv, logs, sigmoidv, sigmoids } from './vmath';

const BCE_EPS: f32 = 1e-7;
const ONE: f32 = 1.0;
const BCE_HI: f32 = ONE - BCE_EPS;

// The forwards share one row-sum loop, specialised per loss by a constant `kind` that
// inlining folds away: each element's term in SIMD lanes, the lanes summed, the row's
// tail in scalars; KL's sum is scaled by -0.5 at the end.
const LOSS_MSE = 0;
const LOSS_BCE = 1;
const LOSS_BCE_LOGITS = 2;
const LOSS_KL = 3;

@inline function termv(kind: i32, a: v128, b: v128): v128 {
  if (kind == LOSS_MSE) {
    const d = f32x4.sub(a, b);
    return f32x4.mul(d, d);
  }
  if (kind == LOSS_BCE) return bcev(a, b);
  if (kind == LOSS_BCE_LOGITS) return bceLogitsv(a, b);
  // KL: a = mu, b = log-variance.
  return f32x4.sub(f32x4.sub(f32x4.add(f32x4.splat(1.0), b), f32x4.mul(a, a)), expv(b));
}

@inline function terms(kind: i32, a: f32, b: f32): f32 {
  if (kind == LOSS_MSE) {
    const d = a - b;
    return d * d;
  }
  if (kind == LOSS_BCE) return bces(a, b);
  if (kind == LOSS_BCE_LOGITS) return bceLogitss(a, b);
  return ONE + b - a * a - exps(b);
}

/** out[r] = sum over c of term(a[r, c], b[r, c]) (byte addresses). */
@inline function rowSums(kind: i32, ap: usize, bp: usize, op: usize, rows: i32, cols: i32): void {
  const c4 = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const base = <usize>(r * cols) << 2;
    let acc = f32x4.splat(0);
    for (let c = 0; c < c4; c += 4) {
      const o = base + (<usize>c << 2);
      acc = f32x4.add(acc, termv(kind, v128.load(ap + o), v128.load(bp + o)));
    }
    let s = hsum(acc);
    for (let c = c4; c < cols; c++) {
      const o = base + (<usize>c << 2);
      s += terms(kind, load<f32>(ap + o), load<f32>(bp + o));
    }
    store<f32>(op + (<usize>r << 2), kind == LOSS_KL ? -0.5 * s : s);
  }
}

/** out[r] = sum over c of (p - t)². */
export function mseForward(p: i32, t: i32, out: i32, rows: i32, cols: i32): void {
  rowSums(LOSS_MSE, <usize>p << 2, <usize>t << 2, <usize>out << 2, rows, cols);
}

/** Overwrites dp = scale 2 (p - t). */
export function mseBackward(p: i32, t: i32, dp: i32, n: i32, scale: f32): void {
  const pp = <usize>p << 2, tp = <usize>t << 2, dpp = <usize>dp << 2;
  const s2 = scale * 2.0;
  const sv = f32x4.splat(s2);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dpp + o, f32x4.mul(sv, f32x4.sub(v128.load(pp + o), v128.load(tp + o))));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dpp + o, s2 * (load<f32>(pp + o) - load<f32>(tp + o)));
  }
}

// Keras: p clipped to [eps, 1 - eps], then -(t log(p + eps) + (1 - t) log(1 - p + eps)).
@inline function bcev(p: v128, t: v128): v128 {
  const one = f32x4.splat(1.0);
  const eps = f32x4.splat(BCE_EPS);
  const pc = f32x4.pmin(f32x4.pmax(p, eps), f32x4.splat(BCE_HI));
  const a = f32x4.mul(t, logv(f32x4.add(pc, eps)));
  const b = f32x4.mul(f32x4.sub(one, t), logv(f32x4.add(f32x4.sub(one, pc), eps)));
  return f32x4.neg(f32x4.add(a, b));
}

@inline function bces(p: f32, t: f32): f32 {
  let pc = p < BCE_EPS ? BCE_EPS : p;
  pc = BCE_HI < pc ? BCE_HI : pc;
  const a = t * logs(pc + BCE_EPS);
  const b = (ONE - t) * logs(ONE - pc + BCE_EPS);
  return -(a + b);
}

export function bceForward(p: i32, t: i32, out: i32, rows: i32, cols: i32): void {
  rowSums(LOSS_BCE, <usize>p << 2, <usize>t << 2, <usize>out << 2, rows, cols);
}

/** Overwrites dp = scale d/dp (clipped BCE): 0 where p lies outside [eps, 1 - eps]. */
export function bceBackward(p: i32, t: i32, dp: i32, n: i32, scale: f32): void {
  const pp = <usize>p << 2, tp = <usize>t << 2, dpp = <usize>dp << 2;
  const one = f32x4.splat(1.0);
  const eps = f32x4.splat(BCE_EPS);
  const hi = f32x4.splat(BCE_HI);
  const sv = f32x4.splat(scale);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const pv = v128.load(pp + o);
    const tv = v128.load(tp + o);
    // d/dp = (1 - t) / (1 - p + eps) - t / (p + eps)
    const g = f32x4.sub(f32x4.div(f32x4.sub(one, tv), f32x4.add(f32x4.sub(one, pv), eps)), f32x4.div(tv, f32x4.add(pv, eps)));
    const inside = v128.and(f32x4.ge(pv, eps), f32x4.le(pv, hi));
    v128.store(dpp + o, v128.and(f32x4.mul(sv, g), inside));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(pp + o);
    const tv = load<f32>(tp + o);
    const g = (ONE - tv) / (ONE - pv + BCE_EPS) - tv / (pv + BCE_EPS);
    store<f32>(dpp + o, pv >= BCE_EPS && pv <= BCE_HI ? scale * g : <f32>0);
  }
}

// From logits: max(x, 0) - x t + log(1 + exp(-|x|)).
@inline function bceLogitsv(x: v128, t: v128): v128 {
  const zero = f32x4.splat(0);
  const sp = logv(f32x4.add(f32x4.splat(1.0), expv(f32x4.neg(f32x4.abs(x)))));
  return f32x4.add(f32x4.sub(f32x4.pmax(x, zero), f32x4.mul(x, t)), sp);
}

@inline function bceLogitss(x: f32, t: f32): f32 {
  const sp = logs(ONE + exps(-Mathf.abs(x)));
  return ((x < 0 ? 0 : x) - x * t) + sp;
}

export function bceLogitsForward(x: i32, t: i32, out: i32, rows: i32, cols: i32): void {
  rowSums(LOSS_BCE_LOGITS, <usize>x << 2, <usize>t << 2, <usize>out << 2, rows, cols);
}

/** Overwrites dx = scale (sigmoid(x) - t). */
export function bceLogitsBackward(x: i32, t: i32, dx: i32, n: i32, scale: f32): void {
  const xp = <usize>x << 2, tp = <usize>t << 2, dxp = <usize>dx << 2;
  const sv = f32x4.splat(scale);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dxp + o, f32x4.mul(sv, f32x4.sub(sigmoidv(v128.load(xp + o)), v128.load(tp + o))));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dxp + o, scale * (sigmoids(load<f32>(xp + o)) - load<f32>(tp + o)));
  }
}

/** out[r] = -0.5 sum over c of (1 + lv - mu² - exp(lv)). */
export function klForward(mu: i32, lv: i32, out: i32, rows: i32, cols: i32): void {
  rowSums(LOSS_KL, <usize>mu << 2, <usize>lv << 2, <usize>out << 2, rows, cols);
}

/** Overwrites dmu = scale mu, dlv = scale 0.5 (exp(lv) - 1). */
export function klBackward(mu: i32, lv: i32, dmu: i32, dlv: i32, n: i32, scale: f32): void {
  const mp = <usize>mu << 2, lp = <usize>lv << 2, dmp = <usize>dmu << 2, dlp = <usize>dlv << 2;
  const sv = f32x4.splat(scale);
  const hv = f32x4.splat(0.5 * scale);
  const one = f32x4.splat(1.0);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dmp + o, f32x4.mul(sv, v128.load(mp + o)));
    v128.store(dlp + o, f32x4.mul(hv, f32x4.sub(expv(v128.load(lp + o)), one)));
  }
  const h: f32 = 0.5 * scale;
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dmp + o, scale * load<f32>(mp + o));
    store<f32>(dlp + o, h * (exps(load<f32>(lp + o)) - ONE));
  }
}

/** z = mu + exp(lv / 2) eps */
export function reparamForward(mu: i32, lv: i32, eps: i32, z: i32, n: i32): void {
  const mp = <usize>mu << 2, lp = <usize>lv << 2, ep = <usize>eps << 2, zp = <usize>z << 2;
  const half = f32x4.splat(0.5);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const sd = expv(f32x4.mul(half, v128.load(lp + o)));
    v128.store(zp + o, f32x4.add(v128.load(mp + o), f32x4.mul(sd, v128.load(ep + o))));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const sd = exps(0.5 * load<f32>(lp + o));
    store<f32>(zp + o, load<f32>(mp + o) + sd * load<f32>(ep + o));
  }
}

/** Overwrites dmu = dz and dlv = dz 0.5 exp(lv / 2) eps. */
export function reparamBackward(dz: i32, lv: i32, eps: i32, dmu: i32, dlv: i32, n: i32): void {
  const dzp = <usize>dz << 2, lp = <usize>lv << 2, ep = <usize>eps << 2, dmp = <usize>dmu << 2, dlp = <usize>dlv << 2;
  const half = f32x4.splat(0.5);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const d = v128.load(dzp + o);
    const sd = expv(f32x4.mul(half, v128.load(lp + o)));
    v128.store(dmp + o, d);
    v128.store(dlp + o, f32x4.mul(f32x4.mul(d, half), f32x4.mul(sd, v128.load(ep + o))));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(dzp + o);
    const sd = exps(0.5 * load<f32>(lp + o));
    store<f32>(dmp + o, d);
    store<f32>(dlp + o, (d * 0.5) * (sd * load<f32>(ep + o)));
  }
}
