// The JS baseline: plain TypeScript loops that define what every kernel computes. It is
// the specification the WASM kernels are tested against, written for clarity. It runs
// over a Float32 heap (the baseline backend) or a Float64 heap (gradient checks).

import { ArgumentError } from '../errors.js';
import { Act, type Kernels } from './kernels.js';
import { ArrayStorage, Heap, type HeapArray, type HeapDtype } from './heap.js';
import { normalAt, uniformAt } from './random.js';
import { expF32, sigmoidF32, tanhF32 } from './vmath-spec.js';

// Keras clips BCE's p in float32: to [float32(1e-7), float32(1 - 1e-7)] = [1e-7, 1 - 2^-23]
// (0.99999988, not 0.9999999), and adds float32(1e-7) inside the logs.
const BCE_EPS = Math.fround(1e-7);
const BCE_HI = Math.fround(1 - BCE_EPS);

/** Keras' selu constants (keras.activations.selu). */
const SELU_ALPHA = 1.67326324;
const SELU_SCALE = 1.05070098;
/** gelu's tanh form as x sigmoid(v), v = 2 sqrt(2/pi) (x + 0.044715 x^3) (see geluTanhSlope). */
const GELU_K = 2 * Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;
const ACT_CODES = `expected 0 to ${Math.max(...Object.values(Act))} (kernels.ts Act)`;

function activate(x: number, act: number, alpha: number): number {
  switch (act) {
    case Act.linear:
      return x;
    case Act.relu:
      return x < 0 ? 0 : x;
    case Act.leakyRelu:
      return x < 0 ? alpha * x : x;
    case Act.sigmoid:
      return 1 / (1 + Math.exp(-x));
    case Act.tanh:
      return Math.tanh(x);
    case Act.exp:
      return Math.exp(x);
    case Act.elu:
      return x > 0 ? x : alpha * Math.expm1(x);
    case Act.selu:
      return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case Act.gelu:
      return x * normalCdf(x);
    case Act.geluTanh:
      // 0.5 x (1 + tanh(a)) with a = v / 2 equals x sigmoid(v), and keeps the lower tail.
      return x / (1 + Math.exp(-GELU_K * (x + GELU_CUBIC * x * x * x)));
    case Act.softplus:
      // log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|).
      return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    case Act.silu:
      return x / (1 + Math.exp(-x));
    default:
      throw new ArgumentError(`unknown activation code ${act}: ${ACT_CODES}`);
  }
}

/**
 * d act / d x expressed through the output y — or, for gelu, gelu tanh and silu
 * (actBackwardReadsInput), through the input x, passed in y's place.
 */
function activationSlope(y: number, act: number, alpha: number): number {
  switch (act) {
    case Act.linear:
      return 1;
    case Act.relu:
      return y > 0 ? 1 : 0;
    case Act.leakyRelu:
      return y > 0 ? 1 : alpha;
    case Act.sigmoid:
      return y * (1 - y);
    case Act.tanh:
      return 1 - y * y;
    case Act.exp:
      return y;
    case Act.elu:
      return y > 0 ? 1 : y + alpha;
    case Act.selu:
      return y > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA;
    case Act.softplus:
      return -Math.expm1(-y);
    case Act.gelu:
      return normalCdf(y) + y * Math.exp(-0.5 * y * y) / Math.sqrt(2 * Math.PI);
    case Act.geluTanh:
      return geluTanhSlope(y);
    case Act.silu: {
      const s = 1 / (1 + Math.exp(-y));
      return s * (1 + y * (1 - s));
    }
    default:
      throw new ArgumentError(`unknown activation code ${act}: ${ACT_CODES}`);
  }
}

function geluTanhSlope(x: number): number {
  // Past |x| = 30 the slope is 0 or 1 to far below float64 precision; the clamp keeps x^3 finite.
  const c = Math.min(Math.max(x, -30), 30);
  const s = 1 / (1 + Math.exp(-GELU_K * (c + GELU_CUBIC * c * c * c)));
  return s + c * s * (1 - s) * GELU_K * (1 + 3 * GELU_CUBIC * c * c);
}

