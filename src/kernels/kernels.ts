// The kernel ABI: one method per exported WASM function, identical signatures on both
// backends. Every tensor argument is an element offset into the backend's heap
// (`Heap.data[offset]`), never an array: graph code is the same on both backends.
//
// Layouts: row-major matrices with leading dimensions; activations NHWC; Conv2D kernels
// HWIO [kh, kw, cin, cout] (Keras). Integer arguments are plain numbers.
//
// Backward conventions (each kernel's doc says which): "overwrites" writes every element
// of its gradient output; "accumulates" adds into it.
//
// Scalar float arguments (alpha, scale, learning rates, ...) reach the WASM kernels as
// float32; the JS spec computes with them in float64 and rounds on store, so parity
// tests round such scalars to float32 first. The random kernels take float64 scalars
// and are bit-identical on both backends.

import type { Heap } from './heap.js';

/** Activation codes shared by the ABI. */
export const Act = {
  linear: 0,
  relu: 1,
  leakyRelu: 2,
  sigmoid: 3,
  tanh: 4,
  exp: 5,
} as const;
export type ActName = keyof typeof Act;
export type ActCode = (typeof Act)[ActName];

/** Conv geometry, in the order the conv kernels take it after their three tensors. */
export interface ConvGeom {
  n: number;
  ih: number;
  iw: number;
  cin: number;
  oh: number;
  ow: number;
  cout: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** Padding before the first row / column (Keras puts the odd extra at bottom/right). */
  padTop: number;
  padLeft: number;
}

/** Pooling geometry: input [n, ih, iw, c] -> output [n, oh, ow, c]. */
export interface PoolGeom {
  n: number;
  ih: number;
  iw: number;
  c: number;
  oh: number;
  ow: number;
  ph: number;
  pw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
}

export type BackendName = 'wasm' | 'js';

export interface Kernels {
  readonly backend: BackendName;
  /** Which build of the module runs (e.g. "kernels.wasm"); "js" or "js-f64" for the baseline. */
  readonly build: string;
  readonly heap: Heap;

  // ---- gemm -------------------------------------------------------------------------
  /**
   * C[M,N] = alpha * op(A) * op(B) + beta * C, row-major with leading dimensions.
   * op(A) is A[M,K] (transA 0) or A[K,M]ᵀ (transA 1); op(B) is B[K,N] or B[N,K]ᵀ.
   * beta = 0 never reads C (so C may hold garbage or NaN).
   */
  sgemm(
    transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
  ): void;

  /**
   * C[M,N] = act(op(A) op(B) + bias) (bias < 0: none), the dense layer's forward with
   * the bias and activation fused into the gemm epilogue. C is overwritten.
   */
  sgemmBiasAct(
    transA: number, transB: number, m: number, n: number, k: number,
    a: number, lda: number, b: number, ldb: number, c: number, ldc: number, bias: number, act: number, actAlpha: number,
  ): void;

  // ---- bias + activation ----------------------------------------------------------
  /** y[r, c] = act(x[r, c] + bias[c]); bias < 0 means no bias. y may equal x. */
  biasActForward(x: number, bias: number, y: number, rows: number, cols: number, act: number, alpha: number): void;
  /**
   * Overwrites dx = dy * act'(.) from the activation's output y (alpha >= 0 for leaky
   * relu, so the sign of y is the sign of the input). dx may equal dy.
   */
  actBackward(y: number, dy: number, dx: number, n: number, act: number, alpha: number): void;
  /** Overwrites db[c] = sum over rows of dy[r, c] (the bias gradient: column sums). */
  biasBackward(dy: number, db: number, rows: number, cols: number): void;

  // ---- elementwise (out may alias an input) -----------------------------------------
  fill(out: number, n: number, value: number): void;
  copy(src: number, dst: number, n: number): void;
  /** out = a + b */
  add(a: number, b: number, out: number, n: number): void;
  /** out = a * b; its backward is mul again (da = dy * b). */
  mul(a: number, b: number, out: number, n: number): void;
  /** out = s * a; its backward is scale again. */
  scale(a: number, s: number, out: number, n: number): void;
  /** y += alpha * x; its backward accumulates dx += alpha * dy (axpy again). */
  axpy(alpha: number, x: number, y: number, n: number): void;
  /** out = exp(a); backward: mul(dy, out). */
  exp(a: number, out: number, n: number): void;
  /** out = a²  */
  square(a: number, out: number, n: number): void;
  /** Overwrites dx = 2 a dy. */
  squareBackward(a: number, dy: number, dx: number, n: number): void;
  /** out = |a| */
  abs(a: number, out: number, n: number): void;
  /** out = sign(a) (0 at 0) */
  sign(a: number, out: number, n: number): void;
  /** Overwrites dx = sign(a) dy (the subgradient 0 at 0). */
  absBackward(a: number, dy: number, dx: number, n: number): void;
  /** out = min(max(a, lo), hi) */
  clip(a: number, lo: number, hi: number, out: number, n: number): void;
  /** Overwrites dx = dy where lo <= a <= hi, else 0 (TF's clip_by_value gradient). */
  clipBackward(a: number, dy: number, dx: number, lo: number, hi: number, n: number): void;
  /** Overwrites out[r] = sum over c of x[r, c]. */
  rowSum(x: number, out: number, rows: number, cols: number): void;
  /** Overwrites dx[r, c] = dy[r] (the backward of rowSum). */
  rowSumBackward(dy: number, dx: number, rows: number, cols: number): void;
  /** Sum of n elements, accumulated left to right in float64. */
  sum(x: number, n: number): number;

