// The kernel manifest: every function the kernels module exports, once — its named
// arguments with their kinds, what it computes, and, for kernels the thread pool splits,
// how a call is split. The Kernels interface (kernels.ts), the WASM binding (wasm.ts), the
// JS spec's conformance (js.ts implements Kernels) and the thread pool's packing and
// runners (threads/) are all derived from this table, so no signature or argument
// position is written anywhere else. test/kernels/abi.test.ts holds the module's exports
// (names, arity, wasm parameter types) and the JS backend to it.
//
// Every tensor argument ('ptr') is an element offset into the backend's heap
// (`Heap.data[offset]`), never an array. Layouts: row-major matrices with leading
// dimensions; activations NHWC; Conv2D kernels HWIO [kh, kw, cin, cout] (Keras).
//
// Backward conventions, one per family (each entry says which): "overwrites" writes every
// element of its gradient output; "accumulates" adds into it.
//
// Scalar float arguments ('f32': alpha, scale, learning rates, ...) reach the WASM kernels
// as float32; the JS spec computes with them in float64 and rounds on store, so parity
// tests round such scalars to float32 first. The random kernels take float64 scalars
// ('f64') and are bit-identical on both backends.
//
// Adding a kernel: one AssemblyScript function exported by assembly/index.ts, one method
// of the JS spec (js.ts; the compiler holds it to the row), and one row here.

import { AeError } from '../errors.js';

/** How an argument reaches the module: a heap offset, an integer, or a float scalar. */
export type ArgKind = 'ptr' | 'i32' | 'u32' | 'f32' | 'f64';
/** An argument as `name:kind`. */
export type ArgSpec = `${string}:${ArgKind}`;

/**
 * How the thread pool splits a call so that every output element is computed by one
 * thread in the order one thread would use (results identical for any thread count).
 * `work` names the arguments whose product measures a call (multiply-adds or elements);
 * a call is split only into shares of at least `minWork`.
 */
export type Split =
  /** Rows of C when m >= n (never leaving the few-rows path's threshold), else 8-column blocks. */
  | { readonly by: 'gemm'; readonly work: readonly string[]; readonly minWork: number }
  /**
   * Images of a batch: `count` is split; each tensor in `advance` moves by its image size,
   * the product of the named arguments.
   */
  | {
      readonly by: 'images'; readonly count: string; readonly advance: Readonly<Record<string, readonly string[]>>;
      readonly work: readonly string[]; readonly minWork: number;
    }
  /**
   * Fixed chunks of FILTER_CHUNK images whose partial sums (each `outSize` floats) go to a
   * scratch buffer and are added in chunk order by the caller — as the kernel does on one
   * thread. Kernels larger than PARTIAL_FLOATS are summed in one pass and never split.
   */
  | {
      readonly by: 'imageChunks'; readonly count: string; readonly advance: Readonly<Record<string, readonly string[]>>;
      readonly out: string; readonly outSize: readonly string[]; readonly work: readonly string[]; readonly minWork: number;
    }
  /** Rows: `rows` is split; `rowTensors` move by whole rows (`cols` each), `perRow` tensors by one element a row. */
  | {
      readonly by: 'rows'; readonly rows: string; readonly cols: string; readonly rowTensors: readonly string[];
      readonly perRow: readonly string[]; readonly work: readonly string[]; readonly minWork: number;
    }
  /** Elements: `count` is split in multiples of 16 (whole cache lines); every argument in `advance` moves by the share's first element. */
  | { readonly by: 'elements'; readonly count: string; readonly advance: readonly string[]; readonly minWork: number };

export interface KernelSpec {
  readonly args: readonly ArgSpec[];
  /** The module returns a float64 (else nothing). */
  readonly returns?: 'f64';
  readonly split?: Split;
}