/** Phi(x) = P(X <= x) for X ~ N(0, 1), to float64 precision (relative, in both tails). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/**
 * erfc in float64: below z = 2 as 1 - erf(z) from erf's series of positive terms,
 * erf(z) = 2/sqrt(pi) e^(-z^2) sum 2^n z^(2n+1) / (1 3 5 ... (2n+1)) (no cancellation;
 * 1 - erf(z) keeps 13 digits there, erfc(2) = 0.0047); above, Laplace's continued fraction
 * erfc(z) = e^(-z^2) / sqrt(pi) / (z + (1/2) / (z + 1 / (z + (3/2) / (z + ...)))), 120 terms deep.
 */
export function erfc(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z < 0) return 2 - erfc(-z);
  if (z < 2) {
    let term = z;
    let sum = z;
    for (let n = 1; term > 1e-17 * sum; n++) {
      term *= (2 * z * z) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) * sum;
  }
  if (z === Infinity) return 0;
  let f = z;
  for (let k = 120; k >= 1; k--) f = z + k / 2 / f;
  return Math.exp(-z * z) / (Math.sqrt(Math.PI) * f);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const fr = Math.fround;

/**
 * The float32 heap's activation of a float32 v: sigmoid, tanh and exp as the WASM kernels
 * compute them, operation for operation (vmath-spec.ts); the rest as in float64.
 */
function activateF32(v: number, act: number, alpha: number): number {
  if (act === Act.sigmoid) return sigmoidF32(v);
  if (act === Act.tanh) return tanhF32(v);
  if (act === Act.exp) return expF32(v);
  return activate(v, act, alpha);
}

/** dy act'(y) on the float32 heap: sigmoid's and tanh's slopes rounded step by step as in WASM. */
function activationGradF32(y: number, dy: number, act: number, alpha: number): number {
  if (act === Act.sigmoid) return fr(dy * fr(y * fr(1 - y)));
  if (act === Act.tanh) return fr(dy * fr(1 - fr(y * y)));
  return dy * activationSlope(y, act, alpha);
}

export class JsKernels implements Kernels {
  readonly backend = 'js' as const;
  readonly build: string;
  readonly heap: Heap;
  /** A float32 heap: sigmoid, tanh and exp follow the WASM kernels' float32 operations. */
  private readonly f32: boolean;

  constructor(dtype: HeapDtype = 'f32') {
    this.heap = new Heap(new ArrayStorage(dtype));
    this.build = dtype === 'f32' ? 'js' : 'js-f64';
    this.f32 = dtype === 'f32';
  }

  private get d(): HeapArray {
    return this.heap.data;
  }

  sgemm(
    transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
  ): void {
    const d = this.d;
    // Row i of C: scale by beta, then add alpha A[i, p] times row p of op(B) (i-k-j order).
    const aRow = transA ? 1 : lda;
    const aCol = transA ? lda : 1;
    const bRow = transB ? 1 : ldb;
    const bCol = transB ? ldb : 1;
    for (let i = 0; i < m; i++) {
      const ci = c + i * ldc;
      for (let j = 0; j < n; j++) d[ci + j] = beta === 0 ? 0 : beta * d[ci + j]!;
      for (let p = 0; p < k; p++) {
        const aip = alpha * d[a + i * aRow + p * aCol]!;
        const bp = b + p * bRow;
        for (let j = 0; j < n; j++) d[ci + j]! += aip * d[bp + j * bCol]!;
      }
    }
  }

  sgemmBiasAct(
    transA: number, transB: number, m: number, n: number, k: number,
    a: number, lda: number, b: number, ldb: number, c: number, ldc: number, bias: number, act: number, actAlpha: number,
  ): void {
    this.sgemm(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc);
    for (let i = 0; i < m; i++) this.biasActForward(c + i * ldc, bias, c + i * ldc, 1, n, act, actAlpha);
  }