  // ---- conv2d (NHWC, HWIO) --------------------------------------------------------------
  /** y[n, oh, ow, cout] = sum x[n, ih, iw, cin] * w[kh, kw, cin, cout] (no bias). Overwrites y. */
  conv2dForward(
    x: number, w: number, y: number,
    n: number, ih: number, iw: number, cin: number, oh: number, ow: number, cout: number,
    kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number,
  ): void;
  /** Overwrites dx[n, ih, iw, cin] from dy[n, oh, ow, cout] and w. Also Conv2DTranspose's forward. */
  conv2dBackwardInput(
    dy: number, w: number, dx: number,
    n: number, ih: number, iw: number, cin: number, oh: number, ow: number, cout: number,
    kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number,
  ): void;
  /** Overwrites dw[kh, kw, cin, cout] from x and dy. */
  conv2dBackwardFilter(
    x: number, dy: number, dw: number,
    n: number, ih: number, iw: number, cin: number, oh: number, ow: number, cout: number,
    kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number,
  ): void;

  // ---- pooling -------------------------------------------------------------------------
  /** y = max over each window (padding cells never win; Keras/TF semantics). Overwrites y. */
  maxpool2dForward(
    x: number, y: number,
    n: number, ih: number, iw: number, c: number, oh: number, ow: number,
    ph: number, pw: number, sh: number, sw: number, padTop: number, padLeft: number,
  ): void;
  /**
   * Overwrites dx: each window's dy goes to the first position holding its maximum
   * (recomputed from x; overlapping windows add).
   */
  maxpool2dBackward(
    x: number, dy: number, dx: number,
    n: number, ih: number, iw: number, c: number, oh: number, ow: number,
    ph: number, pw: number, sh: number, sw: number, padTop: number, padLeft: number,
  ): void;
  /** Nearest-neighbour upsampling [n, h, w, c] -> [n, h*sh, w*sw, c]. Overwrites y. */
  upsample2dForward(x: number, y: number, n: number, h: number, w: number, c: number, sh: number, sw: number): void;
  /** Overwrites dx[n, h, w, c] = sum of dy over each sh x sw block. */
  upsample2dBackward(dy: number, dx: number, n: number, h: number, w: number, c: number, sh: number, sw: number): void;

  // ---- losses: forward writes per-row sums, backward overwrites scale * d(sum)/d(pred) ----
  /** out[r] = sum over c of (p - t)². */
  mseForward(p: number, t: number, out: number, rows: number, cols: number): void;
  /** Overwrites dp = scale * 2 (p - t). */
  mseBackward(p: number, t: number, dp: number, n: number, scale: number): void;
  /** out[r] = sum over c of -(t log(p + eps) + (1-t) log(1 - p + eps)), p clipped to float32 [1e-7, 1 - 2^-23] as Keras (eps 1e-7). */
  bceForward(p: number, t: number, out: number, rows: number, cols: number): void;
  /** Overwrites dp = scale * d/dp of the clipped BCE (0 where p is clipped). */
  bceBackward(p: number, t: number, dp: number, n: number, scale: number): void;
  /** BCE from logits x (stable: max(x,0) - x t + log(1 + exp(-|x|))); out[r] = row sums. */
  bceLogitsForward(x: number, t: number, out: number, rows: number, cols: number): void;
  /** Overwrites dx = scale * (sigmoid(x) - t): the fused sigmoid + BCE gradient. */
  bceLogitsBackward(x: number, t: number, dx: number, n: number, scale: number): void;
  /** out[r] = KL(N(mu, exp(lv)) || N(0, 1)) = -0.5 sum (1 + lv - mu² - exp(lv)). */
  klForward(mu: number, lv: number, out: number, rows: number, cols: number): void;
  /** Accumulates dmu += scale mu, dlv += scale 0.5 (exp(lv) - 1). */
  klBackward(mu: number, lv: number, dmu: number, dlv: number, n: number, scale: number): void;
  /** z = mu + exp(lv / 2) eps (the VAE's reparameterisation). */
  reparamForward(mu: number, lv: number, eps: number, z: number, n: number): void;
  /** Overwrites dmu = dz, dlv = dz 0.5 exp(lv / 2) eps. */
  reparamBackward(dz: number, lv: number, eps: number, dmu: number, dlv: number, n: number): void;

  // ---- optimizers (in place) --------------------------------------------------------
  /** tf.keras Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²; w -= lrT m / (sqrt(v) + eps). */
  adamStep(w: number, g: number, m: number, v: number, n: number, lrT: number, beta1: number, beta2: number, eps: number): void;
  /** Keras SGD: vel = momentum vel - lr g; w += vel (momentum 0: w -= lr g, vel untouched, may be < 0). */
  sgdStep(w: number, g: number, vel: number, n: number, lr: number, momentum: number): void;

  // ---- counter-based random numbers (identical on both backends) -----------------------
  /** out[i] = lo + (hi - lo) u(key, counter + i), u uniform in [0, 1). */
  randUniform(out: number, n: number, key: number, counter: number, lo: number, hi: number): void;
  /** out[i] = mean + std z(key, counter + i), z standard normal (Box-Muller on pairs). */
  randNormal(out: number, n: number, key: number, counter: number, mean: number, std: number): void;
}