/** Multiply-adds below which a share costs more in hand-off than it saves. */
const MACS_PER_SHARE = 5e5;
/** Elements below which an elementwise share costs more than it saves. */
const ELEMENTS_PER_SHARE = 32768;
/**
 * The same for kernels that evaluate a log, exp or division per element (BCE, the fused
 * sigmoid gradient, Adam; 1-5 ns an element): a batch-32 pass of 25,088 pixels is split.
 */
const COSTLY_ELEMENTS_PER_SHARE = ELEMENTS_PER_SHARE / 8;

const CONV = [
  'n:i32', 'ih:i32', 'iw:i32', 'cin:i32', 'oh:i32', 'ow:i32', 'cout:i32',
  'kh:i32', 'kw:i32', 'sh:i32', 'sw:i32', 'padTop:i32', 'padLeft:i32',
] as const;
const CONV_MACS = ['n', 'oh', 'ow', 'cout', 'kh', 'kw', 'cin'] as const;
const CONV_IN = ['ih', 'iw', 'cin'] as const;
const CONV_OUT = ['oh', 'ow', 'cout'] as const;
const POOL = [
  'n:i32', 'ih:i32', 'iw:i32', 'c:i32', 'oh:i32', 'ow:i32',
  'ph:i32', 'pw:i32', 'sh:i32', 'sw:i32', 'padTop:i32', 'padLeft:i32',
] as const;
const POOL_IN = ['ih', 'iw', 'c'] as const;
const POOL_OUT = ['oh', 'ow', 'c'] as const;
const UP = ['n:i32', 'h:i32', 'w:i32', 'c:i32', 'sh:i32', 'sw:i32'] as const;
const UP_SMALL = ['h', 'w', 'c'] as const;
const UP_LARGE = ['h', 'w', 'c', 'sh', 'sw'] as const;

const elements = (count: string, advance: readonly string[], minWork = ELEMENTS_PER_SHARE): Split =>
  ({ by: 'elements', count, advance, minWork });
/** Loss forwards: per-row sums of two [rows, cols] tensors. */
const lossRows: Split = { by: 'rows', rows: 'rows', cols: 'cols', rowTensors: ['p', 't'], perRow: ['out'], work: ['rows', 'cols'], minWork: ELEMENTS_PER_SHARE / 2 };