  biasActForward(x: number, bias: number, y: number, rows: number, cols: number, act: number, alpha: number): void {
    const d = this.d;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) {
        // No bias: x itself (adding 0 would turn -0 into +0).
        const v = bias < 0 ? d[x + r * cols + j]! : d[x + r * cols + j]! + d[bias + j]!;
        d[y + r * cols + j] = this.f32 ? activateF32(fr(v), act, alpha) : activate(v, act, alpha);
      }
    }
  }

  actBackward(y: number, dy: number, dx: number, n: number, act: number, alpha: number): void {
    const d = this.d;
    if (this.f32) for (let i = 0; i < n; i++) d[dx + i] = activationGradF32(d[y + i]!, d[dy + i]!, act, alpha);
    else for (let i = 0; i < n; i++) d[dx + i] = d[dy + i]! * activationSlope(d[y + i]!, act, alpha);
  }

  biasBackward(dy: number, db: number, rows: number, cols: number): void {
    const d = this.d;
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += d[dy + r * cols + j]!;
      d[db + j] = s;
    }
  }

  fill(out: number, n: number, value: number): void {
    this.d.fill(value, out, out + n);
  }

  copy(src: number, dst: number, n: number): void {
    this.d.copyWithin(dst, src, src + n);
  }

  add(a: number, b: number, out: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[out + i] = d[a + i]! + d[b + i]!;
  }

  mul(a: number, b: number, out: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[out + i] = d[a + i]! * d[b + i]!;
  }

  scale(a: number, s: number, out: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[out + i] = s * d[a + i]!;
  }

  axpy(alpha: number, x: number, y: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[y + i]! += alpha * d[x + i]!;
  }

  exp(a: number, out: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[out + i] = this.f32 ? expF32(d[a + i]!) : Math.exp(d[a + i]!);
  }

  square(a: number, out: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[out + i] = d[a + i]! * d[a + i]!;
  }

  squareBackward(a: number, dy: number, dx: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[dx + i] = 2 * d[a + i]! * d[dy + i]!;
  }

  abs(a: number, out: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[out + i] = Math.abs(d[a + i]!);
  }

  sign(a: number, out: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[out + i] = signOf(d[a + i]!);
  }

  absBackward(a: number, dy: number, dx: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[dx + i] = signOf(d[a + i]!) * d[dy + i]!;
  }

  clip(a: number, lo: number, hi: number, out: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[out + i] = Math.min(Math.max(d[a + i]!, lo), hi);
  }

  clipBackward(a: number, dy: number, dx: number, lo: number, hi: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) {
      const v = d[a + i]!;
      d[dx + i] = v >= lo && v <= hi ? d[dy + i]! : 0;
    }
  }

  rowSum(x: number, out: number, rows: number, cols: number): void {
    const d = this.d;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += d[x + r * cols + j]!;
      d[out + r] = s;
    }
  }

  rowSumBackward(dy: number, dx: number, rows: number, cols: number): void {
    const d = this.d;
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) d[dx + r * cols + j] = d[dy + r]!;
  }

  sum(x: number, n: number): number {
    const d = this.d;
    let s = 0;
    for (let i = 0; i < n; i++) s += d[x + i]!;
    return s;
  }

  sumSquares(x: number, n: number): number {
    const d = this.d;
    // The order is part of the spec (the WASM kernel's four SIMD lanes): element i of the
    // body adds into lane i mod 4, the lanes add in order, then the tail.
    const lanes = [0, 0, 0, 0];
    const body = n - (n % 4);
    for (let i = 0; i < body; i++) lanes[i % 4]! += d[x + i]! * d[x + i]!;
    let s = lanes[0]! + lanes[1]! + lanes[2]! + lanes[3]!;
    for (let i = body; i < n; i++) s += d[x + i]! * d[x + i]!;
    return s;
  }

  conv2dForward(
    x: number, w: number, y: number,
    n: number, ih: number, iw: number, cin: number, oh: number, ow: number, cout: number,
    kh: number, kw: number, sh: number, sw: number, pt: number, pl: number,
  ): void {
    const d = this.d;
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++)
          for (let co = 0; co < cout; co++) {
            let s = 0;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh - pt + ky;
              if (iy < 0 || iy >= ih) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw - pl + kx;
                if (ix < 0 || ix >= iw) continue;
                for (let ci = 0; ci < cin; ci++) {
                  s += d[x + ((b * ih + iy) * iw + ix) * cin + ci]! * d[w + ((ky * kw + kx) * cin + ci) * cout + co]!;
                }
              }
            }
            d[y + ((b * oh + oy) * ow + ox) * cout + co] = s;
          }
  }

  conv2dBackwardInput(
    dy: number, w: number, dx: number,
    n: number, ih: number, iw: number, cin: number, oh: number, ow: number, cout: number,
    kh: number, kw: number, sh: number, sw: number, pt: number, pl: number,
  ): void {
    const d = this.d;
    d.fill(0, dx, dx + n * ih * iw * cin);
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++)
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky;
            if (iy < 0 || iy >= ih) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx;
              if (ix < 0 || ix >= iw) continue;
              for (let ci = 0; ci < cin; ci++) {
                let s = 0;
                for (let co = 0; co < cout; co++) {
                  s += d[dy + ((b * oh + oy) * ow + ox) * cout + co]! * d[w + ((ky * kw + kx) * cin + ci) * cout + co]!;
                }
                d[dx + ((b * ih + iy) * iw + ix) * cin + ci]! += s;
              }
            }
          }
  }

  conv2dBackwardFilter(
    x: number, dy: number, dw: number,
    n: number, ih: number, iw: number, cin: number, oh: number, ow: number, cout: number,
    kh: number, kw: number, sh: number, sw: number, pt: number, pl: number,
  ): void {
    const d = this.d;
    d.fill(0, dw, dw + kh * kw * cin * cout);
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++)
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky;
            if (iy < 0 || iy >= ih) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx;
              if (ix < 0 || ix >= iw) continue;
              for (let ci = 0; ci < cin; ci++) {
                const xv = d[x + ((b * ih + iy) * iw + ix) * cin + ci]!;
                for (let co = 0; co < cout; co++) {
                  d[dw + ((ky * kw + kx) * cin + ci) * cout + co]! += xv * d[dy + ((b * oh + oy) * ow + ox) * cout + co]!;
                }
              }
            }
          }
  }

  /** The flat index of the first maximum in a window, or -1 for an empty window. */
  private windowArgmax(
    x: number, b: number, oy: number, ox: number, ch: number,
    ih: number, iw: number, c: number, ph: number, pw: number, sh: number, sw: number, pt: number, pl: number,
  ): number {
    const d = this.d;
    let best = -1;
    let m = -Infinity;
    for (let iy = Math.max(oy * sh - pt, 0); iy < Math.min(oy * sh - pt + ph, ih); iy++)
      for (let ix = Math.max(ox * sw - pl, 0); ix < Math.min(ox * sw - pl + pw, iw); ix++) {
        const at = ((b * ih + iy) * iw + ix) * c + ch;
        if (best < 0 || d[x + at]! > m) {
          m = d[x + at]!;
          best = at;
        }
      }
    return best;
  }

  maxpool2dForward(
    x: number, y: number,
    n: number, ih: number, iw: number, c: number, oh: number, ow: number,
    ph: number, pw: number, sh: number, sw: number, pt: number, pl: number,
  ): void {
    const d = this.d;
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++)
          for (let ch = 0; ch < c; ch++) {
            const at = this.windowArgmax(x, b, oy, ox, ch, ih, iw, c, ph, pw, sh, sw, pt, pl);
            d[y + ((b * oh + oy) * ow + ox) * c + ch] = at < 0 ? -Infinity : d[x + at]!;
          }
  }

  maxpool2dBackward(
    x: number, dy: number, dx: number,
    n: number, ih: number, iw: number, c: number, oh: number, ow: number,
    ph: number, pw: number, sh: number, sw: number, pt: number, pl: number,
  ): void {
    const d = this.d;
    d.fill(0, dx, dx + n * ih * iw * c);
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++)
          for (let ch = 0; ch < c; ch++) {
            const at = this.windowArgmax(x, b, oy, ox, ch, ih, iw, c, ph, pw, sh, sw, pt, pl);
            if (at >= 0) d[dx + at]! += d[dy + ((b * oh + oy) * ow + ox) * c + ch]!;
          }
  }

  upsample2dForward(x: number, y: number, n: number, h: number, w: number, c: number, sh: number, sw: number): void {
    const d = this.d;
    const oh = h * sh;
    const ow = w * sw;
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++)
          for (let ch = 0; ch < c; ch++) {
            const src = ((b * h + Math.floor(oy / sh)) * w + Math.floor(ox / sw)) * c + ch;
            d[y + ((b * oh + oy) * ow + ox) * c + ch] = d[x + src]!;
          }
  }

  upsample2dBackward(dy: number, dx: number, n: number, h: number, w: number, c: number, sh: number, sw: number): void {
    const d = this.d;
    const oh = h * sh;
    const ow = w * sw;
    d.fill(0, dx, dx + n * h * w * c);
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++)
          for (let ch = 0; ch < c; ch++) {
            const dst = ((b * h + Math.floor(oy / sh)) * w + Math.floor(ox / sw)) * c + ch;
            d[dx + dst]! += d[dy + ((b * oh + oy) * ow + ox) * c + ch]!;
          }
  }

  mseForward(p: number, t: number, out: number, rows: number, cols: number): void {
    this.rowSums(out, rows, cols, (i) => (this.d[p + i]! - this.d[t + i]!) ** 2);
  }

  mseBackward(p: number, t: number, dp: number, n: number, scale: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[dp + i] = scale * 2 * (d[p + i]! - d[t + i]!);
  }

  bceForward(p: number, t: number, out: number, rows: number, cols: number): void {
    this.rowSums(out, rows, cols, (i) => {
      const pc = Math.min(Math.max(this.d[p + i]!, BCE_EPS), BCE_HI);
      const tv = this.d[t + i]!;
      return -(tv * Math.log(pc + BCE_EPS) + (1 - tv) * Math.log(1 - pc + BCE_EPS));
    });
  }

  bceBackward(p: number, t: number, dp: number, n: number, scale: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) {
      const pv = d[p + i]!;
      const tv = d[t + i]!;
      const inside = pv >= BCE_EPS && pv <= BCE_HI;
      d[dp + i] = inside ? scale * ((1 - tv) / (1 - pv + BCE_EPS) - tv / (pv + BCE_EPS)) : 0;
    }
  }

  bceLogitsForward(x: number, t: number, out: number, rows: number, cols: number): void {
    this.rowSums(out, rows, cols, (i) => {
      const xv = this.d[x + i]!;
      return Math.max(xv, 0) - xv * this.d[t + i]! + Math.log1p(Math.exp(-Math.abs(xv)));
    });
  }

  bceLogitsBackward(x: number, t: number, dx: number, n: number, scale: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[dx + i] = scale * (sigmoid(d[x + i]!) - d[t + i]!);
  }

  klForward(mu: number, lv: number, out: number, rows: number, cols: number): void {
    this.rowSums(out, rows, cols, (i) => {
      const m = this.d[mu + i]!;
      const l = this.d[lv + i]!;
      return -0.5 * (1 + l - m * m - Math.exp(l));
    });
  }

  klBackward(mu: number, lv: number, dmu: number, dlv: number, n: number, scale: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) {
      d[dmu + i] = scale * d[mu + i]!;
      d[dlv + i] = scale * 0.5 * (Math.exp(d[lv + i]!) - 1);
    }
  }

  reparamForward(mu: number, lv: number, eps: number, z: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[z + i] = d[mu + i]! + Math.exp(0.5 * d[lv + i]!) * d[eps + i]!;
  }

  reparamBackward(dz: number, lv: number, eps: number, dmu: number, dlv: number, n: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) {
      const g = d[dz + i]!;
      d[dmu + i] = g;
      d[dlv + i] = g * 0.5 * Math.exp(0.5 * d[lv + i]!) * d[eps + i]!;
    }
  }

  adamStep(w: number, g: number, m: number, v: number, n: number, lrT: number, beta1: number, beta2: number, eps: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) {
      const gi = d[g + i]!;
      const mi = d[m + i]! + (gi - d[m + i]!) * (1 - beta1);
      const vi = d[v + i]! + (gi * gi - d[v + i]!) * (1 - beta2);
      d[m + i] = mi;
      d[v + i] = vi;
      d[w + i]! -= (mi * lrT) / (Math.sqrt(vi) + eps);
    }
  }

  sgdStep(w: number, g: number, vel: number, n: number, lr: number, momentum: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) {
      if (momentum === 0) {
        d[w + i]! -= lr * d[g + i]!;
      } else {
        d[vel + i] = momentum * d[vel + i]! - lr * d[g + i]!;
        d[w + i]! += d[vel + i]!;
      }
    }
  }

  randUniform(out: number, n: number, key: number, counter: number, lo: number, hi: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[out + i] = lo + (hi - lo) * uniformAt(key >>> 0, counter + i);
  }

  randNormal(out: number, n: number, key: number, counter: number, mean: number, std: number): void {
    const d = this.d;
    for (let i = 0; i < n; i++) d[out + i] = mean + std * normalAt(key >>> 0, counter + i);
  }

  // ---- batch normalization over the last axis: x [rows, cols], one column per feature ----

  batchNormStats(x: number, mean: number, variance: number, rows: number, cols: number): void {
    const d = this.d;
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += d[x + r * cols + c]!;
      const m = s / rows;
      let q = 0;
      for (let r = 0; r < rows; r++) q += (d[x + r * cols + c]! - m) ** 2;
      d[mean + c] = m;
      d[variance + c] = q / rows; // biased, as Keras' ops.moments
    }
  }

  batchNormMovingUpdate(mean: number, variance: number, movingMean: number, movingVariance: number, cols: number, momentum: number): void {
    const d = this.d;
    for (let c = 0; c < cols; c++) {
      d[movingMean + c] = d[movingMean + c]! * momentum + d[mean + c]! * (1 - momentum);
      d[movingVariance + c] = d[movingVariance + c]! * momentum + d[variance + c]! * (1 - momentum);
    }
  }

  batchNormForward(x: number, mean: number, variance: number, gamma: number, beta: number, y: number, rows: number, cols: number, epsilon: number): void {
    const d = this.d;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const g = gamma < 0 ? 1 : d[gamma + c]!;
        const b = beta < 0 ? 0 : d[beta + c]!;
        d[y + r * cols + c] = ((d[x + r * cols + c]! - d[mean + c]!) * g) / Math.sqrt(d[variance + c]! + epsilon) + b;
      }
    }
  }

  batchNormBackward(x: number, dy: number, mean: number, variance: number, dgamma: number, dbeta: number, rows: number, cols: number, epsilon: number): void {
    const d = this.d;
    for (let c = 0; c < cols; c++) {
      const sigma = Math.sqrt(d[variance + c]! + epsilon);
      let sb = 0;
      let sg = 0;
      for (let r = 0; r < rows; r++) {
        const g = d[dy + r * cols + c]!;
        sb += g;
        sg += (g * (d[x + r * cols + c]! - d[mean + c]!)) / sigma;
      }
      d[dbeta + c] = sb;
      d[dgamma + c] = sg;
    }
  }

  batchNormBackwardInput(
    x: number, dy: number, mean: number, variance: number, gamma: number, dgamma: number, dbeta: number, dx: number,
    rows: number, cols: number, count: number, epsilon: number,
  ): void {
    const d = this.d;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const sigma = Math.sqrt(d[variance + c]! + epsilon);
        const g = gamma < 0 ? 1 : d[gamma + c]!;
        const xhat = (d[x + r * cols + c]! - d[mean + c]!) / sigma;
        const i = r * cols + c;
        d[dx + i] = (g / sigma) * (d[dy + i]! - d[dbeta + c]! / count - (xhat * d[dgamma + c]!) / count);
      }
    }
  }

  dropout(x: number, y: number, n: number, hw: number, ch: number, key: number, counter: number, rate: number): void {
    const d = this.d;
    const scale = Math.fround(1 / (1 - rate));
    for (let s = 0; s < n; s++) {
      for (let p = 0; p < hw; p++) {
        for (let c = 0; c < ch; c++) {
          const i = (s * hw + p) * ch + c;
          d[y + i] = uniformAt(key >>> 0, counter + s * ch + c) >= rate ? d[x + i]! * scale : 0;
        }
      }
    }
  }

  lookupU8(src: number, table: number, stride: number, dst: number, n: number, size: number): void {
    const d = this.d;
    // The staging bytes start at the first byte of element `src`, in either heap dtype.
    const bytes = new Uint8Array(d.buffer, d.byteOffset + src * d.BYTES_PER_ELEMENT, n * size);
    for (let r = 0; r < n; r++) {
      for (let f = 0; f < size; f++) d[dst + r * size + f] = d[table + f * stride + bytes[r * size + f]!]!;
    }
  }

  // ---- classification: softmax and sparse categorical cross-entropy from logits ----------

  softmaxForward(x: number, y: number, rows: number, cols: number): void {
    const d = this.d;
    for (let r = 0; r < rows; r++) {
      const row = x + r * cols;
      const m = this.rowMax(row, cols);
      let s = 0;
      for (let c = 0; c < cols; c++) s += Math.exp(d[row + c]! - m);
      for (let c = 0; c < cols; c++) d[y + r * cols + c] = Math.exp(d[row + c]! - m) / s;
    }
  }

  softmaxCrossEntropy(x: number, labels: number, loss: number, dx: number, rows: number, cols: number, scale: number): void {
    const d = this.d;
    const lab = this.labelView(labels, rows);
    for (let r = 0; r < rows; r++) {
      const row = x + r * cols;
      const label = lab[r]!;
      const inRange = label >= 0 && label < cols;
      const { m, o, s } = this.softmaxSums(row, cols, label);
      // The loss and the probabilities first: dx may alias x.
      d[loss + r] = inRange ? this.crossEntropyOf(row, label, m, o, s) : NaN;
      const probs = Array.from({ length: cols }, (_, c) => Math.exp(d[row + c]! - m) / s);
      // At the label softmax - 1 = -o / s, as the kernel computes it.
      for (let c = 0; c < cols; c++) d[dx + r * cols + c] = !inRange ? NaN : c === label ? -scale * (o / s) : scale * probs[c]!;
    }
  }

  softmaxCrossEntropyForward(x: number, labels: number, loss: number, rows: number, cols: number): void {
    const d = this.d;
    const lab = this.labelView(labels, rows);
    for (let r = 0; r < rows; r++) {
      const row = x + r * cols;
      const label = lab[r]!;
      const { m, o, s } = this.softmaxSums(row, cols, label);
      d[loss + r] = label >= 0 && label < cols ? this.crossEntropyOf(row, label, m, o, s) : NaN;
    }
  }

  /** The row's max m, o = Σ over c != label of exp(x - m), and s = o + exp(x[label] - m). */
  private softmaxSums(row: number, cols: number, label: number): { m: number; o: number; s: number } {
    const d = this.d;
    const m = this.rowMax(row, cols);
    let o = 0;
    for (let c = 0; c < cols; c++) if (c !== label) o += Math.exp(d[row + c]! - m);
    return { m, o, s: o + (label >= 0 && label < cols ? Math.exp(d[row + label]! - m) : 0) };
  }

  /** -log softmax at the label: log1p(o) when the label holds the maximum (a small loss keeps its digits), else m - x + log s. */
  private crossEntropyOf(row: number, label: number, m: number, o: number, s: number): number {
    const xl = this.d[row + label]!;
    return xl === m ? Math.log1p(o) : m - xl + Math.log(s);
  }

  // ---- concatenate along the last axis ------------------------------------------------------

  concatForward(x: number, y: number, rows: number, cols: number, yCols: number, col: number): void {
    const d = this.d;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) d[y + r * yCols + col + c] = d[x + r * cols + c]!;
  }

  concatBackward(dy: number, dx: number, rows: number, cols: number, dyCols: number, col: number, accumulate: number): void {
    const d = this.d;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const g = d[dy + r * dyCols + col + c]!;
        d[dx + r * cols + c] = accumulate ? d[dx + r * cols + c]! + g : g;
      }
    }
  }

  // ---- int8 inference: exact integers, float32 epilogue (abi.ts "int8 inference") -----------

  int8QuantizeRows(x: number, rows: number, cols: number, q: number, kp: number, scale: number): number {
    const d = this.d;
    const codes = this.int8View(q, rows * kp);
    let nonNegative = 1;
    for (let r = 0; r < rows; r++) {
      let m = 0;
      for (let c = 0; c < cols; c++) m = Math.max(m, Math.abs(Math.fround(d[x + r * cols + c]!)));
      const inv = m > 0 ? Math.fround(127 / m) : 0;
      d[scale + r] = Math.fround(m / 127);
      for (let c = 0; c < kp; c++) {
        const v = c < cols ? roundHalfEven(Math.fround(Math.fround(d[x + r * cols + c]!) * inv)) : 0;
        if (v < 0) nonNegative = 0;
        codes[r * kp + c] = v;
      }
    }
    return nonNegative;
  }

  int8GemmDot16(m: number, n: number, kp: number, q: number, xScale: number, w: number, wScale: number, bias: number, y: number): void {
    const d = this.d;
    const codes = this.int8View(q, m * kp);
    const weights = this.int8View(w, n * kp);
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        let acc = 0;
        for (let k = 0; k < kp; k++) acc = (acc + codes[r * kp + k]! * weights[c * kp + k]!) | 0;
        let v = Math.fround(Math.fround(acc) * Math.fround(Math.fround(d[xScale + r]!) * Math.fround(d[wScale + c]!)));
        if (bias >= 0) v = Math.fround(v + Math.fround(d[bias + c]!));
        d[y + r * n + c] = v;
      }
    }
  }

  int8GemmRelaxed(m: number, n: number, kp: number, q: number, xScale: number, w: number, wScale: number, bias: number, y: number): void {
    this.int8GemmDot16(m, n, kp, q, xScale, w, wScale, bias, y);
  }

  /** `count` int8 values from the first byte of element `offset`. */
  private int8View(offset: number, count: number): Int8Array {
    const d = this.d;
    return new Int8Array(d.buffer, d.byteOffset + offset * d.BYTES_PER_ELEMENT, count);
  }

  /** Max of a row; NaN if any element is NaN (as WASM's f32x4.max). */
  private rowMax(row: number, cols: number): number {
    let m = -Infinity;
    for (let c = 0; c < cols; c++) m = Math.max(m, this.d[row + c]!);
    return m;
  }

  /** The int32 labels at element offset `labels` (packed from that element's first byte). */
  private labelView(labels: number, rows: number): Int32Array {
    const d = this.d;
    return new Int32Array(d.buffer, d.byteOffset + labels * d.BYTES_PER_ELEMENT, rows);
  }

  /** out[r] = sum over the row's flat indices i of f(i). */
  private rowSums(out: number, rows: number, cols: number, f: (i: number) => number): void {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += f(r * cols + j);
      this.d[out + r] = s;
    }
  }
}

/** Round to nearest, ties to even (WebAssembly's f32.nearest). */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const diff = v - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function signOf(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}
