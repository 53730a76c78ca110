// BatchNormalization (Keras semantics) over the last axis: features after a Dense, channels
// of an NHWC tensor after a Conv2D / Conv2DTranspose. Weights in Keras' names and order:
// gamma (scale), beta (center), moving_mean, moving_variance — the last two non-trainable.
//
// Training uses the batch's mean and biased variance over every row (batch x H x W) and
// folds them into the moving statistics with moving = moving * momentum + batch * (1 -
// momentum). That is Keras 3's BatchNormalization.call (keras-team/keras,
// keras/src/layers/normalization/batch_normalization.py): `_moments` -> `ops.moments`, whose
// variance is the mean squared deviation (divided by n, not n - 1, unlike PyTorch's
// running_var), and `moving_variance * momentum + variance * (1 - momentum)`. Here the fold
// happens in commitState, after the step's update was applied, so a diverged step leaves
// the moving statistics as they were. Inference (evaluate, reconstruct, encode) uses the
// moving statistics.

import { ArgumentError } from '../../errors.js';
import { ConfigReader } from '../config.js';
import { Layer, type LayerBuffers, type ParamSpec, type RunContext } from '../layer.js';
import type { Planner } from '../planner.js';
import { sizeOf, type Shape, type Tensor } from '../tensor.js';

/** Initializer keys Keras writes, with the only value each may have here (Keras' default). */
const INITIALIZERS = {
  beta_initializer: 'zeros',
  gamma_initializer: 'ones',
  moving_mean_initializer: 'zeros',
  moving_variance_initializer: 'ones',
} as const;
/** Keys that must be null (none): a regularizer or constraint would change training. */
const NONE_KEYS = ['beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint'] as const;

export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly axis: unknown;
  private cols = 0;

  constructor(config: Record<string, unknown>, private readonly where = 'BatchNormalization') {
    super();
    const r = new ConfigReader(config, where);
    r.only(['axis', 'momentum', 'epsilon', 'center', 'scale', 'synchronized', ...Object.keys(INITIALIZERS), ...NONE_KEYS]);
    this.axis = r.raw('axis') ?? -1;
    this.momentum = r.number('momentum', 0.99, 0);
    if (this.momentum > 1) throw new ArgumentError(`${where}: momentum must be in [0, 1], got ${this.momentum}`);
    this.epsilon = r.number('epsilon', 1e-3, 0);
    if (!(this.epsilon > 0)) throw new ArgumentError(`${where}: epsilon must be > 0, got ${this.epsilon}`);
    this.center = r.bool('center', true);
    this.scale = r.bool('scale', true);
    // One device: synchronized (cross-replica statistics) computes the same thing.
    r.bool('synchronized', false);
    for (const [key, want] of Object.entries(INITIALIZERS)) checkInitializer(r.raw(key), want, key, where);
    for (const key of NONE_KEYS) {
      if (r.raw(key) !== undefined && r.raw(key) !== null) {
        throw new ArgumentError(`${where}: ${key} must be null (not supported), got ${JSON.stringify(r.raw(key))}`);
      }
    }
  }

  build(input: Shape): Shape {
    // Keras writes -1, or (tf.keras, after build) the last axis counted with the batch, maybe in a list.
    const a = Array.isArray(this.axis) && this.axis.length === 1 ? this.axis[0] : this.axis;
    if (a !== -1 && a !== input.length) {
      throw new ArgumentError(
        `${this.where}: axis must be -1 (the last axis, ${input.length} counting the batch); got ${JSON.stringify(this.axis)} (only the last axis is supported)`,
      );
    }
    this.cols = input[input.length - 1] ?? 0;
    return this.keepShape(input);
  }

  config(): Record<string, unknown> {
    return { axis: -1, momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }

  override paramSpecs(): ParamSpec[] {
    const shape = [this.cols];
    const specs: ParamSpec[] = [];
    if (this.scale) specs.push({ param: 'gamma', shape, init: { kind: 'ones' } });
    if (this.center) specs.push({ param: 'beta', shape, init: { kind: 'zeros' } });
    specs.push({ param: 'moving_mean', shape, init: { kind: 'zeros' }, trainable: false });
    specs.push({ param: 'moving_variance', shape, init: { kind: 'ones' }, trainable: false });
    return specs;
  }

  /** work = [batch mean | batch variance | sum of dy | sum of dy xhat], `cols` each. */
  override plan(pl: Planner, x: Tensor, dx: Tensor | null, batch: number, training: boolean): LayerBuffers {
    const shape = [batch, ...this.outShape];
    return { x, dx, y: pl.tensor(shape), dy: training ? pl.tensor(shape) : null, z: null, work: pl.tensor([4, this.cols]) };
  }

  private get gamma(): number {
    return this.scale ? this.params[0]!.value : -1;
  }

  private get beta(): number {
    return this.center ? this.params[this.scale ? 1 : 0]!.value : -1;
  }

  private get moving(): { mean: number; variance: number } {
    const n = this.params.length;
    return { mean: this.params[n - 2]!.value, variance: this.params[n - 1]!.value };
  }

  private rows(n: number): number {
    return (n * sizeOf(this.inShape)) / Math.max(this.cols, 1);
  }

  forward(ctx: RunContext, b: LayerBuffers, n: number): void {
    const k = ctx.kernels;
    const c = this.cols;
    const rows = this.rows(n);
    const work = b.work!.offset;
    if (ctx.training) {
      k.batchNormStats(b.x.offset, work, work + c, rows, c);
      k.batchNormForward(b.x.offset, work, work + c, this.gamma, this.beta, b.y.offset, rows, c, this.epsilon);
    } else {
      const m = this.moving;
      k.batchNormForward(b.x.offset, m.mean, m.variance, this.gamma, this.beta, b.y.offset, rows, c, this.epsilon);
    }
  }

  /** The gradients of a training-mode forward (batch statistics); overwrites dx, d_gamma, d_beta. */
  backward(ctx: RunContext, b: LayerBuffers, n: number): void {
    const k = ctx.kernels;
    const c = this.cols;
    const rows = this.rows(n);
    const work = b.work!.offset;
    const dgamma = this.scale ? this.params[0]!.grad : work + 3 * c;
    const dbeta = this.center ? this.params[this.scale ? 1 : 0]!.grad : work + 2 * c;
    k.batchNormBackward(b.x.offset, b.dy!.offset, work, work + c, dgamma, dbeta, rows, c, this.epsilon);
    if (b.dx) {
      k.batchNormBackwardInput(b.x.offset, b.dy!.offset, work, work + c, this.gamma, dgamma, dbeta, b.dx.offset, rows, c, rows, this.epsilon);
    }
  }

  override commitState(ctx: RunContext, b: LayerBuffers): void {
    const work = b.work!.offset;
    const m = this.moving;
    ctx.kernels.batchNormMovingUpdate(work, work + this.cols, m.mean, m.variance, this.cols, this.momentum);
  }
}

/** Accepts a Keras initializer only when it is the default: "zeros" or {"class_name": "Zeros", ...}. */
function checkInitializer(v: unknown, want: 'zeros' | 'ones', key: string, where: string): void {
  if (v === undefined || v === null) return;
  const name = typeof v === 'string' ? v : typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)['class_name'] : undefined;
  if (typeof name === 'string' && name.toLowerCase() === want) return;
  throw new ArgumentError(`${where}: ${key} must be "${want}" (Keras' default; others are not supported), got ${JSON.stringify(v)}`);
}