export const ABI = {
  // ---- gemm (assembly/gemm.ts) ----------------------------------------------------------
  /**
   * C[M,N] = alpha * op(A) * op(B) + beta * C, row-major with leading dimensions.
   * op(A) is A[M,K] (transA 0) or A[K,M]ᵀ (transA 1); op(B) is B[K,N] or B[N,K]ᵀ.
   * beta = 0 never reads C (so C may hold garbage or NaN).
   */
  sgemm: {
    args: ['transA:i32', 'transB:i32', 'm:i32', 'n:i32', 'k:i32', 'alpha:f32', 'a:ptr', 'lda:i32', 'b:ptr', 'ldb:i32', 'beta:f32', 'c:ptr', 'ldc:i32'],
    split: { by: 'gemm', work: ['m', 'n', 'k'], minWork: MACS_PER_SHARE },
  },
  /**
   * C[M,N] = act(op(A) op(B) + bias) (bias < 0: none), the dense layer's forward with the
   * bias and activation fused into the gemm epilogue. C is overwritten.
   */
  sgemmBiasAct: {
    args: ['transA:i32', 'transB:i32', 'm:i32', 'n:i32', 'k:i32', 'a:ptr', 'lda:i32', 'b:ptr', 'ldb:i32', 'c:ptr', 'ldc:i32', 'bias:ptr', 'act:i32', 'actAlpha:f32'],
    split: { by: 'gemm', work: ['m', 'n', 'k'], minWork: MACS_PER_SHARE },
  },

  // ---- bias + activation (assembly/elementwise.ts; backward overwrites) -------------------
  /** y[r, c] = act(x[r, c] + bias[c]); bias < 0 means no bias. y may equal x. */
  biasActForward: {
    args: ['x:ptr', 'bias:ptr', 'y:ptr', 'rows:i32', 'cols:i32', 'act:i32', 'alpha:f32'],
    split: { by: 'rows', rows: 'rows', cols: 'cols', rowTensors: ['x', 'y'], perRow: [], work: ['rows', 'cols'], minWork: ELEMENTS_PER_SHARE },
  },
  /**
   * Overwrites dx = dy * act'(.) from the activation's output y (alpha >= 0 for leaky relu,
   * alpha > 0 for elu, so the sign of y is the sign of the input) — or, for the codes of
   * actBackwardReadsInput (gelu, gelu tanh, silu: not invertible), from its input x, passed
   * as y. dx may equal dy.
   */
  actBackward: { args: ['y:ptr', 'dy:ptr', 'dx:ptr', 'n:i32', 'act:i32', 'alpha:f32'], split: elements('n', ['y', 'dy', 'dx']) },
  /** Overwrites db[c] = sum over rows of dy[r, c] (the bias gradient: column sums). */
  biasBackward: { args: ['dy:ptr', 'db:ptr', 'rows:i32', 'cols:i32'] },

  // ---- elementwise (assembly/elementwise.ts; out may alias an input; backward overwrites) --
  fill: { args: ['out:ptr', 'n:i32', 'value:f32'] },
  copy: { args: ['src:ptr', 'dst:ptr', 'n:i32'] },
  /** out = a + b */
  add: { args: ['a:ptr', 'b:ptr', 'out:ptr', 'n:i32'], split: elements('n', ['a', 'b', 'out']) },
  /** out = a * b; its backward is mul again (da = dy * b). */
  mul: { args: ['a:ptr', 'b:ptr', 'out:ptr', 'n:i32'] },
  /** out = s * a; its backward is scale again. */
  scale: { args: ['a:ptr', 's:f32', 'out:ptr', 'n:i32'] },
  /** y += alpha * x: the one accumulating op, by definition (its backward is axpy again: dx += alpha dy). */
  axpy: { args: ['alpha:f32', 'x:ptr', 'y:ptr', 'n:i32'] },
  /** out = exp(a); backward: mul(dy, out). */
  exp: { args: ['a:ptr', 'out:ptr', 'n:i32'] },
  /** out = a² */
  square: { args: ['a:ptr', 'out:ptr', 'n:i32'] },
  /** Overwrites dx = 2 a dy. */
  squareBackward: { args: ['a:ptr', 'dy:ptr', 'dx:ptr', 'n:i32'] },
  /** out = |a| */
  abs: { args: ['a:ptr', 'out:ptr', 'n:i32'] },
  /** out = sign(a) (0 at 0) */
  sign: { args: ['a:ptr', 'out:ptr', 'n:i32'] },
  /** Overwrites dx = sign(a) dy (the subgradient 0 at 0). */
  absBackward: { args: ['a:ptr', 'dy:ptr', 'dx:ptr', 'n:i32'] },
  /** out = min(max(a, lo), hi) */
  clip: { args: ['a:ptr', 'lo:f32', 'hi:f32', 'out:ptr', 'n:i32'], split: elements('n', ['a', 'out']) },
  /** Overwrites dx = dy where lo <= a <= hi, else 0 (TF's clip_by_value gradient). */
  clipBackward: { args: ['a:ptr', 'dy:ptr', 'dx:ptr', 'lo:f32', 'hi:f32', 'n:i32'] },
  /** Overwrites out[r] = sum over c of x[r, c]. */
  rowSum: { args: ['x:ptr', 'out:ptr', 'rows:i32', 'cols:i32'] },
  /** Overwrites dx[r, c] = dy[r] (the backward of rowSum). */
  rowSumBackward: { args: ['dy:ptr', 'dx:ptr', 'rows:i32', 'cols:i32'] },
  /** Sum of n elements, accumulated left to right in float64. */
  sum: { args: ['x:ptr', 'n:i32'], returns: 'f64' },
  /**
   * Sum of squares of n elements in float64: four lane sums (lane j takes the elements
   * i = j mod 4 below n & ~3) added in lane order, then the tail left to right; bit-identical
   * on every backend and build. Not split: the pool has no reduction share, and the one
   * pass over the gradients it serves (clip-norm) is small beside a step's gemms.
   */
  sumSquares: { args: ['x:ptr', 'n:i32'], returns: 'f64' },

  // ---- conv2d, NHWC / HWIO (assembly/conv.ts; every pass overwrites its output) ---------
  /** y[n, oh, ow, cout] = sum x[n, ih, iw, cin] * w[kh, kw, cin, cout] (no bias). */
  conv2dForward: {
    args: ['x:ptr', 'w:ptr', 'y:ptr', ...CONV],
    split: { by: 'images', count: 'n', advance: { x: CONV_IN, y: CONV_OUT }, work: CONV_MACS, minWork: MACS_PER_SHARE },
  },
  /** dx[n, ih, iw, cin] from dy[n, oh, ow, cout] and w. Also Conv2DTranspose's forward. */
  conv2dBackwardInput: {
    args: ['dy:ptr', 'w:ptr', 'dx:ptr', ...CONV],
    split: { by: 'images', count: 'n', advance: { dy: CONV_OUT, dx: CONV_IN }, work: CONV_MACS, minWork: MACS_PER_SHARE },
  },
  /** dw[kh, kw, cin, cout] from x and dy, summed over images in chunks of FILTER_CHUNK (see Split). */
  conv2dBackwardFilter: {
    args: ['x:ptr', 'dy:ptr', 'dw:ptr', ...CONV],
    split: {
      by: 'imageChunks', count: 'n', advance: { x: CONV_IN, dy: CONV_OUT }, out: 'dw', outSize: ['kh', 'kw', 'cin', 'cout'],
      work: CONV_MACS, minWork: MACS_PER_SHARE,
    },
  },

  // ---- pooling (assembly/pool.ts; backward overwrites) ----------------------------------
  /** y = max over each window (padding cells never win; Keras/TF semantics). Overwrites y. */
  maxpool2dForward: {
    args: ['x:ptr', 'y:ptr', ...POOL],
    split: { by: 'images', count: 'n', advance: { x: POOL_IN, y: POOL_OUT }, work: ['n', ...POOL_IN], minWork: ELEMENTS_PER_SHARE },
  },
  /**
   * Overwrites dx: each window's dy goes to the first position holding its maximum
   * (recomputed from x; overlapping windows add).
   */
  maxpool2dBackward: {
    args: ['x:ptr', 'dy:ptr', 'dx:ptr', ...POOL],
    split: { by: 'images', count: 'n', advance: { x: POOL_IN, dy: POOL_OUT, dx: POOL_IN }, work: ['n', ...POOL_IN], minWork: ELEMENTS_PER_SHARE },
  },
  /** Nearest-neighbour upsampling [n, h, w, c] -> [n, h*sh, w*sw, c]. Overwrites y. */
  upsample2dForward: {
    args: ['x:ptr', 'y:ptr', ...UP],
    split: { by: 'images', count: 'n', advance: { x: UP_SMALL, y: UP_LARGE }, work: ['n', ...UP_LARGE], minWork: ELEMENTS_PER_SHARE },
  },
  /** Overwrites dx[n, h, w, c] = sum of dy over each sh x sw block. */
  upsample2dBackward: {
    args: ['dy:ptr', 'dx:ptr', ...UP],
    split: { by: 'images', count: 'n', advance: { dy: UP_LARGE, dx: UP_SMALL }, work: ['n', ...UP_LARGE], minWork: ELEMENTS_PER_SHARE },
  },

  // ---- losses (assembly/loss.ts): forwards write per-row sums; backwards overwrite -------
  /** out[r] = sum over c of (p - t)². */
  mseForward: { args: ['p:ptr', 't:ptr', 'out:ptr', 'rows:i32', 'cols:i32'], split: lossRows },
  /** Overwrites dp = scale * 2 (p - t). */
  mseBackward: { args: ['p:ptr', 't:ptr', 'dp:ptr', 'n:i32', 'scale:f32'], split: elements('n', ['p', 't', 'dp']) },
  /** out[r] = sum over c of -(t log(p + eps) + (1-t) log(1 - p + eps)), p clipped to float32 [1e-7, 1 - 2^-23] as Keras (eps 1e-7). */
  bceForward: { args: ['p:ptr', 't:ptr', 'out:ptr', 'rows:i32', 'cols:i32'], split: { ...lossRows, minWork: COSTLY_ELEMENTS_PER_SHARE } },
  /** Overwrites dp = scale * d/dp of the clipped BCE (0 where p is clipped). */
  bceBackward: { args: ['p:ptr', 't:ptr', 'dp:ptr', 'n:i32', 'scale:f32'], split: elements('n', ['p', 't', 'dp'], COSTLY_ELEMENTS_PER_SHARE) },
  /** BCE from logits x (stable: max(x,0) - x t + log(1 + exp(-|x|))); out[r] = row sums. */
  bceLogitsForward: {
    args: ['x:ptr', 't:ptr', 'out:ptr', 'rows:i32', 'cols:i32'],
    split: { ...lossRows, rowTensors: ['x', 't'], minWork: COSTLY_ELEMENTS_PER_SHARE },
  },
  /** Overwrites dx = scale * (sigmoid(x) - t): the fused sigmoid + BCE gradient. */
  bceLogitsBackward: { args: ['x:ptr', 't:ptr', 'dx:ptr', 'n:i32', 'scale:f32'], split: elements('n', ['x', 't', 'dx'], COSTLY_ELEMENTS_PER_SHARE) },
  /** out[r] = KL(N(mu, exp(lv)) || N(0, 1)) = -0.5 sum (1 + lv - mu² - exp(lv)). */
  klForward: { args: ['mu:ptr', 'lv:ptr', 'out:ptr', 'rows:i32', 'cols:i32'] },
  /** Overwrites dmu = scale mu, dlv = scale 0.5 (exp(lv) - 1). */
  klBackward: { args: ['mu:ptr', 'lv:ptr', 'dmu:ptr', 'dlv:ptr', 'n:i32', 'scale:f32'] },
  /** z = mu + exp(lv / 2) eps (the VAE's reparameterisation). */
  reparamForward: { args: ['mu:ptr', 'lv:ptr', 'eps:ptr', 'z:ptr', 'n:i32'] },
  /** Overwrites dmu = dz, dlv = dz 0.5 exp(lv / 2) eps. */
  reparamBackward: { args: ['dz:ptr', 'lv:ptr', 'eps:ptr', 'dmu:ptr', 'dlv:ptr', 'n:i32'] },

  // ---- optimizers, in place (assembly/optim.ts) ------------------------------------------
  /** tf.keras Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²; w -= lrT m / (sqrt(v) + eps). */
  adamStep: {
    args: ['w:ptr', 'g:ptr', 'm:ptr', 'v:ptr', 'n:i32', 'lrT:f32', 'beta1:f32', 'beta2:f32', 'eps:f32'],
    split: elements('n', ['w', 'g', 'm', 'v'], COSTLY_ELEMENTS_PER_SHARE),
  },
  /** Keras SGD: vel = momentum vel - lr g; w += vel (momentum 0: w -= lr g, vel untouched, may be < 0). */
  sgdStep: { args: ['w:ptr', 'g:ptr', 'vel:ptr', 'n:i32', 'lr:f32', 'momentum:f32'] },

  // ---- counter-based random numbers, identical on both backends (assembly/random.ts) -----
  /** out[i] = lo + (hi - lo) u(key, counter + i), u uniform in [0, 1). */
  randUniform: {
    args: ['out:ptr', 'n:i32', 'key:u32', 'counter:f64', 'lo:f64', 'hi:f64'],
    split: elements('n', ['out', 'counter'], ELEMENTS_PER_SHARE / 4),
  },
  /** out[i] = mean + std z(key, counter + i), z standard normal (Box-Muller on pairs). */
  randNormal: {
    args: ['out:ptr', 'n:i32', 'key:u32', 'counter:f64', 'mean:f64', 'std:f64'],
    split: elements('n', ['out', 'counter'], ELEMENTS_PER_SHARE / 8),
  },

  // ---- batch normalization over the last axis (assembly/batchnorm.ts; every pass overwrites) --
  // x is [rows, cols]: rows = batch (x H x W), one column per feature / channel. The
  // reductions are not split (the pool has no reduction share; one thread sums each column
  // in row order, in float64); the elementwise passes are split by rows.
  /** Overwrites mean[c], variance[c] with column c's mean and biased variance (Keras' ops.moments); rows >= 1. */
  batchNormStats: { args: ['x:ptr', 'mean:ptr', 'variance:ptr', 'rows:i32', 'cols:i32'] },
  /** Overwrites moving = moving * momentum + batch * (1 - momentum) for the mean and the variance (Keras). */
  batchNormMovingUpdate: { args: ['mean:ptr', 'variance:ptr', 'movingMean:ptr', 'movingVariance:ptr', 'cols:i32', 'momentum:f32'] },
  /** Overwrites y = (x - mean) gamma / sqrt(variance + epsilon) + beta (gamma < 0: 1; beta < 0: 0). y may equal x. */
  batchNormForward: {
    args: ['x:ptr', 'mean:ptr', 'variance:ptr', 'gamma:ptr', 'beta:ptr', 'y:ptr', 'rows:i32', 'cols:i32', 'epsilon:f32'],
    split: { by: 'rows', rows: 'rows', cols: 'cols', rowTensors: ['x', 'y'], perRow: [], work: ['rows', 'cols'], minWork: ELEMENTS_PER_SHARE },
  },
  /** Overwrites dbeta[c] = sum of dy and dgamma[c] = sum of dy xhat over the rows (xhat = (x - mean) / sqrt(variance + epsilon)). */
  batchNormBackward: { args: ['x:ptr', 'dy:ptr', 'mean:ptr', 'variance:ptr', 'dgamma:ptr', 'dbeta:ptr', 'rows:i32', 'cols:i32', 'epsilon:f32'] },
  /**
   * Overwrites dx = gamma / sqrt(variance + epsilon) (dy - dbeta / count - xhat dgamma / count), from
   * batchNormBackward's sums over all `count` rows of the batch (gamma < 0: 1). dx may equal dy.
   */
  batchNormBackwardInput: {
    args: ['x:ptr', 'dy:ptr', 'mean:ptr', 'variance:ptr', 'gamma:ptr', 'dgamma:ptr', 'dbeta:ptr', 'dx:ptr', 'rows:i32', 'cols:i32', 'count:i32', 'epsilon:f32'],
    split: { by: 'rows', rows: 'rows', cols: 'cols', rowTensors: ['x', 'dy', 'dx'], perRow: [], work: ['rows', 'cols'], minWork: ELEMENTS_PER_SHARE },
  },

  // ---- dropout (assembly/dropout.ts): its mask from the counter-based generator ----------
  /**
   * Overwrites y[s, p, c] = x[s, p, c] f32(1 / (1 - rate)) where u(key, counter + s ch + c)
   * >= rate (u as randUniform's), else 0; x, y [n, hw, ch], y may equal x. hw = 1: Dropout;
   * hw = H W: SpatialDropout2D (one draw per sample and channel). The backward is the same
   * call on (dy, dx) with the same key and counter (the mask is recomputed, never stored).
   */
  dropout: {
    args: ['x:ptr', 'y:ptr', 'n:i32', 'hw:i32', 'ch:i32', 'key:u32', 'counter:f64', 'rate:f64'],
    split: { by: 'images', count: 'n', advance: { x: ['hw', 'ch'], y: ['hw', 'ch'], counter: ['ch'] }, work: ['n', 'hw', 'ch'], minWork: ELEMENTS_PER_SHARE / 4 },
  },

  // ---- stored samples (assembly/lookup.ts): a streamed uint8 batch into model values -----
  /**
   * Overwrites dst[r, f] = table[f stride + byte(src, r size + f)] for r < n, f < size: src
   * holds n size bytes from its element offset's first byte (the staging slot of a batch
   * ring); stride 0 shares one 256-entry table, 256 gives each feature its own.
   */
  lookupU8: { args: ['src:ptr', 'table:ptr', 'stride:i32', 'dst:ptr', 'n:i32', 'size:i32'] },
  // ---- classification (assembly/softmax.ts): softmax over the last axis and sparse ---------
  // categorical cross-entropy from logits, x [rows, cols], one column per class. labels is
  // an int32 array of class indices (label r is the int32 at byte address
  // labels * heap.bytesPerElement + 4 r: one element a row on a Float32 heap; see
  // labels.ts, which writes and checks them). Split by rows: each row's loss is computed
  // by one thread, and the caller sums the per-row losses in order (sum: identical for any
  // thread count).
  /** Overwrites y = softmax(x) row by row (exp(x - max) / Σ exp(x - max)). y may equal x. */
  softmaxForward: {
    args: ['x:ptr', 'y:ptr', 'rows:i32', 'cols:i32'],
    split: { by: 'rows', rows: 'rows', cols: 'cols', rowTensors: ['x', 'y'], perRow: [], work: ['rows', 'cols'], minWork: ELEMENTS_PER_SHARE / 4 },
  },
  /**
   * The fused forward and backward: overwrites loss[r] = logsumexp(x[r]) - x[r, labels[r]]
   * and dx = scale (softmax(x) - onehot(labels)) (scale = weight / rows gives Keras' mean).
   * A label outside [0, cols) gives NaN for its row's loss and gradient, never an access
   * outside the row. dx may equal x.
   */
  softmaxCrossEntropy: {
    args: ['x:ptr', 'labels:ptr', 'loss:ptr', 'dx:ptr', 'rows:i32', 'cols:i32', 'scale:f32'],
    split: { by: 'rows', rows: 'rows', cols: 'cols', rowTensors: ['x', 'dx'], perRow: ['labels', 'loss'], work: ['rows', 'cols'], minWork: ELEMENTS_PER_SHARE / 4 },
  },
  /** Overwrites loss[r] as softmaxCrossEntropy does, without the gradient (x is only read). */
  softmaxCrossEntropyForward: {
    args: ['x:ptr', 'labels:ptr', 'loss:ptr', 'rows:i32', 'cols:i32'],
    split: { by: 'rows', rows: 'rows', cols: 'cols', rowTensors: ['x'], perRow: ['labels', 'loss'], work: ['rows', 'cols'], minWork: ELEMENTS_PER_SHARE / 4 },
  },

  // ---- concatenate along the last axis (assembly/concat.ts) ----------------------------------
  // One call per input: x [rows, cols] is the column block [col, col + cols) of y [rows, yCols].
  // Not split: a copy of a few rows moves less than a hand-off to the pool costs.
  /** Overwrites y[r, col + c] = x[r, c] (the rest of y untouched). */
  concatForward: { args: ['x:ptr', 'y:ptr', 'rows:i32', 'cols:i32', 'yCols:i32', 'col:i32'] },
  /** dx[r, c] = dy[r, col + c]: overwrites (accumulate 0) or accumulates (accumulate 1, for a tensor with several consumers). */
  concatBackward: { args: ['dy:ptr', 'dx:ptr', 'rows:i32', 'cols:i32', 'dyCols:i32', 'col:i32', 'accumulate:i32'] },

  // ---- int8 inference (assembly/int8.ts; README "int8 models") -----------------------------
  // Byte layouts from an element offset's first byte (its byte address is offset *
  // heap.bytesPerElement): q [rows, kp] int8 codes, kp a multiple of 16, zero past the
  // layer's width; w [roundup(n, 4), kp] int8 weights, one row per output channel (Wᵀ),
  // zero rows past n; wScale and bias hold roundup(n, 4) floats. Sums are exact int32, so
  // every backend and build gives the same integers; the float epilogue is
  // f32(f32(acc) f32(xScale[r] wScale[c])) + bias[c]: identical too. Not split (inference
  // only; the thread pool has no share for byte tensors).
  /**
   * Overwrites q and scale[r] = max|x[r, :]| / 127 (0 for a zero row): q[r, c] =
   * nearest-even(x[r, c] f32(127 / max)), in [-127, 127]. Returns 1 when no code is
   * negative (int8GemmRelaxed may read them), else 0.
   */
  int8QuantizeRows: { args: ['x:ptr', 'rows:i32', 'cols:i32', 'q:ptr', 'kp:i32', 'scale:ptr'], returns: 'f64' },
  /** Overwrites y[m, n] = f32(Σ_k q[r, k] w[c, k]) xScale[r] wScale[c] + bias[c] (bias < 0: none), with i32x4.dot_i16x8_s. */
  int8GemmDot16: { args: ['m:i32', 'n:i32', 'kp:i32', 'q:ptr', 'xScale:ptr', 'w:ptr', 'wScale:ptr', 'bias:ptr', 'y:ptr'] },
  /**
   * int8GemmDot16 for codes q in [0, 127] only, with relaxed_dot_i8x16_i7x16_add_s in the
   * relaxed builds (elsewhere it is int8GemmDot16): the same result bit for bit.
   */
  int8GemmRelaxed: { args: ['m:i32', 'n:i32', 'kp:i32', 'q:ptr', 'xScale:ptr', 'w:ptr', 'wScale:ptr', 'bias:ptr', 'y:ptr'] },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof ABI;
export const KERNEL_NAMES = Object.keys(ABI) as KernelName[];

/**
 * Numbers both sides must agree on, exported by the module as immutable i32 globals and
 * read from there (never copied): micro-kernel tile (MR x NR, depth slice KC), the
 * filter gradient's image chunk and partial-sum size, the gemm few-rows threshold, and
 * the scratch areas the convolutions divide.
 */
export const ABI_CONSTANTS = [
  'MR', 'NR', 'KC', 'FILTER_CHUNK', 'PARTIAL_FLOATS', 'FEW_ROWS', 'COL_FLOATS', 'WORK_FLOATS', 'DUMP_FLOATS', 'TAB_ENTRIES', 'SCRATCH_FLOATS',
] as const;
export type AbiConstants = Readonly<Record<(typeof ABI_CONSTANTS)[number], number>>;

/** One number per argument: the call signature of a row. */
type Numbers<T extends readonly unknown[]> = { -readonly [I in keyof T]: number };
type Signature<S extends KernelSpec> = (...args: Numbers<S['args']>) => S extends { returns: 'f64' } ? number : void;

/** One method per kernel, its signature derived from its row (documentation carried over). */
export type KernelMethods = { [N in KernelName]: Signature<(typeof ABI)[N]> };

/** Argument names of a row, in order. */
export function argNames(name: KernelName): string[] {
  return ABI[name].args.map((a) => a.slice(0, a.indexOf(':')));
}

/** Position of argument `arg` of kernel `name` (throws on a manifest typo, at load time). */
export function argIndex(name: KernelName, arg: string): number {
  const i = argNames(name).indexOf(arg);
  if (i < 0) throw new AeError(`kernel manifest: ${name} has no argument ${arg}`);
  return i;
}

/** The kernels the thread pool splits, in manifest order: their position + 1 is the job's op code. */
export const SPLIT_KERNELS = KERNEL_NAMES.filter((n) => 'split' in ABI[n]);
